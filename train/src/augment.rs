//! `--augment`: DiffAugment's differentiable augmentations of what D sees. Each image's
//! shift and cutout square are drawn on the host with the step's other draws
//! ([`crate::draws`]) and applied on the device by selection alone: a shift gathers
//! pixels from the image padded with background, a cutout overwrites a square with
//! background. No arithmetic touches a pixel, so G's gradient passes through unchanged,
//! the step stays capturable as a CUDA graph, and a replay in PyTorch
//! (tests/python/diffaugment.py, used by trainer_vs_torch.py) computes the same bits on any
//! device.

use dcgan::SplitMix64;
use dcgan::arch::IMAGE_SIDE;
use dcgan::config::Augment;
use dcgan::recipe::{CUTOUT_SIDE, MAX_SHIFT};
use tch::{Device, Kind, Tensor};

/// One batch's augmentation: what was drawn for each image; both `None` is the identity.
pub(crate) struct AugmentDraws {
    /// Per image, the source offset (rows, columns), each in −MAX_SHIFT..=MAX_SHIFT:
    /// output pixel (r, c) is input pixel (r + rows, c + columns). `[N,2]` int64.
    pub shift: Option<Tensor>,
    /// Per image, the cutout square's centre (row, column), each in 0..=IMAGE_SIDE: `[N,2]`
    /// int64 (DiffAugment's range, so a square may hang off any edge).
    pub cut: Option<Tensor>,
}

impl AugmentDraws {
    /// Draw `augment`'s parameters for `n` images, in the order of [`Augment`]: every
    /// image's source offset (rows, columns), then every image's cutout centre (row,
    /// column). Nothing is drawn for an empty `augment`, so runs without it keep the
    /// random stream they had before augmentations existed.
    pub fn draw(rng: &mut SplitMix64, n: usize, augment: &[Augment], device: Device) -> Self {
        let mut pairs = |low: i64, count: usize| {
            let v: Vec<i64> = (0..2 * n).map(|_| rng.below(count) as i64 + low).collect();
            Tensor::from_slice(&v).view([n as i64, 2]).to_device(device)
        };
        let shift = augment.contains(&Augment::Translation).then(|| pairs(-(MAX_SHIFT as i64), 2 * MAX_SHIFT + 1));
        let cut = augment.contains(&Augment::Cutout).then(|| pairs(0, IMAGE_SIDE + 1));
        Self { shift, cut }
    }

    /// Images as D sees them: shifted, then cut; what comes from outside the image or
    /// falls in the square is the background, −1, and every other pixel is an input
    /// pixel, bit for bit. x `[N,1,28,28]` -> `[N,1,28,28]`
    pub fn apply(&self, x: &Tensor) -> Tensor {
        if self.shift.is_none() && self.cut.is_none() {
            return x.shallow_clone();
        }
        let side = IMAGE_SIDE as i64;
        let n = x.size()[0];
        let along = Tensor::arange(side, (Kind::Int64, x.device()));
        let mut seen = x.shallow_clone();
        if let Some(shift) = &self.shift {
            let margin = MAX_SHIFT as i64;
            let wide = side + 2 * margin;
            let padded = x.pad([margin; 4], "constant", -1.0).view([n, wide * wide]);
            // Output (r, c) reads padded (r + rows + margin, c + columns + margin).
            let row = along.view([1, side, 1]) + shift.select(1, 0).view([n, 1, 1]) + margin;
            let col = along.view([1, 1, side]) + shift.select(1, 1).view([n, 1, 1]) + margin;
            let index = (row * wide + col).view([n, side * side]);
            seen = padded.gather(1, &index, false).view([n, 1, side, side]);
        }
        if let Some(cut) = &self.cut {
            let half = (CUTOUT_SIDE / 2) as i64;
            let inside = |axis: i64| {
                let offset = along.view([1, side]) - cut.select(1, axis).view([n, 1]);
                offset.ge(-half).logical_and(&offset.lt(half))
            };
            let hole = inside(0).view([n, 1, side, 1]).logical_and(&inside(1).view([n, 1, 1, side]));
            seen = seen.masked_fill(&hole, -1.0);
        }
        seen
    }

