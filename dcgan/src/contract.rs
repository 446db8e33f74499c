//! The generator's interface (DESIGN.md §2, §3, §7), as values every crate reads: the
//! ONNX names, shapes and types, the latent distribution, the pixel mapping both ways,
//! the grid layout and the plan of a 0–9 grid. Everything here follows from the layer
//! table [`GENERATOR`]; the tests below tie each value to it, and `contract.json`
//! (written by `tests/golden.rs`) carries the same values to the page's JavaScript and to
//! the README's Python.

use crate::arch::{CONDITIONAL_GENERATOR, GENERATOR, IMAGE_SIDE};

/// Name of the latent input, `z` f32 `[N, LATENT_DIM]`.
pub const INPUT: &str = GENERATOR.input_name;
/// Name of a conditional generator's second input, `label` int64 `[N]`.
pub const LABEL: &str = "label";
/// Name of the output, `image` f32 `[N, 1, 28, 28]`.
pub const OUTPUT: &str = GENERATOR.output_name;
/// Length of one latent row.
pub const LATENT_DIM: usize = GENERATOR.input[0];
/// Per-sample output shape `[C, H, W]`.
pub const IMAGE_SHAPE: [usize; 3] = [1, IMAGE_SIDE, IMAGE_SIDE];
/// Values per output image.
pub const IMAGE_LEN: usize = IMAGE_SHAPE[0] * IMAGE_SHAPE[1] * IMAGE_SHAPE[2];
/// Classes of the conditional generator, and those assumed for a conditional file that
/// does not state `num_classes`.
pub const CLASSES: usize = match CONDITIONAL_GENERATOR.condition {
    Some(crate::arch::Condition::Embed { classes, .. } | crate::arch::Condition::Projection { classes }) => classes,
    None => 0,
};

/// The tensor types of the interface, in ONNX's and the Open Inference Protocol's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    /// 32-bit float (`z`, `image`).
    F32,
    /// 64-bit signed integer (`label`).
    I64,
}

impl Dtype {
    /// `TensorProto.DataType` in onnx.proto.
    pub const fn onnx(self) -> i32 {
        match self {
            Dtype::F32 => 1,
            Dtype::I64 => 7,
        }
    }

    /// The Open Inference Protocol's datatype name.
    pub const fn oip(self) -> &'static str {
        match self {
            Dtype::F32 => "FP32",
            Dtype::I64 => "INT64",
        }
    }

    /// Triton's `data_type` in a model configuration.
    pub const fn triton(self) -> &'static str {
        match self {
            Dtype::F32 => "TYPE_FP32",
            Dtype::I64 => "TYPE_INT64",
        }
    }
}

/// Type of `z`.
pub const INPUT_DTYPE: Dtype = Dtype::F32;
/// Type of `label`.
pub const LABEL_DTYPE: Dtype = Dtype::I64;
/// Type of `image`.
pub const OUTPUT_DTYPE: Dtype = Dtype::F32;

/// `z`'s shape with the batch as `batch` (-1 for "any", as OIP metadata says it).
pub const fn input_shape(batch: i64) -> [i64; 2] {
    [batch, LATENT_DIM as i64]
}

/// `image`'s shape with the batch as `batch`.
pub const fn output_shape(batch: i64) -> [i64; 4] {
    [batch, IMAGE_SHAPE[0] as i64, IMAGE_SHAPE[1] as i64, IMAGE_SHAPE[2] as i64]
}

/// Metadata value naming the latent distribution (SplitMix64 draws, DESIGN.md §3).
pub const LATENT_DISTRIBUTION: &str = "uniform(-1,1)";
/// Metadata value naming the output range.
pub const IMAGE_RANGE: &str = "[-1,1]";

/// An MNIST pixel (0..=255) as the trainer feeds it to D: x/255·2 − 1, in f32.
pub fn pixel_to_unit(p: u8) -> f32 {
    f32::from(p) / 255.0 * 2.0 - 1.0
}

