//! The training configuration a run records in `config.json`.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Every hyperparameter of a run, plus where it came from. Defaults are the tutorial's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// `mnist` or `fashion-mnist`.
    pub dataset: String,
    /// SHA-256 of the uncompressed training images followed by the training labels.
    pub dataset_sha256: String,
    /// Train on the first `limit` images only (smoke runs).
    pub limit: Option<usize>,
    /// Epochs to train in total (may grow on resume).
    pub epochs: usize,
    /// The optimisation's hyperparameters (flattened into config.json).
    #[serde(flatten)]
    pub hyper: Hyper,
    /// Length of z.
    pub latent_dim: usize,
    /// Digest of the generator's layer table.
    pub generator_arch: String,
    /// Digest of the discriminator's layer table.
    pub discriminator_arch: String,
    /// Epochs between sample grids.
    pub sample_every: usize,
    /// Versions of this crate and of libtorch that trained the run (informational).
    pub versions: Versions,
}

/// What the optimisation depends on; a resumed run must keep every field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hyper {
    /// Images per step.
    pub batch_size: usize,
    /// Adam learning rate of both networks.
    pub lr: f64,
    /// Adam β1 of the discriminator.
    pub beta1_d: f64,
    /// Adam β1 of the generator.
    pub beta1_g: f64,
    /// Adam β2 of both networks.
    pub beta2: f64,
    /// L2 penalty `weight_decay·Σw²/2` on the layers the table marks (D's c2 and c3).
    pub weight_decay: f64,
    /// Seed of libtorch's initial weights and of the run's SplitMix64 stream.
    pub seed: u64,
}

impl Default for Hyper {
    /// The tutorial's values (DESIGN.md §1).
    fn default() -> Self {
        Self { batch_size: 100, lr: 2e-4, beta1_d: 0.1, beta1_g: 0.5, beta2: 0.999, weight_decay: 1e-3, seed: 0 }
    }
}

/// Software that produced a run.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Versions {
    /// Version of the `train` crate.
    pub train: String,
    /// libtorch version tch was built for.
    pub libtorch: String,
}

impl TrainConfig {
    /// The fields that alter the model or the optimisation, as (name, value) pairs.
    /// A resume must keep every one of them; the config digest covers exactly these.
    pub fn locked_fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("dataset", self.dataset.clone()),
            ("dataset_sha256", self.dataset_sha256.clone()),
            ("limit", format!("{:?}", self.limit)),
            ("batch_size", self.hyper.batch_size.to_string()),
            ("lr", self.hyper.lr.to_string()),
            ("beta1_d", self.hyper.beta1_d.to_string()),
            ("beta1_g", self.hyper.beta1_g.to_string()),
            ("beta2", self.hyper.beta2.to_string()),
            ("weight_decay", self.hyper.weight_decay.to_string()),
            ("seed", self.hyper.seed.to_string()),
            ("latent_dim", self.latent_dim.to_string()),
            ("generator_arch", self.generator_arch.clone()),
            ("discriminator_arch", self.discriminator_arch.clone()),
        ]
    }

    /// The first locked field in which `other` differs, with both values.
    pub fn first_difference(&self, other: &Self) -> Option<(&'static str, String, String)> {
        self.locked_fields()
            .into_iter()
            .zip(other.locked_fields())
            .find(|((_, a), (_, b))| a != b)
            .map(|((name, a), (_, b))| (name, a, b))
    }

    /// Digest of the locked fields, written into ONNX metadata.
    pub fn digest(&self) -> String {
        let text: Vec<String> = self.locked_fields().into_iter().map(|(k, v)| format!("{k}={v}")).collect();
        short_sha256(text.join("\n").as_bytes())
    }
}

/// First 16 hex digits of SHA-256.
pub fn short_sha256(bytes: &[u8]) -> String {
    let hex = format!("{:x}", Sha256::digest(bytes));
    hex[..16].to_string()
}
