//! What a training step draws from the run's RNG, drawn on the host before the step and
//! copied to the device: the step itself only computes, so that it can be captured as a
//! CUDA graph ([`crate::graphed`]), and eager and graphed runs draw the same numbers.

use dcgan::SplitMix64;
use dcgan::arch::LATENT_DIM;
use dcgan::config::Augment;
use tch::{Device, Tensor};

use crate::augment::AugmentDraws;

/// What a step draws from the run's RNG, in this order: D step's latents z `[B,100]` (and,
/// conditional runs, fake labels `[B]`), then G step's; then, with `--augment`, the
/// augmentation of D's real batch, of D step's fakes and of G step's fakes. Drawn on the
/// host before the step and copied to the device, so that the step itself only computes.
pub(crate) struct Draws {
    /// D step's latents.
    pub z_d: Tensor,
    /// D step's fake labels.
    pub label_d: Option<Tensor>,
    /// G step's latents.
    pub z_g: Tensor,
    /// G step's fake labels.
    pub label_g: Option<Tensor>,
    /// How D sees the real batch, D step's fakes and G step's fakes (`--augment`).
    pub aug_real: AugmentDraws,
    /// See `aug_real`.
    pub aug_fake_d: AugmentDraws,
    /// See `aug_real`.
    pub aug_fake_g: AugmentDraws,
}

impl Draws {
    /// Draw for a step of `n` rows and copy to `device`.
    pub fn new(rng: &mut SplitMix64, n: usize, conditional: bool, augment: &[Augment], device: Device) -> Self {
        let (z_d, label_d) = draw(rng, n, conditional, device);
        let (z_g, label_g) = draw(rng, n, conditional, device);
        let mut aug = || AugmentDraws::draw(rng, n, augment, device);
        let (aug_real, aug_fake_d, aug_fake_g) = (aug(), aug(), aug());
        Self { z_d, label_d, z_g, label_g, aug_real, aug_fake_d, aug_fake_g }
    }

    /// A copy in fresh tensors (a graph's static inputs).
    pub fn copy(&self) -> Self {
        let copy = |t: &Option<Tensor>| t.as_ref().map(Tensor::copy);
        Self {
            z_d: self.z_d.copy(),
            label_d: copy(&self.label_d),
            z_g: self.z_g.copy(),
            label_g: copy(&self.label_g),
            aug_real: self.aug_real.copy(),
            aug_fake_d: self.aug_fake_d.copy(),
            aug_fake_g: self.aug_fake_g.copy(),
        }
    }

    /// Overwrite these tensors with `other`'s values, in place.
    pub fn copy_from(&mut self, other: &Draws) {
        self.z_d.copy_(&other.z_d);
        self.z_g.copy_(&other.z_g);
        for (to, from) in [(&mut self.label_d, &other.label_d), (&mut self.label_g, &other.label_g)] {
            if let (Some(to), Some(from)) = (to, from) {
                to.copy_(from);
            }
        }
        self.aug_real.copy_from(&other.aug_real);
        self.aug_fake_d.copy_from(&other.aug_fake_d);
        self.aug_fake_g.copy_from(&other.aug_fake_g);
    }
}

/// Latents, then (conditional runs) labels drawn uniformly from the same RNG.
fn draw(rng: &mut SplitMix64, n: usize, conditional: bool, device: Device) -> (Tensor, Option<Tensor>) {
    let z = Tensor::from_slice(&rng.latents(n, LATENT_DIM)).view([n as i64, LATENT_DIM as i64]).to_device(device);
    let labels = conditional.then(|| {
        let l: Vec<i64> = (0..n).map(|_| rng.below(dcgan::arch::NUM_CLASSES) as i64).collect();
        Tensor::from_slice(&l).to_device(device)
    });
    (z, labels)
}
