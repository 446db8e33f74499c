//! The layer table: the one place the architecture is written down.
//!
//! Shapes are per sample, `[C, H, W]` (or `[F]` for a flat vector). The TF "SAME"
//! geometry of the tutorial is spelled out rather than approximated: G's `ct1` is a
//! ConvTranspose with symmetric padding 1 (4→8) followed by keeping the first 7
//! rows and columns, and D's `c3` zero-pads 1 before and 2 after (7→10) before an
//! unpadded convolution (10→4). `padding=2, output_padding=1` would give the same
//! shapes shifted by a pixel; the numeric tests in `train` pin the real geometry.

use std::fmt::Write as _;

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
    /// tanh, to [-1, 1].
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
/// `label` int64 [N]; the layers themselves are unchanged.
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
    /// Projection discriminator (Miyato & Koyama 2018): the logit gains ⟨table[label], h⟩,
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

/// G: z [N,100] -> image [N,1,28,28] in [-1,1].
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

/// Class-conditional G: (z [N,100], label [N]) -> image [N,1,28,28]; the same layers,
/// with one-hot(label) joining z at `fc` (as a per-class vector added to fc's output).
pub const CONDITIONAL_GENERATOR: Arch =
    Arch { condition: Some(Condition::Embed { classes: NUM_CLASSES, layer: "fc" }), ..GENERATOR };

/// Class-conditional D with a projection head: (image, label) -> logit [N,1].
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

/// D: image [N,1,28,28] -> logit [N,1].
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

/// Which of a layer's tensors a parameter is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// Trained by the optimiser.
    Trainable,
    /// A BatchNorm running statistic: saved and exported, not trained.
    Buffer,
}

/// One named tensor of a network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Stable name, e.g. `ct1.weight` or `bn1.running_var`.
    pub name: String,
    /// Shape in PyTorch's layout (Linear `[out, in]`, ConvTranspose `[cin, cout, k, k]`,
    /// Conv `[cout, cin, k, k]`), which is also ONNX's.
    pub shape: Vec<usize>,
    /// Trainable or buffer.
    pub kind: ParamKind,
}

impl Op {
    /// Per-sample output shape for a per-sample input shape.
    pub fn output_shape(&self, input: &[usize]) -> Vec<usize> {
        match *self {
            Op::Linear { outputs, reshape, .. } => match reshape {
                Some(s) => s.to_vec(),
                None => vec![outputs],
            },
            Op::ConvTranspose { cout, kernel, stride, pad, keep, .. } => {
                let full = (input[1] - 1) * stride + kernel - 2 * pad;
                let side = keep.unwrap_or(full);
                vec![cout, side, side]
            }
            Op::Conv { cout, kernel, stride, pad_before, pad_after, .. } => {
                let side = (input[1] + pad_before + pad_after - kernel) / stride + 1;
                vec![cout, side, side]
            }
        }
    }

    /// Output channels (features for Linear).
    pub fn channels(&self) -> usize {
        match *self {
            Op::Linear { outputs, reshape, .. } => reshape.map_or(outputs, |s| s[0]),
            Op::ConvTranspose { cout, .. } | Op::Conv { cout, .. } => cout,
        }
    }

    /// Shape of the weight, PyTorch/ONNX layout.
    pub fn weight_shape(&self) -> Vec<usize> {
        match *self {
            Op::Linear { inputs, outputs, .. } => vec![outputs, inputs],
            Op::ConvTranspose { cin, cout, kernel, .. } => vec![cin, cout, kernel, kernel],
            Op::Conv { cin, cout, kernel, .. } => vec![cout, cin, kernel, kernel],
        }
    }

    /// Length of the bias.
    pub fn bias_len(&self) -> usize {
        match *self {
            Op::Linear { outputs, .. } => outputs,
            Op::ConvTranspose { cout, .. } | Op::Conv { cout, .. } => cout,
        }
    }
}

impl Arch {
    /// Per-sample output shape of each layer, in order.
    pub fn shapes(&self) -> Vec<(&'static str, Vec<usize>)> {
        let mut shape = self.input.to_vec();
        self.layers
            .iter()
            .map(|l| {
                shape = l.op.output_shape(&shape);
                (l.name, shape.clone())
            })
            .collect()
    }

    /// Per-sample output shape of the whole network.
    pub fn output(&self) -> Vec<usize> {
        self.shapes().pop().map(|(_, s)| s).unwrap_or_default()
    }

