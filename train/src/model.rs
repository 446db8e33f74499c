//! tch networks built from the shared layer table.

use dcgan::arch::{Act, Arch, BN_EPS, BN_MOMENTUM, Condition, INIT_STD, LABEL_TABLE, LEAKY_SLOPE, Op, ParamKind};
use dcgan::{Tensor as HostTensor, TensorMap};
use tch::{Device, Kind, Tensor};

/// A network of the table: its parameters by stable name, on one device.
#[derive(Debug)]
pub struct Net {
    /// The table it was built from.
    pub arch: &'static Arch,
    /// `(name, tensor)` in table order; trainable ones require grad.
    pub params: Vec<(String, Tensor)>,
}

impl Net {
    /// Fresh weights: every weight and bias N(0, 0.02), BN scale 1, offset 0, running
    /// mean 0, running variance 1. Drawn on the CPU from libtorch's RNG (seed it with
    /// `tch::manual_seed`) and then moved, so a seed gives the same start on any device.
    pub fn init(arch: &'static Arch, device: Device) -> Self {
        let params = arch
            .params()
            .into_iter()
            .map(|p| {
                let shape: Vec<i64> = p.shape.iter().map(|&d| d as i64).collect();
                let t = if p.name.ends_with("running_var") {
                    Tensor::ones(&shape, (Kind::Float, Device::Cpu))
                } else if p.name.ends_with("running_mean") {
                    Tensor::zeros(&shape, (Kind::Float, Device::Cpu))
                } else if is_bn(arch, &p.name) {
                    let fill = if p.name.ends_with(".weight") { 1.0 } else { 0.0 };
                    Tensor::full(&shape, fill, (Kind::Float, Device::Cpu))
                } else {
                    Tensor::randn(&shape, (Kind::Float, Device::Cpu)) * INIT_STD
                };
                let t = t.to_device(device).set_requires_grad(p.kind == ParamKind::Trainable);
                (p.name, t)
            })
            .collect();
        Self { arch, params }
    }

    /// Build from host tensors (a weights file); the caller has checked names and shapes.
    pub fn from_host(arch: &'static Arch, tensors: &TensorMap, device: Device, trainable: bool) -> Self {
        let params = arch
            .params()
            .into_iter()
            .map(|p| {
                let host = &tensors[&p.name];
                let t = to_tch(host).to_device(device);
                let t = t.set_requires_grad(trainable && p.kind == ParamKind::Trainable);
                (p.name, t)
            })
            .collect();
        Self { arch, params }
    }

    /// Copy every parameter to host memory, by stable name.
    pub fn to_host(&self) -> TensorMap {
        self.params.iter().map(|(n, t)| (n.clone(), to_host(t))).collect()
    }

    /// The trainable `(name, tensor)` pairs, in table order (BN running statistics excluded).
    pub fn trainable(&self) -> Vec<(&str, &Tensor)> {
        let kinds = self.arch.params().into_iter().map(|p| p.kind);
        self.params
            .iter()
            .zip(kinds)
            .filter(|(_, k)| *k == ParamKind::Trainable)
            .map(|((n, t), _)| (n.as_str(), t))
            .collect()
    }

    /// Turn gradients on or off for every trainable tensor (off for D while G trains,
    /// so no work is spent on gradients nobody reads).
    pub fn set_trainable(&mut self, on: bool) {
        let kinds = self.arch.params().into_iter().map(|p| p.kind);
        for ((_, t), kind) in self.params.iter_mut().zip(kinds) {
            if kind == ParamKind::Trainable {
                *t = t.set_requires_grad(on);
            }
        }
    }

    fn get(&self, name: &str) -> &Tensor {
        &self.params.iter().find(|(n, _)| n == name).expect("the table names every parameter").1
    }

    /// Σw²/2 over the weights of [`dcgan::config::WEIGHT_DECAY_LAYERS`].
    pub fn l2_penalty(&self) -> Option<Tensor> {
        self.arch
            .layers
            .iter()
            .filter(|l| dcgan::config::WEIGHT_DECAY_LAYERS.contains(&l.name))
            .map(|l| self.get(&format!("{}.weight", l.name)).square().sum(Kind::Float) * 0.5)
            .reduce(|a, b| a + b)
    }

