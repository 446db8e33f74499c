//! The training configuration a run records in `config.json`.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use crate::recipe::{Augment, DHead, Loss, Recipe, Scheduled};

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
    /// How D takes the label in a class-conditional run (`None`: unconditional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditional: Option<DHead>,
    /// The `--recipe` preset the flags came from (informational: the flags themselves
    /// are recorded and locked; absent for the tutorial's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipe: Option<String>,
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
    /// L2 penalty `weight_decay·Σw²/2` on the weights of [`WEIGHT_DECAY_LAYERS`] (D's c2 and c3).
    pub weight_decay: f64,
    /// Seed of libtorch's initial weights and of the run's SplitMix64 stream.
    pub seed: u64,
    /// Beyond the tutorial (issue "Quality"): each absent or at its default in the
    /// tutorial's recipe, and then left out of config.json and of the config digest, so
    /// tutorial runs describe themselves exactly as before these knobs existed.
    #[serde(flatten)]
    pub recipe: Recipe,
}

impl Hyper {
    /// D's learning rate.
    pub fn lr_d(&self) -> f64 {
        self.recipe.lr_d.unwrap_or(self.lr)
    }

    /// G's learning rate.
    pub fn lr_g(&self) -> f64 {
        self.recipe.lr_g.unwrap_or(self.lr)
    }
}

/// The layers whose weights the L2 penalty `weight_decay·Σw²/2` applies to: D's c2 and
/// c3, as in the tutorial (no generator layer has these names). A training setting, so
/// it lives here and not in the layer table.
pub const WEIGHT_DECAY_LAYERS: [&str; 2] = ["c2", "c3"];

impl Default for Hyper {
    /// The tutorial's values (DESIGN.md §1).
    fn default() -> Self {
        Self {
            batch_size: 100,
            lr: 2e-4,
            beta1_d: 0.1,
            beta1_g: 0.5,
            beta2: 0.999,
            weight_decay: 1e-3,
            seed: 0,
            recipe: Recipe::default(),
        }
    }
}

/// Fields that came after the tutorial, with the value that means "as the tutorial":
/// at that value they stay out of the config digest, which so keeps its old value.
const LATER_FIELDS: [(&str, &str); 13] = [
    ("lr_d", "none"),
    ("lr_g", "none"),
    ("loss", "bce"),
    ("ema", "none"),
    ("r1", "none"),
    ("label_smoothing", "none"),
    ("lr_decay", "none"),
    ("conditional", "none"),
    ("augment", "none"),
    ("class_loss", "none"),
    ("class_loss_g", "none"),
    ("class_loss_from", "none"),
    ("lr_decay_from", "none"),
];

/// The settings a resume may not change, by name, in the order of
/// [`TrainConfig::locked_fields`] (and of the digest's text). The one list: `train` finds
/// its flags here ([`TrainConfig::locked_flags`]) and its tests try each.
pub const LOCKED: [&str; 26] = [
    "dataset",
    "dataset_sha256",
    "limit",
    "batch_size",
    "lr",
    "beta1_d",
    "beta1_g",
    "beta2",
    "weight_decay",
    "seed",
    "latent_dim",
    "generator_arch",
    "discriminator_arch",
    "lr_d",
    "lr_g",
    "loss",
    "ema",
    "r1",
    "label_smoothing",
    "lr_decay",
    "conditional",
    "augment",
    "class_loss",
    "class_loss_g",
    "class_loss_from",
    "lr_decay_from",
];