    /// Every parameter and buffer, with its stable name and shape, in layer order.
    pub fn params(&self) -> Vec<Param> {
        let mut out = Vec::new();
        let mut push = |name: String, shape: Vec<usize>, kind| out.push(Param { name, shape, kind });
        for l in self.layers {
            push(format!("{}.weight", l.name), l.op.weight_shape(), ParamKind::Trainable);
            push(format!("{}.bias", l.name), vec![l.op.bias_len()], ParamKind::Trainable);
            if let Some(bn) = l.norm {
                let c = vec![l.op.channels()];
                push(format!("{bn}.weight"), c.clone(), ParamKind::Trainable);
                push(format!("{bn}.bias"), c.clone(), ParamKind::Trainable);
                push(format!("{bn}.running_mean"), c.clone(), ParamKind::Buffer);
                push(format!("{bn}.running_var"), c, ParamKind::Buffer);
            }
        }
        if let Some((classes, features)) = self.label_table() {
            push(LABEL_TABLE.into(), vec![classes, features], ParamKind::Trainable);
        }
        out
    }

    /// Classes of a conditional network (`None` when unconditional).
    pub fn classes(&self) -> Option<usize> {
        match self.condition? {
            Condition::Embed { classes, .. } | Condition::Projection { classes } => Some(classes),
        }
    }

    /// Shape of [`LABEL_TABLE`], `(classes, features)`: one row per class, as long as the
    /// output of the layer it joins (Embed) or the last layer's input (Projection).
    pub fn label_table(&self) -> Option<(usize, usize)> {
        let shapes = self.shapes();
        let features = match self.condition? {
            Condition::Embed { layer, .. } => shapes.iter().find(|(n, _)| *n == layer)?.1.iter().product(),
            Condition::Projection { .. } => {
                let before_last = shapes.len().checked_sub(2)?;
                shapes[before_last].1.iter().product()
            }
        };
        Some((self.classes()?, features))
    }

    /// Index of the layer that receives an [`Condition::Embed`] vector.
    pub fn embed_layer(&self) -> Option<usize> {
        match self.condition? {
            Condition::Embed { layer, .. } => self.layers.iter().position(|l| l.name == layer),
            Condition::Projection { .. } => None,
        }
    }

    /// A short digest of the table, recorded in runs and ONNX files so that a file
    /// from another architecture is recognised as such: SHA-256 of [`Arch::digest_text`].
    pub fn digest(&self) -> String {
        crate::config::short_sha256(self.digest_text().as_bytes())
    }

    /// The text the digest hashes, written field by field (each struct is destructured,
    /// so a new field does not compile until it is given a place here). A field that
    /// tables gain later should enter the text only at non-default values, so that older
    /// runs and files keep their digests; the text is the one `Debug` printed when the
    /// digest was introduced, and the unconditional tables hash exactly that.
    pub fn digest_text(&self) -> String {
        let Arch { name, input_name, output_name, input, layers, condition } = self;
        let layers: Vec<String> = layers.iter().map(Layer::digest_text).collect();
        let mut text = format!(
            "Arch {{ name: {name:?}, input_name: {input_name:?}, output_name: {output_name:?}, input: {input:?}, layers: [{}] }}|eps={BN_EPS}|slope={LEAKY_SLOPE}",
            layers.join(", ")
        );
        match condition {
            None => {}
            Some(Condition::Embed { classes, layer }) => {
                let _ = write!(text, "|condition=Embed {{ classes: {classes}, layer: {layer:?} }}");
            }
            Some(Condition::Projection { classes }) => {
                let _ = write!(text, "|condition=Projection {{ classes: {classes} }}");
            }
        }
        text
    }
}

impl Layer {
    fn digest_text(&self) -> String {
        let Layer { name, op, norm, act } = self;
        // The text predates weight decay's move out of the table into the training
        // settings; it still ends in the layer's decay flag, so that the digests that
        // runs and shipped models record stay valid (pinned by a test below).
        let decay = crate::config::WEIGHT_DECAY_LAYERS.contains(name);
        let op = match *op {
            Op::Linear { inputs, outputs, reshape } => {
                format!("Linear {{ inputs: {inputs}, outputs: {outputs}, reshape: {reshape:?} }}")
            }
            Op::ConvTranspose { cin, cout, kernel, stride, pad, keep } => format!(
                "ConvTranspose {{ cin: {cin}, cout: {cout}, kernel: {kernel}, stride: {stride}, pad: {pad}, keep: {keep:?} }}"
            ),
            Op::Conv { cin, cout, kernel, stride, pad_before, pad_after } => format!(
                "Conv {{ cin: {cin}, cout: {cout}, kernel: {kernel}, stride: {stride}, pad_before: {pad_before}, pad_after: {pad_after} }}"
            ),
        };
        let act = match act {
            Act::None => "None",
            Act::Relu => "Relu",
            Act::LeakyRelu => "LeakyRelu",
            Act::Tanh => "Tanh",
        };
        format!("Layer {{ name: {name:?}, op: {op}, norm: {norm:?}, act: {act}, decay: {decay} }}")
    }
}