    /// G: z `[N,100]` (label `[N]` int64) -> `[N,1,28,28]`; D: x `[N,1,28,28]` (label `[N]`) ->
    /// logits `[N,1]`. `label` is read by conditional tables only (and required by them).
    /// `train` selects batch statistics (and updates the running ones) in BatchNorm.
    pub fn forward(&self, x: &Tensor, label: Option<&Tensor>, train: bool) -> Tensor {
        self.forward_with(x, label, train, BN_MOMENTUM)
    }

    /// [`Net::forward`] with BatchNorm's running-statistics momentum given.
    fn forward_with(&self, x: &Tensor, label: Option<&Tensor>, train: bool, momentum: f64) -> Tensor {
        self.forward_parts(x, label, train, momentum).0
    }

    /// A projection D's logits `[N,1]` and, from the same pass, its class scores
    /// `[N,classes]`: `⟨table[c], h⟩` for every class c, the term the projection adds to
    /// the logit for label c (`--class-loss` trains them as a classifier). The scores are
    /// `None` for any other table (no label table to score with).
    pub fn forward_scored(&self, x: &Tensor, label: Option<&Tensor>, train: bool) -> (Tensor, Option<Tensor>) {
        let (logits, h) = self.forward_parts(x, label, train, BN_MOMENTUM);
        let scores = match self.arch.condition {
            Some(Condition::Projection { .. }) => Some(h.flatten(1, -1).matmul(&self.get(LABEL_TABLE).tr())),
            _ => None,
        };
        (logits, scores)
    }

    /// The output and the last layer's input `h` (what a projection head reads).
    fn forward_parts(&self, x: &Tensor, label: Option<&Tensor>, train: bool, momentum: f64) -> (Tensor, Tensor) {
        let last = self.arch.layers.len() - 1;
        let h = (0..last).fold(x.shallow_clone(), |h, i| self.layer_with(i, &h, label, train, momentum));
        let out = self.layer_with(last, &h, label, train, momentum);
        let out = match self.arch.condition {
            // Projection: the logit gains ⟨table[label], h⟩ over the last layer's input.
            Some(Condition::Projection { .. }) => {
                let rows = self.get(LABEL_TABLE).index_select(0, label.expect("a conditional net needs labels"));
                out + (rows * h.flatten(1, -1)).sum_dim_intlist(1, true, Kind::Float)
            }
            _ => out,
        };
        (out, h)
    }

    /// Layer `i` whole: its op (plus the class vector of an Embed condition), BatchNorm,
    /// activation. Shapes per the table.
    pub fn layer(&self, i: usize, x: &Tensor, label: Option<&Tensor>, train: bool) -> Tensor {
        self.layer_with(i, x, label, train, BN_MOMENTUM)
    }

    fn layer_with(&self, i: usize, x: &Tensor, label: Option<&Tensor>, train: bool, momentum: f64) -> Tensor {
        let layer = &self.arch.layers[i];
        let mut h = self.op(i, x);
        if self.arch.embed_layer() == Some(i) {
            let rows = self.get(LABEL_TABLE).index_select(0, label.expect("a conditional net needs labels"));
            let size = h.size();
            h = h.g_add(&rows.view(size.as_slice()));
        }
        if let Some(bn) = layer.norm {
            h = h.batch_norm(
                Some(self.get(&format!("{bn}.weight"))),
                Some(self.get(&format!("{bn}.bias"))),
                Some(self.get(&format!("{bn}.running_mean"))),
                Some(self.get(&format!("{bn}.running_var"))),
                train,
                momentum,
                BN_EPS,
                true,
            );
        }
        match layer.act {
            Act::None => h,
            Act::Relu => h.relu(),
            Act::LeakyRelu => torch_ops::leaky_relu(&h, LEAKY_SLOPE).expect("LeakyReLU takes any float tensor"),
            Act::Tanh => h.tanh(),
        }
    }

