//! [`Images`]: what a generator returns, as values, gray images, grids and PNG files.

use std::path::Path;

use dcgan::contract::{IMAGE_LEN as PIXELS, IMAGE_SHAPE};
use image::GrayImage;
use media::grid;

use crate::Error;

const SIDE: usize = IMAGE_SHAPE[1];

/// Generated images: `len()` × `[1,28,28]` values in `[-1,1]`, row-major (pixel =
/// (v + 1)·127.5). The count and the values always agree, so no image index or grid
/// can reach past the data.
///
/// ```
/// let images = dcgan_infer::Images::new(vec![-1.0; 3 * 784]); // three black digits
/// assert_eq!(images.image(2).map(<[f32]>::len), Some(784));
/// assert!(images.image(3).is_none());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Images {
    n: usize,
    data: Vec<f32>,
}

impl Images {
    /// Images from their values (784 per image, row-major); values past the last whole
    /// image are dropped.
    ///
    /// ```
    /// let images = dcgan_infer::Images::new(vec![0.0; 2 * 784 + 5]);
    /// assert_eq!((images.len(), images.values().len()), (2, 2 * 784));
    /// ```
    pub fn new(mut data: Vec<f32>) -> Self {
        let n = data.len() / PIXELS;
        data.truncate(n * PIXELS);
        Self { n, data }
    }

    /// Number of images.
    ///
    /// ```
    /// assert_eq!(dcgan_infer::Images::new(vec![0.0; 784]).len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.n
    }

    /// True when there are none.
    ///
    /// ```
    /// assert!(dcgan_infer::Images::new(vec![0.0; 783]).is_empty()); // not a whole image
    /// ```
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// All values, `len()·784`, image after image.
    ///
    /// ```
    /// let images = dcgan_infer::Images::new(vec![0.5; 784]);
    /// assert!(images.values().iter().all(|&v| v == 0.5));
    /// ```
    pub fn values(&self) -> &[f32] {
        &self.data
    }

    /// The values, taken out.
    ///
    /// ```
    /// let values = dcgan_infer::Images::new(vec![0.5; 784]).into_values();
    /// assert_eq!(values.len(), 784);
    /// ```
    pub fn into_values(self) -> Vec<f32> {
        self.data
    }

    /// Image `i`'s 784 values, if there is one.
    ///
    /// ```
    /// let images = dcgan_infer::Images::new((0..784 * 2).map(|i| (i / 784) as f32).collect());
    /// assert_eq!(images.image(1).map(|v| v[0]), Some(1.0));
    /// ```
    pub fn image(&self, i: usize) -> Option<&[f32]> {
        self.data.get(i * PIXELS..(i + 1) * PIXELS)
    }

    /// Image `i` as a gray image, each pixel repeated `scale`×`scale` times (1–64).
    ///
    /// ```
    /// let images = dcgan_infer::Images::new(vec![1.0; 784]); // white
    /// let digit = images.gray(0, 2)?;
    /// assert_eq!((digit.dimensions(), digit.get_pixel(0, 0).0), ((56, 56), [255]));
    /// assert!(images.gray(1, 2).is_err() && images.gray(0, 0).is_err());
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    pub fn gray(&self, i: usize, scale: u32) -> Result<GrayImage, Error> {
        check_scale(scale)?;
        if i >= self.n {
            return Err(Error::BadInput(format!("image {i} of {} images", self.n)));
        }
        Ok(grid::tile(&self.data[i * PIXELS..(i + 1) * PIXELS], SIDE, scale))
    }

    /// All images tiled in `cols` columns (at least 1) at `scale` (1–64), refused when
    /// larger than [`crate::request::MAX_GRID_PIXELS`].
    ///
    /// ```
    /// let images = dcgan_infer::Images::new(vec![0.0; 6 * 784]);
    /// let picture = images.grid(3, 1)?; // 3 columns, 2 rows, 2-pixel gaps
    /// assert_eq!(picture.dimensions(), (3 * 30 + 2, 2 * 30 + 2));
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    pub fn grid(&self, cols: usize, scale: u32) -> Result<GrayImage, Error> {
        check_scale(scale)?;
        let plan = crate::Plan { count: self.n.max(1), labels: None, cols: cols.clamp(1, self.n.max(1)), scale };
        plan.check_grid()?;
        Ok(grid::grid(&self.data, self.n, SIDE, cols, scale))
    }
}

impl Images {
    /// [`Images::grid`] written to `path` as a PNG: the bytes `infer --cols C --scale S
    /// --out FILE` writes for the same images.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join("dcgan-infer-doc-save-grid");
    /// std::fs::create_dir_all(&dir).ok();
    /// dcgan_infer::Images::new(vec![0.0; 784]).save_grid(dir.join("one.png"), 1, 1)?;
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    pub fn save_grid(&self, path: impl AsRef<Path>, cols: usize, scale: u32) -> Result<(), Error> {
        let path = path.as_ref();
        grid::save_png(path, &self.grid(cols, scale)?).map_err(|cause| Error::Io { path: path.into(), cause })
    }
}

fn check_scale(scale: u32) -> Result<(), Error> {
    use crate::request::MAX_SCALE;
    match scale {
        1..=MAX_SCALE => Ok(()),
        _ => Err(Error::BadInput(format!("scale {scale} is outside 1–{MAX_SCALE}"))),
    }
}
