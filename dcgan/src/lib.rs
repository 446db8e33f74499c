//! The MNIST DCGAN, described once.
//!
//! This crate holds what `train`, `export` and `infer` must agree on, and nothing that
//! needs libtorch:
//!
//! - [`arch`]: the layer table of the Generator and the Discriminator. The trainer builds
//!   tch modules from it and the exporter emits ONNX nodes from it.
//! - [`config`]: the training configuration a run folder records in `config.json`, and
//!   [`recipe`]: its knobs beyond the tutorial's (losses, EMA, R1, augmentations, …).
//! - [`latent`]: the reproducible SplitMix64 latent sampler (DESIGN.md §3).
//! - [`tensors`]: named f32 tensors in safetensors files (weights, probes, checkpoints).
//! - [`run`]: the file names inside a run folder, and atomic writes.
//! - [`contract`]: the generator's interface (names, shapes, types, latents, pixels,
//!   grids, digit plans), derived from the table, for every crate and language.
//! - [`device`] and [`exit`]: `--device` and the exit-code convention of every binary.

pub mod arch;
pub mod config;
pub mod contract;
pub mod device;
pub mod exit;
pub mod latent;
pub mod output;
pub mod recipe;
pub mod run;
pub mod tensors;

pub use arch::{
    Act, Arch, CONDITIONAL_GENERATOR, Condition, DISCRIMINATOR, EMBED_DISCRIMINATOR, GENERATOR, Layer, Op,
    PROJECTION_DISCRIMINATOR,
};
pub use config::TrainConfig;
pub use device::Device;
pub use latent::SplitMix64;
pub use tensors::{Tensor, TensorMap};
