//! The layer table: the one place the architecture is written down.
//!
//! Shapes are per sample, `[C, H, W]` (or `[F]` for a flat vector). The TF "SAME"
//! geometry of the tutorial is spelled out rather than approximated: G's `ct1` is a
//! ConvTranspose with symmetric padding 1 (4→8) followed by keeping the first 7
//! rows and columns, and D's `c3` zero-pads 1 before and 2 after (7→10) before an
//! unpadded convolution (10→4). `padding=2, output_padding=1` would give the same
//! shapes shifted by a pixel; the numeric tests in `train` pin the real geometry.

mod digest;
mod shapes;
#[cfg(test)]
mod tests;

pub use digest::{discriminator_by_digest, generator_by_digest};
pub use shapes::{Param, ParamKind};

/// BatchNorm epsilon, as in the tutorial and PyTorch.
pub const BN_EPS: f64 = 1e-5;
/// BatchNorm running-statistics momentum (PyTorch convention: new = 0.9·old + 0.1·batch).
pub const BN_MOMENTUM: f64 = 0.1;
/// Slope of LeakyReLU for negative inputs.
pub const LEAKY_SLOPE: f64 = 0.2;
/// Standard deviation of the N(0, σ) initialisation of every weight and bias.
pub const INIT_STD: f64 = 0.02;
/// Length of G's input vector.
pub const LATENT_DIM: usize = 100;
/// Side of an MNIST image.
pub const IMAGE_SIDE: usize = 28;
/// Pixels per image.
pub const IMAGE_PIXELS: usize = IMAGE_SIDE * IMAGE_SIDE;
/// Classes of a conditional network (the ten digits).
pub const NUM_CLASSES: usize = 10;
/// Name of the per-class table of a conditional network (`label.weight`).
pub const LABEL_TABLE: &str = "label.weight";

/// What one layer computes before its normalisation and activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Flatten the input, `y = x·Wᵀ + b`, then reshape to `reshape` when given.
    Linear {
        /// Input features (the flattened input).
        inputs: usize,
        /// Output features.
        outputs: usize,
        /// Per-sample shape of the output, when it is an image.
        reshape: Option<[usize; 3]>,
    },
    /// Transposed convolution with symmetric padding `pad`, then keep the first
    /// `keep` rows and columns when given (TF "SAME" for odd targets).
    ConvTranspose {
        /// Input channels.
        cin: usize,
        /// Output channels.
        cout: usize,
        /// Square kernel side.
        kernel: usize,
        /// Stride.
        stride: usize,
        /// Symmetric padding of the transposed convolution.
        pad: usize,
        /// Crop the output to its first `keep` rows and columns.
        keep: Option<usize>,
    },
    /// Zero-pad `pad_before` / `pad_after` on each spatial side, then convolve unpadded.
    Conv {
        /// Input channels.
        cin: usize,
        /// Output channels.
        cout: usize,
        /// Square kernel side.
        kernel: usize,
        /// Stride.
        stride: usize,
        /// Zeros added above and left.
        pad_before: usize,
        /// Zeros added below and right.
        pad_after: usize,
    },
}

/// The nonlinearity after a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// Identity (D's logit).
    None,
    /// max(x, 0).
    Relu,
    /// max(x, 0.2·x).
    LeakyRelu,
    /// tanh, to `[-1, 1]`.
    Tanh,
}

/// One named layer: `op`, then BatchNorm `norm` (if any), then `act`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layer {
    /// Parameter prefix: `fc` owns `fc.weight` and `fc.bias`.
    pub name: &'static str,
    /// The linear part.
    pub op: Op,
    /// Name of the BatchNorm that follows, e.g. `bn1` (owns `bn1.weight`, `bn1.bias`,
    /// `bn1.running_mean`, `bn1.running_var`).
    pub norm: Option<&'static str>,
    /// The activation.
    pub act: Act,
}

/// How a class-conditional network takes its label (DESIGN.md §7). Either way the
/// network gains one parameter, [`LABEL_TABLE`] `[classes, features]`, and one input,
/// `label` int64 `[N]`; the layers themselves are unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// A learned per-class vector shaped like `layer`'s output, added to it before its
    /// norm and activation. On G's `fc` this is exactly one-hot(label) concatenated with z
    /// (the one-hot's weight columns are the table's rows); on D's `c1` it is what one-hot
    /// input channels can express, and more.
    Embed {
        /// Number of classes.
        classes: usize,
        /// The layer whose output receives the class vector.
        layer: &'static str,
    },
    /// Projection discriminator (Miyato & Koyama 2018): the logit gains `⟨table[label], h⟩`,
    /// h being the flattened input of the last layer.
    Projection {
        /// Number of classes.
        classes: usize,
    },
}

