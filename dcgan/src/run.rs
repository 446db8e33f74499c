//! The layout of a run folder (DESIGN.md §4) and atomic file writes.

use std::io::Write;
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

/// Whether `path` is the temporary file of a [`write_atomic`] that did not finish
/// (`.NAME.tmpPID`, the process gone): safe to delete when no other writer runs there.
pub fn is_leftover(path: &Path) -> bool {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy()) else { return false };
    let Some((_, pid)) = name.strip_prefix('.').and_then(|n| n.rsplit_once(".tmp")) else { return false };
    pid.parse::<u32>().is_ok_and(|pid| pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists())
}

/// Write `bytes` to `path` through a temporary file in the same folder and a rename, so
/// that readers see the old file or the new one, never a part.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| std::io::Error::other("path has no file name"))?;
    let tmp = dir.join(format!(".{}.tmp{}", name.to_string_lossy(), std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
