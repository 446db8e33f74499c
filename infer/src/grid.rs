//! Images in [-1,1] to gray levels, grids and PNG files.

use std::path::Path;

use image::GrayImage;

/// Pixels between tiles of a grid (black, as in torchvision's `make_grid`).
pub const GRID_PAD: u32 = 2;

/// A value in [-1, 1] as a gray level, clamped and rounded.
pub fn to_gray(v: f32) -> u8 {
    ((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8
}

/// One square image of `side·side` values, each pixel repeated `scale`×`scale` times.
pub fn tile(values: &[f32], side: usize, scale: u32) -> GrayImage {
    let s = side as u32 * scale;
    GrayImage::from_fn(s, s, |x, y| image::Luma([to_gray(values[(y / scale) as usize * side + (x / scale) as usize])]))
}

/// Columns of a near-square grid for `n` images.
pub fn near_square_cols(n: usize) -> usize {
    (n as f64).sqrt().ceil().max(1.0) as usize
}

/// `n` images of `side·side` values (row-major, one after another) tiled in `cols`
/// columns, each scaled by `scale`, with [`GRID_PAD`] pixels between tiles.
pub fn grid(values: &[f32], n: usize, side: usize, cols: usize, scale: u32) -> GrayImage {
    let cols = cols.clamp(1, n.max(1));
    let rows = n.div_ceil(cols);
    let step = side as u32 * scale + GRID_PAD;
    let mut out = GrayImage::new(cols as u32 * step + GRID_PAD, rows as u32 * step + GRID_PAD);
    for i in 0..n {
        let t = tile(&values[i * side * side..(i + 1) * side * side], side, scale);
        let (x, y) = ((i % cols) as u32 * step + GRID_PAD, (i / cols) as u32 * step + GRID_PAD);
        image::imageops::replace(&mut out, &t, i64::from(x), i64::from(y));
    }
    out
}

/// PNG bytes of a gray image.
pub fn png_bytes(img: &GrayImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
        .expect("encoding a gray image to PNG in memory cannot fail");
    bytes
}

/// Write a PNG atomically: the file appears whole or not at all.
pub fn save_png(path: &Path, img: &GrayImage) -> std::io::Result<()> {
    dcgan::run::write_atomic(path, &png_bytes(img))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gray_levels_cover_the_range() {
        assert_eq!(to_gray(-1.0), 0);
        assert_eq!(to_gray(1.0), 255);
        assert_eq!(to_gray(5.0), 255);
        assert_eq!(to_gray(0.0), 128);
    }

    #[test]
    fn grid_places_tiles_row_by_row() {
        let mut values = vec![-1.0f32; 3 * 4];
        values[4..8].fill(1.0); // second image white
        let g = grid(&values, 3, 2, 2, 1);
        assert_eq!(g.dimensions(), (2 * 4 + 2, 2 * 4 + 2));
        assert_eq!(g.get_pixel(2, 2)[0], 0);
        assert_eq!(g.get_pixel(6, 2)[0], 255);
        assert_eq!(near_square_cols(25), 5);
        assert_eq!(near_square_cols(26), 6);
    }
}
