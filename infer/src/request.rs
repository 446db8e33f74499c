//! What a caller asks for — how many digits, which ones, laid out how — checked before
//! any model run. Shared by the `infer` CLI and `serve`, so that
//! `infer --seed S -n N --cols C --scale K --digit D` and
//! `GET /v1/samples.png?seed=S&n=N&cols=C&scale=K&digit=D` mean the same grid.
//!
//! ```
//! use dcgan_infer::{Digits, Plan};
//! let plan = Plan::new(3, Some(&Digits::All), None, 2)?; // `infer -n 3 --digits all --scale 2`
//! assert_eq!((plan.count, plan.cols), (30, 3));          // rows 0–9, three of each
//! plan.check_grid()?;
//! # Ok::<(), dcgan_infer::Error>(())
//! ```

use dcgan::contract::{self, CLASSES, near_square_cols};

use crate::Error;

/// Largest pixel scale of a digit.
///
/// ```
/// assert!(dcgan_infer::Plan::new(1, None, None, dcgan_infer::request::MAX_SCALE + 1).is_err());
/// ```
pub const MAX_SCALE: u32 = 64;
/// Largest grid, in pixels (128 Mi gray levels = 128 MiB): enough for 100000 digits at
/// scale 1, refused before any model run beyond that.
///
/// ```
/// use dcgan_infer::Plan;
/// assert!(Plan::new(100_000, None, None, 64)?.check_grid().is_err()); // 2.3·10^10 pixels
/// # Ok::<(), dcgan_infer::Error>(())
/// ```
pub const MAX_GRID_PIXELS: u64 = 1 << 27;

/// Most images that can be asked for with `--digit`/`--digits all`: their labels are held
/// in memory (8 bytes each, 128 MiB at this bound), so a larger count is refused before
/// anything is allocated for it. Unlabelled requests stream and have no such bound.
///
/// ```
/// use dcgan_infer::{Digits, Plan, request::MAX_LABELLED};
/// assert!(Plan::new(MAX_LABELLED + 1, Some(&Digits::One(3)), None, 1).is_err());
/// ```
pub const MAX_LABELLED: usize = 1 << 24;

/// Which digits a conditional model is asked for.
///
/// ```
/// use dcgan_infer::Digits;
/// assert_eq!("3,1,4".parse::<Digits>(), Ok(Digits::List(vec![3, 1, 4])));
/// assert_eq!("all".parse::<Digits>(), Ok(Digits::All));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Digits {
    /// Every image this digit.
    One(i64),
    /// One image per listed digit, in order.
    List(Vec<i64>),
    /// A 0–9 grid: row r is digit r, `n` images per row.
    All,
}

impl std::str::FromStr for Digits {
    type Err = String;

    /// `all`, or a comma-separated list such as `3,1,4,1,5`.
    fn from_str(s: &str) -> Result<Self, String> {
        if s.trim() == "all" {
            return Ok(Digits::All);
        }
        let list: Result<Vec<i64>, _> = s.split(',').map(|d| d.trim().parse::<i64>()).collect();
        match list {
            Ok(l) if !l.is_empty() && l.len() <= 1 << 20 => Ok(Digits::List(l)),
            _ => Err(format!("`{s}` is not `all` or a list of digits such as 3,1,4")),
        }
    }
}

/// A grid request, resolved: the rows to generate, their labels, the layout.
///
/// ```
/// let plan = dcgan_infer::Plan::new(25, None, None, 1)?; // `infer -n 25`
/// assert_eq!((plan.count, plan.labels, plan.cols), (25, None, 5));
/// # Ok::<(), dcgan_infer::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Images to generate (latent rows drawn from the seed).
    pub count: usize,
    /// One label per image (conditional models), `None` for the model's default.
    pub labels: Option<Vec<i64>>,
    /// Grid columns.
    pub cols: usize,
    /// Pixel scale.
    pub scale: u32,
}

