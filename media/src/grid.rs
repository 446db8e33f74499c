//! Images in `[-1,1]` to gray levels, grids and PNG files, laid out as the contract says
//! ([`dcgan::contract::grid_layout`]), so that the page's canvas has the same pixels.

use std::path::Path;

use dcgan::contract::{GRID_PAD, tile_layout, unit_to_pixel};
use image::GrayImage;

/// One square image of `side·side` values, each pixel repeated `scale`×`scale` times.
pub fn tile(values: &[f32], side: usize, scale: u32) -> GrayImage {
    let s = side as u32 * scale;
    GrayImage::from_fn(s, s, |x, y| {
        image::Luma([unit_to_pixel(values[(y / scale) as usize * side + (x / scale) as usize])])
    })
}

/// `n` images of `side·side` values (row-major, one after another) tiled in `cols`
/// columns, each scaled by `scale`, with [`GRID_PAD`] pixels between tiles. The caller
/// bounds the size (`infer`'s `Plan::check_grid`); an empty grid is the bare padding.
pub fn grid(values: &[f32], n: usize, side: usize, cols: usize, scale: u32) -> GrayImage {
    let (cols, _, width, height) = tile_layout(n, cols, u64::from(side as u32 * scale));
    let step = side as u32 * scale + GRID_PAD;
    let mut out = GrayImage::new(width as u32, height as u32);
    for i in 0..n {
        let t = tile(&values[i * side * side..(i + 1) * side * side], side, scale);
        let (x, y) = ((i % cols) as u32 * step + GRID_PAD, (i / cols) as u32 * step + GRID_PAD);
        image::imageops::replace(&mut out, &t, i64::from(x), i64::from(y));
    }
    out
}

/// PNG bytes of a gray image; an image with no pixels is refused (PNG has no such thing).
pub fn png_bytes(img: &GrayImage) -> Result<Vec<u8>, image::ImageError> {
    let mut bytes = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)?;
    Ok(bytes)
}

/// Write a PNG atomically: the file appears whole or not at all.
pub fn save_png(path: &Path, img: &GrayImage) -> std::io::Result<()> {
    let bytes = png_bytes(img).map_err(std::io::Error::other)?;
    dcgan::output::write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_places_tiles_row_by_row() {
        let mut values = vec![-1.0f32; 3 * 4];
        values[4..8].fill(1.0); // second image white
        let g = grid(&values, 3, 2, 2, 1);
        assert_eq!(g.dimensions(), (2 * 4 + 2, 2 * 4 + 2));
        assert_eq!(g.get_pixel(2, 2)[0], 0);
        assert_eq!(g.get_pixel(6, 2)[0], 255);
    }

    #[test]
    fn an_empty_image_is_an_error_not_a_panic() {
        assert!(png_bytes(&GrayImage::new(0, 5)).is_err());
        assert!(png_bytes(&GrayImage::new(1, 1)).is_ok());
    }
}
