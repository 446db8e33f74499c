//! What the table implies: each layer's output shape and each network's named
//! parameters, in PyTorch's (and ONNX's) layout.

use super::{Arch, Condition, LABEL_TABLE, Op};

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
}