    /// The linear part of layer `i` only (what the geometry tests pin down):
    /// Linear `[N,F]` -> `[N,out]` (reshaped when the table says), ConvTranspose with
    /// symmetric padding then the crop, Conv after explicit zero padding.
    pub fn op(&self, i: usize, h: &Tensor) -> Tensor {
        let layer = &self.arch.layers[i];
        let w = self.get(&format!("{}.weight", layer.name));
        let b = self.get(&format!("{}.bias", layer.name));
        match layer.op {
            Op::Linear { reshape, .. } => {
                let y = h.flatten(1, -1).linear(w, Some(b));
                match reshape {
                    Some([c, hh, ww]) => y.view([-1, c as i64, hh as i64, ww as i64]),
                    None => y,
                }
            }
            Op::ConvTranspose { cout, kernel, stride, pad, keep, .. } => {
                let (s, p, k) = (stride as i64, pad as i64, kernel as i64);
                // oneDNN's transposed convolution is slow with a single output channel (G's
                // image layer: 11 ms for 40 MFLOP at batch 100 on two cores); libtorch's own
                // im2col kernel takes 1.4 ms for the same sums.
                let y = if cout == 1 && h.device() == Device::Cpu {
                    h.slow_conv_transpose2d(w, [k, k], Some(b), [s, s], [p, p], [0, 0], [1, 1])
                } else {
                    h.conv_transpose2d(w, Some(b), [s, s], [p, p], [0, 0], 1, [1, 1])
                };
                match keep {
                    Some(k) => y.narrow(2, 0, k as i64).narrow(3, 0, k as i64),
                    None => y,
                }
            }
            Op::Conv { stride, pad_before, pad_after, .. } => {
                let s = stride as i64;
                if pad_before == pad_after {
                    let p = pad_before as i64;
                    h.conv2d(w, Some(b), [s, s], [p, p], [1, 1], 1)
                } else {
                    let (a, z) = (pad_before as i64, pad_after as i64);
                    h.constant_pad_nd([a, z, a, z]).conv2d(w, Some(b), [s, s], [0, 0], [1, 1], 1)
                }
            }
        }
    }

    /// Eval-mode output without gradients: x `[N,...]` -> `[N,...]` (see [`Net::forward`]).
    pub fn eval(&self, x: &Tensor, label: Option<&Tensor>) -> Tensor {
        tch::no_grad(|| self.forward(x, label, false))
    }

    /// Set every BatchNorm's running statistics to the exact average of its batch
    /// statistics over `batches` (train-mode passes with momentum 1/(k+1)), so that
    /// weights that were never trained with their own batches (an EMA) get statistics of
    /// their own.
    pub fn recompute_bn_stats<'a>(&mut self, batches: impl IntoIterator<Item = (&'a Tensor, Option<&'a Tensor>)>) {
        tch::no_grad(|| {
            for (name, t) in &mut self.params {
                if name.ends_with("running_mean") {
                    let _ = t.zero_();
                } else if name.ends_with("running_var") {
                    let _ = t.fill_(1.0);
                }
            }
            for (k, (x, label)) in batches.into_iter().enumerate() {
                let _ = self.forward_with(x, label, true, 1.0 / (k as f64 + 1.0));
            }
        });
    }

    /// A detached copy on the same device, for gradients off (an EMA's home).
    pub fn detached_copy(&self) -> Self {
        let params = self.params.iter().map(|(n, t)| (n.clone(), t.detach().copy())).collect();
        Self { arch: self.arch, params }
    }
}

/// A float64 scalar on `device`: the step counts and rates that Adam and the EMA keep on
/// the device, so that a step captured in a CUDA graph advances them.
pub fn device_scalar(value: f64, device: Device) -> Tensor {
    Tensor::scalar_tensor(value, (Kind::Double, device))
}

fn is_bn(arch: &Arch, name: &str) -> bool {
    arch.layers.iter().filter_map(|l| l.norm).any(|bn| name.starts_with(&format!("{bn}.")))
}

/// A host tensor as a CPU tch tensor.
pub fn to_tch(t: &HostTensor) -> Tensor {
    let shape: Vec<i64> = t.shape.iter().map(|&d| d as i64).collect();
    Tensor::from_slice(&t.data).view(shape.as_slice())
}

/// `t` as a tch tensor when it has `like`'s shape; `None` otherwise (a checkpoint whose
/// tensor does not fit the network it restores).
pub fn to_tch_like(t: &HostTensor, like: &Tensor) -> Option<Tensor> {
    let shape: Vec<i64> = t.shape.iter().map(|&d| d as i64).collect();
    (shape == like.size()).then(|| to_tch(t))
}

/// A tch tensor (any device) as a host tensor.
pub fn to_host(t: &Tensor) -> HostTensor {
    let shape = t.size().iter().map(|&d| d as usize).collect();
    let flat = t.detach().to_device(Device::Cpu).to_kind(Kind::Float).contiguous().view([-1]);
    let data = Vec::<f32>::try_from(&flat).expect("a float CPU tensor converts to Vec<f32>");
    HostTensor { shape, data }
}
