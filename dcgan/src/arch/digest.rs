//! How a table is recognised: a digest of its text, recorded in runs and ONNX files.

use std::fmt::Write as _;

use super::{Act, Arch, BN_EPS, Condition, DISCRIMINATORS, GENERATORS, LEAKY_SLOPE, Layer, Op};

impl Arch {
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
    pub(super) fn digest_text(&self) -> String {
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