    /// A copy in fresh tensors (a graph's static inputs).
    pub fn copy(&self) -> Self {
        Self { shift: self.shift.as_ref().map(Tensor::copy), cut: self.cut.as_ref().map(Tensor::copy) }
    }

    /// Overwrite these tensors with `other`'s values, in place.
    pub fn copy_from(&mut self, other: &Self) {
        for (to, from) in [(&mut self.shift, &other.shift), (&mut self.cut, &other.cut)] {
            if let (Some(to), Some(from)) = (to, from) {
                to.copy_(from);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A 28×28 image with pixel (r, c) = r·28 + c scaled into [−1, 1).
    fn ramp() -> Tensor {
        (Tensor::arange(784, (Kind::Float, Device::Cpu)) / 392.0 - 1.0).view([1, 1, 28, 28])
    }

    fn at(t: &Tensor, r: i64, c: i64) -> f64 {
        t.double_value(&[0, 0, r, c])
    }

    #[test]
    fn a_shift_moves_pixels_exactly_and_fills_with_background() {
        let x = ramp();
        let shift = Tensor::from_slice(&[2i64, -3]).view([1, 2]);
        let y = AugmentDraws { shift: Some(shift), cut: None }.apply(&x);
        // Output (r, c) is input (r + 2, c − 3), bit for bit; what came from outside is −1.
        assert_eq!(at(&y, 5, 10), at(&x, 7, 7));
        assert_eq!(at(&y, 0, 3), at(&x, 2, 0));
        assert_eq!(at(&y, 26, 10), -1.0);
        assert_eq!(at(&y, 5, 2), -1.0);
        let moved = y.narrow(2, 0, 26).narrow(3, 3, 25);
        let source = x.narrow(2, 2, 26).narrow(3, 0, 25);
        assert_eq!(f64::try_from((moved - source).abs().max()).unwrap(), 0.0);
    }

    #[test]
    fn a_cutout_blanks_its_square_clipped_at_the_edges() {
        let x = ramp();
        let cut = Tensor::from_slice(&[3i64, 20]).view([1, 2]);
        let y = AugmentDraws { shift: None, cut: Some(cut) }.apply(&x);
        // Rows 3−7..3+7 and columns 20−7..20+7, within the image: rows 0..10, columns 13..27.
        let blank = y.narrow(2, 0, 10).narrow(3, 13, 14);
        assert_eq!(f64::try_from(blank.max()).unwrap(), -1.0);
        let blanked = f64::try_from(y.ne_tensor(&x).sum(Kind::Float)).unwrap();
        assert_eq!(blanked, 140.0, "10 rows × 14 columns changed");
    }

    #[test]
    fn draws_stay_in_range_and_follow_the_rng() {
        let both = [Augment::Translation, Augment::Cutout];
        let a = AugmentDraws::draw(&mut SplitMix64::new(7), 500, &both, Device::Cpu);
        let b = AugmentDraws::draw(&mut SplitMix64::new(7), 500, &both, Device::Cpu);
        let (shift, cut) = (a.shift.unwrap(), a.cut.unwrap());
        assert_eq!((i64::try_from(shift.min()).unwrap(), i64::try_from(shift.max()).unwrap()), (-4, 4));
        assert_eq!((i64::try_from(cut.min()).unwrap(), i64::try_from(cut.max()).unwrap()), (0, 28));
        assert!(shift.equal(&b.shift.unwrap()) && cut.equal(&b.cut.unwrap()));
        let none = AugmentDraws::draw(&mut SplitMix64::new(7), 500, &[], Device::Cpu);
        assert!(none.shift.is_none() && none.cut.is_none());
    }
}
