//! A small MNIST classifier whose penultimate features measure sample quality (`eval`).
//!
//! c1 conv 1→32 k3 pad 1, ReLU, max-pool 2 (28→14); c2 conv 32→64 k3 pad 1, ReLU,
//! max-pool 2 (14→7); fc1 3136→128, ReLU (the 128 features); fc2 128→10 logits.

use std::collections::HashMap;
use std::path::Path;

use dcgan::arch::{IMAGE_PIXELS, IMAGE_SIDE};
use dcgan::{SplitMix64, Tensor as HostTensor, TensorMap};
use tch::{Device, Kind, Tensor};

use crate::Error;
use crate::data::Images;
use crate::model::{to_host, to_tch};

/// `models/classifier.safetensors`, compiled in: `eval` and `train --keep-best` score
/// with it wherever they are installed or run from.
const BUILT_IN: &[u8] = dcgan_models::CLASSIFIER;

/// How messages name the built-in classifier.
pub const BUILT_IN_NAME: &str = "the built-in models/classifier.safetensors";

/// Length of the feature vector.
pub const FEATURES: usize = 128;

/// (name, shape) of every parameter.
const PARAMS: [(&str, &[usize]); 8] = [
    ("c1.weight", &[32, 1, 3, 3]),
    ("c1.bias", &[32]),
    ("c2.weight", &[64, 32, 3, 3]),
    ("c2.bias", &[64]),
    ("fc1.weight", &[FEATURES, 3136]),
    ("fc1.bias", &[FEATURES]),
    ("fc2.weight", &[10, FEATURES]),
    ("fc2.bias", &[10]),
];

/// The classifier's parameters on one device.
pub struct Classifier {
    params: Vec<Tensor>,
}

impl Classifier {
    /// Kaiming-uniform-like fresh weights from libtorch's RNG.
    fn init(device: Device) -> Self {
        let params = PARAMS
            .iter()
            .map(|(name, shape)| {
                let dims: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
                let fan_in = if name.ends_with("weight") { shape[1..].iter().product::<usize>() } else { 1 };
                let bound = if name.ends_with("weight") { (6.0 / fan_in as f64).sqrt() } else { 0.0 };
                let t = Tensor::rand(dims.as_slice(), (Kind::Float, Device::Cpu)) * (2.0 * bound) - bound;
                t.to_device(device).set_requires_grad(true)
            })
            .collect();
        Self { params }
    }

    /// x `[N,1,28,28]` in `[-1,1]` -> (features `[N,128]`, logits `[N,10]`); `train` turns on
    /// dropout (p = 0.25) between the features and the logits.
    pub fn forward(&self, x: &Tensor, train: bool) -> (Tensor, Tensor) {
        let p = &self.params;
        let h = x.conv2d(&p[0], Some(&p[1]), [1, 1], [1, 1], [1, 1], 1).relu().max_pool2d(
            [2, 2],
            [2, 2],
            [0, 0],
            [1, 1],
            false,
        );
        let h = h.conv2d(&p[2], Some(&p[3]), [1, 1], [1, 1], [1, 1], 1).relu().max_pool2d(
            [2, 2],
            [2, 2],
            [0, 0],
            [1, 1],
            false,
        );
        let features = h.flatten(1, -1).linear(&p[4], Some(&p[5])).relu();
        let logits = features.dropout(0.25, train).linear(&p[6], Some(&p[7]));
        (features, logits)
    }

    /// Features and class probabilities of `x` [N,784 values in `[-1,1]`], in batches,
    /// without gradients: (`[N,128]`, `[N,10]`) on the CPU.
    pub fn embed(&self, x: &[f32]) -> (Tensor, Tensor) {
        let device = self.params[0].device();
        let (n, side) = ((x.len() / IMAGE_PIXELS) as i64, IMAGE_SIDE as i64);
        let all = Tensor::from_slice(x).view([n, 1, side, side]);
        let (mut feats, mut probs) = (Vec::new(), Vec::new());
        tch::no_grad(|| {
            for start in (0..n).step_by(1000) {
                let len = 1000.min(n - start);
                let (f, l) = self.forward(&all.narrow(0, start, len).to_device(device), false);
                feats.push(f.to_device(Device::Cpu));
                probs.push(l.softmax(-1, Kind::Float).to_device(Device::Cpu));
            }
        });
        (Tensor::cat(&feats, 0), Tensor::cat(&probs, 0))
    }