/// The generator table whose digest is `digest`.
pub fn generator_by_digest(digest: &str) -> Option<&'static Arch> {
    GENERATORS.into_iter().find(|a| a.digest() == digest)
}

/// The discriminator table whose digest is `digest`.
pub fn discriminator_by_digest(digest: &str) -> Option<&'static Arch> {
    DISCRIMINATORS.into_iter().find(|a| a.digest() == digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generator_shapes_follow_the_design() {
        let want: Vec<(&str, Vec<usize>)> = vec![
            ("fc", vec![256, 4, 4]),
            ("ct1", vec![128, 7, 7]),
            ("ct2", vec![64, 14, 14]),
            ("ct3", vec![1, 28, 28]),
        ];
        assert_eq!(GENERATOR.shapes(), want);
    }

    #[test]
    fn discriminator_shapes_follow_the_design() {
        let want: Vec<(&str, Vec<usize>)> =
            vec![("c1", vec![64, 14, 14]), ("c2", vec![128, 7, 7]), ("c3", vec![256, 4, 4]), ("fc", vec![1])];
        assert_eq!(DISCRIMINATOR.shapes(), want);
    }

    #[test]
    fn parameter_names_are_stable() {
        let names: Vec<String> = GENERATOR.params().into_iter().map(|p| p.name).collect();
        assert_eq!(
            names,
            [
                "fc.weight",
                "fc.bias",
                "ct1.weight",
                "ct1.bias",
                "bn1.weight",
                "bn1.bias",
                "bn1.running_mean",
                "bn1.running_var",
                "ct2.weight",
                "ct2.bias",
                "bn2.weight",
                "bn2.bias",
                "bn2.running_mean",
                "bn2.running_var",
                "ct3.weight",
                "ct3.bias",
            ]
        );
        let total: usize = GENERATOR.params().iter().map(|p| p.shape.iter().product::<usize>()).sum();
        assert_eq!(total, 100 * 4096 + 4096 + 256 * 128 * 16 + 128 * 5 + 128 * 64 * 16 + 64 * 5 + 64 * 16 + 1);
    }

    #[test]
    fn digests_differ_between_networks() {
        assert_ne!(GENERATOR.digest(), DISCRIMINATOR.digest());
        assert_eq!(GENERATOR.digest().len(), 16);
        let all: Vec<String> = GENERATORS.iter().chain(DISCRIMINATORS.iter()).map(|a| a.digest()).collect();
        let mut unique = all.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), all.len(), "{all:?}");
    }

    /// The shipped models' config.json and ONNX metadata record these; a change would
    /// orphan every run and file.
    #[test]
    fn digests_are_the_ones_runs_recorded() {
        assert_eq!(GENERATOR.digest(), "d2fd40781e94f681");
        assert_eq!(DISCRIMINATOR.digest(), "92b334f3b84402e7");
        assert_eq!(CONDITIONAL_GENERATOR.digest(), "91419977f2d07ab7");
        assert_eq!(PROJECTION_DISCRIMINATOR.digest(), "f2816d5f3594c42c");
        assert_eq!(EMBED_DISCRIMINATOR.digest(), "ea523b80a87b0f19");
    }

    /// Weight decay left the table for the training settings; the digests above pin
    /// that the text still marks exactly the layers it marked: D's c2 and c3, no G layer.
    #[test]
    fn the_decay_flag_of_the_digest_marks_ds_c2_and_c3_only() {
        let marked = |a: &Arch| -> Vec<&str> {
            a.layers.iter().filter(|l| l.digest_text().ends_with("decay: true }")).map(|l| l.name).collect()
        };
        for a in GENERATORS {
            assert!(marked(a).is_empty(), "{}: {:?}", a.name, marked(a));
        }
        for a in DISCRIMINATORS {
            assert_eq!(marked(a), ["c2", "c3"], "{}", a.name);
        }
    }

    #[test]
    fn conditional_tables_add_one_label_table_and_keep_the_layers() {
        assert!(std::ptr::eq(CONDITIONAL_GENERATOR.layers, GENERATOR.layers));
        assert_eq!(CONDITIONAL_GENERATOR.label_table(), Some((10, 4096)));
        assert_eq!(PROJECTION_DISCRIMINATOR.label_table(), Some((10, 4096)));
        assert_eq!(EMBED_DISCRIMINATOR.label_table(), Some((10, 64 * 14 * 14)));
        let extra = CONDITIONAL_GENERATOR.params().len() - GENERATOR.params().len();
        assert_eq!(extra, 1);
        assert_eq!(CONDITIONAL_GENERATOR.params().last().map(|p| p.name.as_str()), Some(LABEL_TABLE));
        assert_eq!(generator_by_digest(&CONDITIONAL_GENERATOR.digest()), Some(&CONDITIONAL_GENERATOR));
        assert_eq!(GENERATOR.classes(), None);
    }
}
