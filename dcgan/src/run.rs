//! The layout of a run folder (DESIGN.md §4). Its files are written with
//! [`crate::output::write_atomic`].

use std::path::Path;

/// Every hyperparameter, dataset digest and versions.
pub const CONFIG: &str = "config.json";
/// The generator's parameters and BN statistics, stable names.
pub const GENERATOR: &str = "generator.safetensors";
/// The discriminator's parameters.
pub const DISCRIMINATOR: &str = "discriminator.safetensors";
/// The full training state (both networks, Adam moments, step, epoch, RNG) in one file,
/// so that a kill at any instant leaves a whole checkpoint.
pub const CHECKPOINT: &str = "checkpoint.safetensors";
/// Fixed latents and G's eval-mode output on them (CPU, float32).
pub const PROBE_GENERATOR: &str = "probe_generator.safetensors";
/// Fixed images and D's output on them (CPU, float32).
pub const PROBE_DISCRIMINATOR: &str = "probe_discriminator.safetensors";
/// Losses and throughput, a row per logging window.
pub const LOSSES: &str = "losses.csv";
/// The loss curves.
pub const LOSS_PLOT: &str = "losses.png";
/// Sample grids, `samples/epoch_NNN.png`.
pub const SAMPLES: &str = "samples";

/// Whether `path` is the temporary file of a [`crate::output::write_atomic`] that did not finish
/// (`.NAME.tmpPID`, the process gone): safe to delete when no other writer runs there.
pub fn is_leftover(path: &Path) -> bool {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy()) else { return false };
    let Some((_, pid)) = name.strip_prefix('.').and_then(|n| n.rsplit_once(".tmp")) else { return false };
    pid.parse::<u32>().is_ok_and(|pid| pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists())
}