    /// Train on `train` (Adam, batch 128, lr 1e-3 decayed ×0.7 per epoch, each batch
    /// shifted by up to 2 pixels) for `epochs`; returns the classifier and its accuracy
    /// on `test`.
    pub fn train(train: &Images, test: &Images, epochs: usize, seed: u64, device: Device) -> (Self, f64) {
        tch::manual_seed(seed as i64);
        let net = Self::init(device);
        let x = Tensor::from_slice(&train.scaled())
            .view([train.count as i64, 1, IMAGE_SIDE as i64, IMAGE_SIDE as i64])
            .to_device(device);
        let y = Tensor::from_slice(&train.labels.iter().map(|&l| i64::from(l)).collect::<Vec<_>>()).to_device(device);
        let mut opt = crate::adam::Adam::for_tensors(&net.params, 1e-3, 0.9, 0.999);
        let mut rng = SplitMix64::new(seed);
        for epoch in 0..epochs {
            opt.set_lr(1e-3 * 0.7f64.powi(epoch as i32));
            let mut order: Vec<i64> = (0..train.count as i64).collect();
            rng.shuffle(&mut order);
            for chunk in order.chunks(128) {
                let idx = Tensor::from_slice(chunk).to_device(device);
                // Shift augmentation: the whole batch moves by (dy, dx) in [-2, 2].
                let (dy, dx) = (rng.below(5) as i64, rng.below(5) as i64);
                let batch = x.index_select(0, &idx).pad([2, 2, 2, 2], "constant", -1.0);
                let batch = batch.narrow(2, dy, IMAGE_SIDE as i64).narrow(3, dx, IMAGE_SIDE as i64);
                let (_, logits) = net.forward(&batch, true);
                logits.cross_entropy_for_logits(&y.index_select(0, &idx)).backward();
                opt.step_tensors(&net.params);
            }
        }
        let accuracy = net.accuracy(test);
        (net, accuracy)
    }

    /// Fraction of `test` classified correctly.
    pub fn accuracy(&self, test: &Images) -> f64 {
        let (_, probs) = self.embed(&test.scaled());
        let labels = Tensor::from_slice(&test.labels.iter().map(|&l| i64::from(l)).collect::<Vec<_>>());
        probs.argmax(-1, false).eq_tensor(&labels).to_kind(Kind::Float).mean(Kind::Float).double_value(&[])
    }

    /// Save as safetensors with the test accuracy in the metadata.
    pub fn save(&self, path: &Path, accuracy: f64) -> Result<(), Error> {
        let map: TensorMap = PARAMS.iter().zip(&self.params).map(|((n, _), t)| (n.to_string(), to_host(t))).collect();
        let meta = HashMap::from([
            ("model".to_string(), "mnist-classifier-1".to_string()),
            ("test_accuracy".to_string(), format!("{accuracy:.4}")),
        ]);
        Ok(dcgan::tensors::write(path, &map, &meta)?)
    }

    /// Load a classifier saved by [`Classifier::save`] (`None`: the built-in one);
    /// returns it and its recorded accuracy.
    pub fn load(path: Option<&Path>, device: Device) -> Result<(Self, Option<f64>), Error> {
        let (map, meta) = match path {
            Some(path) => dcgan::tensors::read(path)?,
            None => dcgan::tensors::from_bytes(BUILT_IN, Path::new(BUILT_IN_NAME))?,
        };
        let name_of = || path.map_or_else(|| BUILT_IN_NAME.to_string(), |p| p.display().to_string());
        let mut params = Vec::new();
        for (name, shape) in PARAMS {
            let t: &HostTensor = map.get(name).filter(|t| t.shape == shape).ok_or_else(|| {
                Error::BadInput(format!("{}: not a classifier of this project (tensor `{name}` {shape:?})", name_of()))
            })?;
            params.push(to_tch(t).to_device(device));
        }
        Ok((Self { params }, meta.get("test_accuracy").and_then(|a| a.parse().ok())))
    }
}
