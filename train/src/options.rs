//! What a run is asked to do, and the rules for resuming one.

use std::path::{Path, PathBuf};

use dcgan::config::{Hyper, Versions};
use dcgan::{DISCRIMINATOR, GENERATOR, TrainConfig, arch::LATENT_DIM};

use crate::{Dataset, Error, io_err};

/// Everything [`crate::run`] needs; the `train` binary fills it from its flags.
#[derive(Debug, Clone)]
pub struct Options {
    /// Data folder (else `MNIST_DIR`, else the dataset's default).
    pub data: Option<PathBuf>,
    /// Which dataset.
    pub dataset: Dataset,
    /// Fetch missing MNIST files first.
    pub download: bool,
    /// Base URL of the MNIST mirror.
    pub mirror: String,
    /// Total epochs.
    pub epochs: usize,
    /// Batch size, learning rate, betas, weight decay, seed.
    pub hyper: Hyper,
    /// libtorch intra-op threads (None: libtorch's default).
    pub threads: Option<usize>,
    /// `auto`, `cpu`, `cuda` or `cuda:N`.
    pub device: String,
    /// Run folder.
    pub out: PathBuf,
    /// Continue the run in `out`.
    pub resume: bool,
    /// Train on the first N images only.
    pub limit: Option<usize>,
    /// Epochs between sample grids.
    pub sample_every: usize,
    /// Epochs between Fréchet-distance evaluations (0: never).
    pub eval_every: usize,
    /// The classifier `eval` trained, for `eval_every`.
    pub classifier: PathBuf,
    /// Names of the locked options (see [`TrainConfig::locked_fields`]) that the user
    /// gave explicitly; on resume, only these are compared with the saved run.
    pub explicit: Vec<String>,
}

impl Options {
    /// The configuration these options describe, for data with digest `dataset_sha256`.
    pub fn to_config(&self, dataset_sha256: String) -> TrainConfig {
        TrainConfig {
            dataset: self.dataset.name().into(),
            dataset_sha256,
            limit: self.limit,
            epochs: self.epochs,
            hyper: self.hyper.clone(),
            latent_dim: LATENT_DIM,
            generator_arch: GENERATOR.digest(),
            discriminator_arch: DISCRIMINATOR.digest(),
            sample_every: self.sample_every,
            versions: Versions { train: env!("CARGO_PKG_VERSION").into(), libtorch: libtorch_version() },
        }
    }
}

/// The libtorch version tch was built for.
pub fn libtorch_version() -> String {
    "2.11.0".into()
}

/// Read a run's `config.json`.
pub fn read_config(run: &Path) -> Result<TrainConfig, Error> {
    let path = run.join(dcgan::run::CONFIG);
    let text = std::fs::read_to_string(&path).map_err(io_err(&path))?;
    serde_json::from_str(&text).map_err(|e| Error::BadInput(format!("{}: not a run config ({e})", path.display())))
}

/// Write a run's `config.json` atomically.
pub fn write_config(run: &Path, config: &TrainConfig) -> Result<(), Error> {
    let path = run.join(dcgan::run::CONFIG);
    let text = serde_json::to_string_pretty(config).expect("a config always serialises");
    dcgan::run::write_atomic(&path, text.as_bytes()).map_err(io_err(&path))
}

/// Take a resumed run's saved settings for every option that alters the model or the
/// optimisation. Refuses, naming the flag, when one given explicitly on the command line
/// differs from the saved value (or when the architecture itself changed).
pub fn apply_saved(opts: &mut Options, saved: &TrainConfig) -> Result<(), Error> {
    let wanted = opts.to_config(saved.dataset_sha256.clone());
    for ((field, old), (_, new)) in saved.locked_fields().into_iter().zip(wanted.locked_fields()) {
        let architecture = field.ends_with("_arch") || field == "latent_dim";
        if old != new && (architecture || opts.explicit.iter().any(|e| e == field)) {
            return Err(Error::ResumeMismatch {
                run: opts.out.clone(),
                flag: if architecture { format!("(architecture) {field}") } else { field.replace('_', "-") },
                saved: old,
                given: new,
            });
        }
    }
    opts.dataset = Dataset::from_name(&saved.dataset)
        .ok_or_else(|| Error::BadInput(format!("{}: unknown dataset `{}`", opts.out.display(), saved.dataset)))?;
    opts.limit = saved.limit;
    opts.hyper = saved.hyper.clone();
    Ok(())
}