/// Locked fields that no flag sets: they follow from the data and the architecture.
pub const DERIVED: [&str; 4] = ["dataset_sha256", "latent_dim", "generator_arch", "discriminator_arch"];

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "none".into(), |v| v.to_string())
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
    /// The fields that alter the model or the optimisation, as (name, value) pairs in
    /// the order of [`LOCKED`]. A resume must keep every one of them; the config digest
    /// covers exactly these.
    pub fn locked_fields(&self) -> Vec<(&'static str, String)> {
        let h = &self.hyper;
        let r = &h.recipe;
        let values: [String; LOCKED.len()] = [
            self.dataset.clone(),
            self.dataset_sha256.clone(),
            format!("{:?}", self.limit),
            h.batch_size.to_string(),
            h.lr.to_string(),
            h.beta1_d.to_string(),
            h.beta1_g.to_string(),
            h.beta2.to_string(),
            h.weight_decay.to_string(),
            h.seed.to_string(),
            self.latent_dim.to_string(),
            self.generator_arch.clone(),
            self.discriminator_arch.clone(),
            opt(r.lr_d),
            opt(r.lr_g),
            r.loss.name().into(),
            opt(r.ema),
            opt(r.r1),
            opt(r.label_smoothing),
            opt(r.lr_decay),
            self.conditional.map_or("none", DHead::name).into(),
            r.augment_name(),
            opt(r.class_loss),
            opt(r.class_loss_g),
            r.class_loss_from.map_or_else(|| "none".into(), |e| e.to_string()),
            r.lr_decay_from.map_or_else(|| "none".into(), |e| e.to_string()),
        ];
        LOCKED.into_iter().zip(values).collect()
    }

    /// The configuration as far as it has shaped the weights after `done` epochs:
    /// [`Scheduled`] knobs that start later are left out. A checkpoint is stamped with its
    /// digest, so a resume may add or change knobs still to come (the weights are the
    /// same either way) and nothing else.
    pub fn as_of(&self, done: usize) -> Self {
        let mut acted = self.clone();
        for knob in Scheduled::ALL {
            if knob.start(&acted.hyper.recipe).is_some_and(|start| start > done) {
                knob.clear(&mut acted.hyper.recipe);
            }
        }
        acted
    }

    /// The [`Recipe`]'s knobs, added after the tutorial, each the clap id of its `train`
    /// flag (not `conditional`, also added later: a model of its own, not a recipe).
    pub fn recipe_flags() -> impl Iterator<Item = &'static str> {
        LATER_FIELDS.into_iter().map(|(name, _)| name).filter(|&name| name != "conditional")
    }

    /// The locked fields a `train` flag sets (its clap id is the field's name): every
    /// locked field but those the data and the architecture decide ([`DERIVED`]).
    pub fn locked_flags() -> impl Iterator<Item = &'static str> {
        LOCKED.into_iter().filter(|f| !DERIVED.contains(f))
    }

    /// The first locked field in which `other` differs, with both values.
    pub fn first_difference(&self, other: &Self) -> Option<(&'static str, String, String)> {
        self.locked_fields()
            .into_iter()
            .zip(other.locked_fields())
            .find(|((_, a), (_, b))| a != b)
            .map(|((name, a), (_, b))| (name, a, b))
    }

    /// Digest of the locked fields, written into ONNX metadata. Fields added after the
    /// tutorial count only when they differ from it (see [`Recipe`]).
    pub fn digest(&self) -> String {
        let text: Vec<String> = self
            .locked_fields()
            .into_iter()
            .filter(|(k, v)| !LATER_FIELDS.contains(&(*k, v.as_str())))
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        short_sha256(text.join("\n").as_bytes())
    }

    /// The generator's table (conditional or not), from its recorded digest.
    pub fn generator(&self) -> Option<&'static crate::Arch> {
        crate::arch::generator_by_digest(&self.generator_arch)
    }
}

/// The `train` flag that sets a locked field: `lr_decay_from` → `--lr-decay-from`.
pub fn flag(field: &str) -> String {
    format!("--{}", field.replace('_', "-"))
}

/// First 16 hex digits of SHA-256.
pub fn short_sha256(bytes: &[u8]) -> String {
    let hex = format!("{:x}", Sha256::digest(bytes));
    hex[..16].to_string()
}

#[cfg(test)]
mod tests;