impl Plan {
    /// Resolve `n` images (per row for [`Digits::All`]), optional digits, columns
    /// (default near-square, or `n` per row for `All`) and scale, refusing a scale out of
    /// range. Call [`Plan::check_grid`] before any work when a grid will be drawn.
    ///
    /// ```
    /// use dcgan_infer::{Digits, Plan};
    /// let sevens = Plan::new(4, Some(&Digits::One(7)), Some(2), 1)?;
    /// assert_eq!((sevens.labels, sevens.cols), (Some(vec![7; 4]), 2));
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    pub fn new(n: usize, digits: Option<&Digits>, cols: Option<usize>, scale: u32) -> Result<Self, Error> {
        if n == 0 {
            return Err(Error::BadInput("n must be at least 1".into()));
        }
        if !(1..=MAX_SCALE).contains(&scale) {
            return Err(Error::BadInput(format!("scale {scale} is outside 1–{MAX_SCALE}")));
        }
        let labelled = match digits {
            None | Some(Digits::List(_)) => 0,
            Some(Digits::One(_)) => n,
            Some(Digits::All) => contract::digits_all_count(n, CLASSES).unwrap_or(usize::MAX),
        };
        if labelled > MAX_LABELLED {
            return Err(Error::BadInput(format!(
                "{labelled} images with a digit asked for: at most {MAX_LABELLED} (their labels are held in memory); ask for fewer, or for none"
            )));
        }
        let (count, labels, default_cols) = match digits {
            None => (n, None, near_square_cols(n)),
            Some(Digits::One(d)) => (n, Some(vec![*d; n]), near_square_cols(n)),
            Some(Digits::List(l)) => (l.len(), Some(l.clone()), near_square_cols(l.len())),
            Some(Digits::All) => {
                let count = contract::digits_all_count(n, CLASSES)
                    .ok_or_else(|| Error::BadInput(format!("n {n} is too large")))?;
                (count, Some((0..count).map(|i| contract::digits_all_label(i, n)).collect()), n)
            }
        };
        let cols = cols.unwrap_or(default_cols).clamp(1, count);
        Ok(Self { count, labels, cols, scale })
    }

    /// Width and height of the grid in pixels.
    ///
    /// ```
    /// let plan = dcgan_infer::Plan::new(4, None, None, 2)?; // 2×2 digits of 56 pixels
    /// assert_eq!(plan.grid_size(), (2 * 58 + 2, 2 * 58 + 2));
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    pub fn grid_size(&self) -> (u64, u64) {
        let (_, _, width, height) = contract::grid_layout(self.count, self.cols, self.scale);
        (width, height)
    }

    /// Refuse a grid larger than [`MAX_GRID_PIXELS`].
    ///
    /// ```
    /// assert!(dcgan_infer::Plan::new(25, None, None, 1)?.check_grid().is_ok());
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    pub fn check_grid(&self) -> Result<(), Error> {
        let (w, h) = self.grid_size();
        if w.saturating_mul(h) > MAX_GRID_PIXELS || w > u64::from(u32::MAX) || h > u64::from(u32::MAX) {
            return Err(Error::BadInput(format!(
                "the grid would be {w}×{h} pixels, over the limit of {MAX_GRID_PIXELS} pixels; use fewer images, a smaller scale, or --raw/--each without a grid"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_grids_are_refused_before_any_work() {
        let grid = |n, scale| Plan::new(n, None, None, scale).and_then(|p| p.check_grid());
        assert!(grid(100_000, 64).is_err());
        assert!(grid(1000, 64).is_err());
        assert!(grid(100_000, 1).is_ok());
        assert!(grid(25, 0).is_err());
        assert!(Plan::new(25, None, Some(0), 1).is_ok_and(|p| p.cols == 1));
        assert!(Plan::new(usize::MAX, Some(&Digits::All), None, 1).is_err());
        // The label plan is bounded before it is built (2^40 labels would be 8 TiB).
        assert!(Plan::new(1 << 40, Some(&Digits::One(3)), None, 1).is_err());
        assert!(Plan::new(MAX_LABELLED / 10 + 1, Some(&Digits::All), None, 1).is_err());
        assert!(Plan::new(1 << 40, None, None, 1).is_ok());
    }

    #[test]
    fn digits_resolve_to_labels_and_layouts() {
        let all = Plan::new(3, Some(&Digits::All), None, 1).unwrap();
        assert_eq!((all.count, all.cols), (30, 3));
        assert_eq!(&all.labels.as_deref().unwrap()[..7], &[0, 0, 0, 1, 1, 1, 2]);
        let list: Digits = "3,1,4".parse().unwrap();
        let p = Plan::new(25, Some(&list), None, 2).unwrap();
        assert_eq!((p.count, p.labels.as_deref()), (3, Some(&[3i64, 1, 4][..])));
        assert_eq!("all".parse::<Digits>(), Ok(Digits::All));
        assert!("3,x".parse::<Digits>().is_err());
        assert_eq!(Plan::new(4, Some(&Digits::One(7)), None, 1).unwrap().labels, Some(vec![7; 4]));
    }
}