/// A network: an input shape and a stack of layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arch {
    /// `generator` or `discriminator`.
    pub name: &'static str,
    /// ONNX name of the input.
    pub input_name: &'static str,
    /// ONNX name of the output.
    pub output_name: &'static str,
    /// Per-sample input shape.
    pub input: &'static [usize],
    /// The layers, in order.
    pub layers: &'static [Layer],
    /// `Some` for a class-conditional variant of the same layers.
    pub condition: Option<Condition>,
}

/// G: z `[N,100]` -> image `[N,1,28,28]` in `[-1,1]`.
pub const GENERATOR: Arch = Arch {
    name: "generator",
    input_name: "z",
    output_name: "image",
    input: &[LATENT_DIM],
    layers: &[
        Layer {
            name: "fc",
            op: Op::Linear { inputs: LATENT_DIM, outputs: 4096, reshape: Some([256, 4, 4]) },
            norm: None,
            act: Act::Relu,
        },
        Layer {
            name: "ct1",
            op: Op::ConvTranspose { cin: 256, cout: 128, kernel: 4, stride: 2, pad: 1, keep: Some(7) },
            norm: Some("bn1"),
            act: Act::LeakyRelu,
        },
        Layer {
            name: "ct2",
            op: Op::ConvTranspose { cin: 128, cout: 64, kernel: 4, stride: 2, pad: 1, keep: None },
            norm: Some("bn2"),
            act: Act::LeakyRelu,
        },
        Layer {
            name: "ct3",
            op: Op::ConvTranspose { cin: 64, cout: 1, kernel: 4, stride: 2, pad: 1, keep: None },
            norm: None,
            act: Act::Tanh,
        },
    ],
    condition: None,
};

/// Class-conditional G: (z `[N,100]`, label `[N]`) -> image `[N,1,28,28]`; the same layers,
/// with one-hot(label) joining z at `fc` (as a per-class vector added to fc's output).
pub const CONDITIONAL_GENERATOR: Arch =
    Arch { condition: Some(Condition::Embed { classes: NUM_CLASSES, layer: "fc" }), ..GENERATOR };

/// Class-conditional D with a projection head: (image, label) -> logit `[N,1]`.
pub const PROJECTION_DISCRIMINATOR: Arch =
    Arch { condition: Some(Condition::Projection { classes: NUM_CLASSES }), ..DISCRIMINATOR };

/// Class-conditional D, the simple alternative: a per-class map added to c1's output
/// (the function one-hot input channels compute, with a free map per class).
pub const EMBED_DISCRIMINATOR: Arch =
    Arch { condition: Some(Condition::Embed { classes: NUM_CLASSES, layer: "c1" }), ..DISCRIMINATOR };

/// Every generator table, for recognising a run or file by its digest.
pub const GENERATORS: [&Arch; 2] = [&GENERATOR, &CONDITIONAL_GENERATOR];
/// Every discriminator table.
pub const DISCRIMINATORS: [&Arch; 3] = [&DISCRIMINATOR, &PROJECTION_DISCRIMINATOR, &EMBED_DISCRIMINATOR];

/// D: image `[N,1,28,28]` -> logit `[N,1]`.
pub const DISCRIMINATOR: Arch = Arch {
    name: "discriminator",
    input_name: "image",
    output_name: "logit",
    input: &[1, IMAGE_SIDE, IMAGE_SIDE],
    layers: &[
        Layer {
            name: "c1",
            op: Op::Conv { cin: 1, cout: 64, kernel: 4, stride: 2, pad_before: 1, pad_after: 1 },
            norm: None,
            act: Act::LeakyRelu,
        },
        Layer {
            name: "c2",
            op: Op::Conv { cin: 64, cout: 128, kernel: 4, stride: 2, pad_before: 1, pad_after: 1 },
            norm: None,
            act: Act::LeakyRelu,
        },
        Layer {
            name: "c3",
            op: Op::Conv { cin: 128, cout: 256, kernel: 4, stride: 2, pad_before: 1, pad_after: 2 },
            norm: None,
            act: Act::LeakyRelu,
        },
        Layer { name: "fc", op: Op::Linear { inputs: 4096, outputs: 1, reshape: None }, norm: None, act: Act::None },
    ],
    condition: None,
};
