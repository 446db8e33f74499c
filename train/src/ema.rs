//! An exponential moving average of G's weights (`--ema DECAY`), the generator that is
//! sampled, probed and exported when the recipe asks for it.
//!
//! The average starts as a copy of G and follows it with a warm-up: step t uses
//! decay_t = min(DECAY, (1 + t) / (10 + t)), so early, fast-changing weights are not
//! frozen into it. Its BatchNorm statistics are its own: recomputed at every epoch end
//! from fixed latents ([`Ema::refresh_bn`]), since G's running statistics describe G's
//! activations, not the average's (DESIGN.md §10 measured the difference).
//!
//! The step t and decay_t are float64 tensors on the device, as Adam's are: a step
//! captured in a CUDA graph advances them on every replay.

use dcgan::{Arch, SplitMix64, TensorMap, arch::LATENT_DIM, arch::NUM_CLASSES};
use tch::{Device, Kind, Tensor};

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
    /// Updates so far (the global step), a float64 scalar on the device.
    device_step: Tensor,
}

impl Ema {
    /// Start the average at `g`'s current weights, after global step `step`.
    pub fn new(g: &Net, decay: f64, step: i64) -> Self {
        let device = g.params[0].1.device();
        let device_step = crate::model::device_scalar(step as f64, device);
        Self { decay, net: g.detached_copy(), device_step }
    }

    /// Restore from a checkpoint's `ema.*` tensors, saved after global step `step`;
    /// `None` when one is missing.
    pub fn from_saved(g: &Net, decay: f64, saved: &TensorMap, step: i64, device: Device) -> Option<Self> {
        let mut ema = Self::new(g, decay, step);
        for (name, t) in &mut ema.net.params {
            *t = crate::model::to_tch_like(saved.get(&format!("ema.{name}"))?, &*t)?.to_device(device);
        }
        Some(ema)
    }

    /// Move the average towards `g` after the next global step t (1-based), with
    /// decay_t = min(decay, (1 + t) / (10 + t)). Reads nothing back from the device.
    pub fn update(&mut self, g: &Net) {
        tch::no_grad(|| {
            let t = self.device_step.g_add_scalar_(1.0);
            let decay = ((&t + 1.0) / (&t + 10.0)).clamp_max(self.decay);
            // The weight as float32, what a float64 scalar weight is rounded to.
            let weight = (-decay + 1.0).to_kind(Kind::Float);
            for ((_, avg), (_, p)) in self.net.trainable().into_iter().zip(g.trainable()) {
                let _ = avg.shallow_clone().lerp_tensor_(p, &weight);
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
/// cycling 0–9) that set the average's BatchNorm statistics: z `[100,100]` (label `[100]`).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_step_ema_is_bit_identical_to_the_host_step_update() {
        let g = Net::init(&dcgan::GENERATOR, Device::Cpu);
        // From a resumed run's step, across the warm-up's end (decay_t reaches 0.999 at t = 8991).
        let first = 8980;
        let mut ema = Ema::new(&g, 0.999, first);
        let reference = g.detached_copy();
        tch::manual_seed(3);
        for t in first + 1..=first + 20 {
            tch::no_grad(|| {
                for (_, p) in g.trainable() {
                    let _ = p.shallow_clone().g_add_(&(Tensor::randn_like(p) * 1e-2));
                }
            });
            ema.update(&g);
            // The update as it was, decay_t computed on the host from the step.
            let decay = 0.999f64.min((1.0 + t as f64) / (10.0 + t as f64));
            tch::no_grad(|| {
                for ((_, avg), (_, p)) in reference.trainable().into_iter().zip(g.trainable()) {
                    let _ = avg.shallow_clone().lerp_(p, 1.0 - decay);
                }
            });
            for ((name, a), (_, b)) in ema.net.trainable().into_iter().zip(reference.trainable()) {
                assert!(a.equal(b), "step {t}: EMA of {name} differs from the host-step update");
            }
        }
        println!("EMA: 20 steps across the warm-up's end bit-identical to the host-step update");
    }
}
