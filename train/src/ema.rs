//! An exponential moving average of G's weights (`--ema DECAY`), the generator that is
//! sampled, probed and exported when the recipe asks for it.
//!
//! The average starts as a copy of G and follows it with a warm-up: step t uses
//! decay_t = min(DECAY, (1 + t) / (10 + t)), so early, fast-changing weights are not
//! frozen into it. Its BatchNorm statistics are its own: recomputed at every epoch end
//! from fixed latents ([`Ema::refresh_bn`]), since G's running statistics describe G's
//! activations, not the average's (DESIGN.md §10 measured the difference).

use dcgan::{Arch, SplitMix64, TensorMap, arch::LATENT_DIM, arch::NUM_CLASSES};
use tch::{Device, Tensor};

use crate::model::Net;

/// Batches of train-mode passes that set the average's BatchNorm statistics.
pub const BN_BATCHES: usize = 50;
/// Rows per such batch.
const BN_BATCH: usize = 100;
/// Salt of the SplitMix64 stream of those latents ("BNSTATS").
const BN_SALT: u64 = 0x42_4E53_5441_5453;

/// The average and its decay.
#[derive(Debug)]
pub struct Ema {
    /// Target decay.
    pub decay: f64,
    /// The averaged generator (no gradients).
    pub net: Net,
}

impl Ema {
    /// Start the average at `g`'s current weights.
    pub fn new(g: &Net, decay: f64) -> Self {
        Self { decay, net: g.detached_copy() }
    }

    /// Restore from a checkpoint's `ema.*` tensors; `None` when one is missing.
    pub fn from_saved(g: &Net, decay: f64, saved: &TensorMap, device: Device) -> Option<Self> {
        let mut ema = Self::new(g, decay);
        for (name, t) in &mut ema.net.params {
            *t = crate::model::to_tch_like(saved.get(&format!("ema.{name}"))?, &*t)?.to_device(device);
        }
        Some(ema)
    }

    /// Move the average towards `g` after global step `step` (1-based).
    pub fn update(&mut self, g: &Net, step: i64) {
        let decay = self.decay.min((1.0 + step as f64) / (10.0 + step as f64));
        tch::no_grad(|| {
            for ((_, avg), (_, p)) in self.net.trainable().into_iter().zip(g.trainable()) {
                let _ = avg.shallow_clone().lerp_(p, 1.0 - decay);
            }
        });
    }

    /// Give the average BatchNorm statistics of its own, from [`bn_batches`].
    pub fn refresh_bn(&mut self, seed: u64) {
        let device = self.net.params[0].1.device();
        let batches = bn_batches(self.net.arch, seed, device);
        self.net.recompute_bn_stats(batches.iter().map(|(z, l)| (z, l.as_ref())));
    }

    /// The average's tensors as `ema.NAME` for a checkpoint.
    pub fn to_host(&self, out: &mut TensorMap) {
        out.extend(self.net.to_host().into_iter().map(|(k, v)| (format!("ema.{k}"), v)));
    }
}

/// The [`BN_BATCHES`] fixed batches of latents (and, for a conditional G, labels
/// cycling 0–9) that set the average's BatchNorm statistics: z [100,100] (label [100]).
pub fn bn_batches(arch: &Arch, seed: u64, device: Device) -> Vec<(Tensor, Option<Tensor>)> {
    let mut rng = SplitMix64::new(seed ^ BN_SALT);
    (0..BN_BATCHES)
        .map(|_| {
            let z = Tensor::from_slice(&rng.latents(BN_BATCH, LATENT_DIM))
                .view([BN_BATCH as i64, LATENT_DIM as i64])
                .to_device(device);
            (z, arch.condition.is_some().then(|| cycling_labels(BN_BATCH, device)))
        })
        .collect()
}

/// Labels 0, 1, …, 9, 0, 1, … for `n` rows (DESIGN.md §7's default), int64 on `device`.
pub fn cycling_labels(n: usize, device: Device) -> Tensor {
    Tensor::from_slice(&dcgan::contract::default_labels(0, n, NUM_CLASSES)).to_device(device)
}