/// A generated value in `[-1, 1]` as a gray level: round((clamp(v, -1, 1) + 1)·127.5), in
/// f32, so that every language rounds the same way.
pub fn unit_to_pixel(v: f32) -> u8 {
    ((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8
}

/// Black pixels around and between the tiles of a grid (torchvision's `make_grid`).
pub const GRID_PAD: u32 = 2;

/// Columns of a near-square grid of `n` images: ⌈√n⌉, at least 1.
pub fn near_square_cols(n: usize) -> usize {
    (n as f64).sqrt().ceil().max(1.0) as usize
}

/// The pixel size of a grid of `n` tiles in `cols` columns (clamped to 1..=n) at `scale`:
/// `(cols, rows, width, height)`, computed in u64 so that no request can overflow it.
pub fn grid_layout(n: usize, cols: usize, scale: u32) -> (usize, usize, u64, u64) {
    tile_layout(n, cols, IMAGE_SIDE as u64 * u64::from(scale))
}

/// [`grid_layout`] for square tiles of `tile` pixels.
pub fn tile_layout(n: usize, cols: usize, tile: u64) -> (usize, usize, u64, u64) {
    let cols = cols.clamp(1, n.max(1));
    let rows = n.div_ceil(cols);
    let (step, pad) = (tile + u64::from(GRID_PAD), u64::from(GRID_PAD));
    (cols, rows, cols as u64 * step + pad, rows as u64 * step + pad)
}

/// Label of row `i` when a conditional generator is given none: `i mod classes`.
pub fn default_label(i: usize, classes: usize) -> i64 {
    (i % classes.max(1)) as i64
}

/// Labels of rows `first..first + n` when none are given (see [`default_label`]).
pub fn default_labels(first: usize, n: usize, classes: usize) -> Vec<i64> {
    (first..first + n).map(|i| default_label(i, classes)).collect()
}

/// The 0–9 grid (`infer --digits all -n per_row`, the page's "0–9 rows"): `classes` rows
/// of `per_row` images, latents `0..classes·per_row` drawn from the seed in order, and
/// image `i` labelled `i / per_row`. `None` when the count overflows.
pub fn digits_all_count(per_row: usize, classes: usize) -> Option<usize> {
    per_row.checked_mul(classes)
}

/// Label of image `i` of a 0–9 grid of `per_row` images per row.
pub fn digits_all_label(i: usize, per_row: usize) -> i64 {
    (i / per_row.max(1)) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::{Condition, NUM_CLASSES};

    #[test]
    fn the_contract_is_the_generator_table() {
        assert_eq!(GENERATOR.input, &[LATENT_DIM]);
        assert_eq!(GENERATOR.output(), IMAGE_SHAPE.to_vec());
        assert_eq!((GENERATOR.input_name, GENERATOR.output_name), (INPUT, OUTPUT));
        assert_eq!(CONDITIONAL_GENERATOR.classes(), Some(CLASSES));
        assert!(matches!(CONDITIONAL_GENERATOR.condition, Some(Condition::Embed { classes: NUM_CLASSES, .. })));
        assert_eq!(IMAGE_LEN, crate::arch::IMAGE_PIXELS);
        assert_eq!(output_shape(-1), [-1, 1, 28, 28]);
        assert_eq!(input_shape(3), [3, 100]);
    }

    #[test]
    fn pixels_map_both_ways() {
        assert_eq!((pixel_to_unit(0), pixel_to_unit(255)), (-1.0, 1.0));
        for p in 0..=255u8 {
            assert_eq!(unit_to_pixel(pixel_to_unit(p)), p, "pixel {p} round trip");
        }
        assert_eq!((unit_to_pixel(-5.0), unit_to_pixel(0.0), unit_to_pixel(f32::INFINITY)), (0, 128, 255));
    }

    #[test]
    fn grids_and_digit_plans() {
        assert_eq!(near_square_cols(25), 5);
        assert_eq!(near_square_cols(26), 6);
        assert_eq!(near_square_cols(0), 1);
        assert_eq!(grid_layout(3, 2, 1), (2, 2, 62, 62));
        assert_eq!(grid_layout(3, 0, 1).0, 1);
        let labels: Vec<i64> = (0..7).map(|i| digits_all_label(i, 3)).collect();
        assert_eq!(labels, [0, 0, 0, 1, 1, 1, 2]);
        assert_eq!(digits_all_count(usize::MAX, CLASSES), None);
        assert_eq!(default_labels(8, 4, CLASSES), [8, 9, 0, 1]);
    }
}
