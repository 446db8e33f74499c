//! What a run is asked to do: options, recipes, and the checks before a run starts.

use std::path::{Path, PathBuf};

use dcgan::config::{DHead, Hyper, Scheduled, Versions, flag};
use dcgan::{CONDITIONAL_GENERATOR, DISCRIMINATOR, GENERATOR, TrainConfig, arch::LATENT_DIM};

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
    /// Total epochs (`None`: [`DEFAULT_EPOCHS`] for a new run, the run's own on resume).
    pub epochs: Option<usize>,
    /// Batch size, learning rate, betas, weight decay, seed.
    pub hyper: Hyper,
    /// libtorch intra-op threads (None: libtorch's default).
    pub threads: Option<usize>,
    /// `auto`, `cpu`, `cuda` or `cuda:N`.
    pub device: String,
    /// Replay the step from a CUDA graph (`--cuda-graphs`, CUDA only).
    pub cuda_graphs: bool,
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
    /// The classifier for `eval_every` (`None`: the built-in one).
    pub classifier: Option<PathBuf>,
    /// Samples per evaluation.
    pub eval_samples: usize,
    /// Train a class-conditional G, with this kind of conditional D.
    pub conditional: Option<DHead>,
    /// Keep the generator of the epoch with the lowest Fréchet distance in `best/`.
    pub keep_best: bool,
    /// The `--recipe` preset the flags came from (`None`: the tutorial's).
    pub recipe: Option<String>,
    /// `--trace-steps K --trace FILE`: record the first K steps and stop.
    pub trace: Option<(usize, PathBuf)>,
    /// Names of the locked options (see [`TrainConfig::locked_fields`]) that the user
    /// gave explicitly; on resume, only these are compared with the saved run.
    pub explicit: Vec<String>,
}

/// A named set of flags (`train --recipe NAME`): expanded before the user's own flags,
/// which override it. Each flag also exists on its own and is recorded in config.json.
#[derive(Debug, Clone, Copy)]
pub struct Preset {
    /// `--recipe` value.
    pub name: &'static str,
    /// What it is, for `--help`.
    pub about: &'static str,
    /// The flags it stands for.
    pub flags: &'static [&'static str],
}

/// The recipes `train --recipe` knows; the first, `tutorial`, is the default and adds no flag.
pub const PRESETS: [Preset; 2] = [
    Preset { name: "tutorial", about: "the TF tutorial's recipe (the defaults)", flags: &[] },
    Preset {
        name: "improved",
        about: "the best of BENCHMARKS.md's ablation: an EMA of G's weights, two time-scale learning rates, R1 on D, hinge loss",
        flags: &["--ema", "0.999", "--lr-d", "4e-4", "--lr-g", "1e-4", "--r1", "1", "--loss", "hinge"],
    },
];

/// The flags beyond the tutorial's (`--lr-decay`, `--augment`, …) that no preset gives.
pub fn unused_recipe_flags() -> Vec<String> {
    TrainConfig::recipe_flags()
        .map(flag)
        .filter(|flag| !PRESETS.iter().any(|p| p.flags.contains(&flag.as_str())))
        .collect()
}

/// The preset called `name`.
pub fn preset(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

/// Epochs of a new run when `--epochs` is not given.
pub const DEFAULT_EPOCHS: usize = 50;

impl Options {
    /// Whether the locked setting `field` was given on the command line.
    pub fn gave(&self, field: &str) -> bool {
        self.explicit.iter().any(|e| e == field)
    }

    /// The configuration these options describe, for data with digest `dataset_sha256`.
    pub fn to_config(&self, dataset_sha256: String) -> TrainConfig {
        TrainConfig {
            dataset: self.dataset.name().into(),
            dataset_sha256,
            limit: self.limit,
            epochs: self.epochs.unwrap_or(DEFAULT_EPOCHS),
            hyper: self.hyper.clone(),
            latent_dim: LATENT_DIM,
            generator_arch: if self.conditional.is_some() {
                CONDITIONAL_GENERATOR.digest()
            } else {
                GENERATOR.digest()
            },
            discriminator_arch: self.conditional.map_or(&DISCRIMINATOR, DHead::arch).digest(),
            conditional: self.conditional,
            recipe: self.recipe.clone(),
            sample_every: self.sample_every,
            versions: Versions { train: env!("CARGO_PKG_VERSION").into(), libtorch: libtorch_version() },
        }
    }
}

/// Refuse flags that do not go together (and say when a scheduled knob starts after the
/// last epoch). Called after a resume's merge, so that a changed value is refused as a
/// change first.
pub fn check_combinations(opts: &Options) -> Result<(), Error> {
    let recipe = &opts.hyper.recipe;
    if recipe.label_smoothing.is_some() && recipe.loss == dcgan::config::Loss::Hinge {
        return Err(Error::BadInput(
            "--label-smoothing applies to the BCE loss; the hinge loss has no target to smooth".into(),
        ));
    }
    if recipe.class_loss.is_some() && opts.conditional != Some(DHead::Projection) {
        return Err(Error::BadInput(
            "--class-loss needs --conditional projection (it scores digits through the projection head's label table)"
                .into(),
        ));
    }
    if recipe.class_loss_g.is_some() && recipe.class_loss.is_none() {
        return Err(Error::BadInput(
            "--class-loss-g needs --class-loss: G is scored by the class scores D learns from real digits".into(),
        ));
    }
    let epochs = opts.epochs.unwrap_or(DEFAULT_EPOCHS);
    for knob in Scheduled::ALL {
        let from = flag(knob.from_field());
        // `--…-from 1` is recorded as the default, so the flag itself is looked for.
        if knob.start(recipe).is_none() && (knob.from_value(recipe).is_some() || opts.gave(knob.from_field())) {
            return Err(Error::BadInput(format!(
                "{from} needs {}: it names the first epoch of {}",
                flag(knob.on_field()),
                knob.what()
            )));
        }
        if let (Some(start), Some(first)) = (knob.start(recipe), knob.first_changed(recipe))
            && first > epochs
        {
            // Not refused: a later `--resume --epochs` may reach it.
            eprintln!(
                "note: with {from} {start}, no epoch trains with {} until --epochs is raised past {epochs}",
                knob.what()
            );
        }
    }
    Ok(())
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
    let text = serde_json::to_string_pretty(config).map_err(|e| Error::BadInput(e.to_string()))?;
    dcgan::output::write_atomic(&path, text.as_bytes()).map_err(io_err(&path))
}

/// A new run may go into a folder that does not exist, is empty, or holds a run that
/// never finished its first epoch (its own config.json and no checkpoint). A folder that
/// holds a run is refused (pass --resume), and so is one with anyone else's files, which
/// a run would overwrite.
pub fn check_fresh_out(out: &Path) -> Result<(), Error> {
    if crate::checkpoint::exists(out) {
        return Err(Error::BadInput(format!(
            "{} already holds a run; pass --resume to continue it, or choose another --out",
            out.display()
        )));
    }
    let Ok(entries) = std::fs::read_dir(out) else { return Ok(()) };
    let names: Vec<String> =
        entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    if names.is_empty() || read_config(out).is_ok() {
        return Ok(());
    }
    let shown: Vec<&str> = names.iter().take(3).map(String::as_str).collect();
    Err(Error::BadInput(format!(
        "{} exists and is not a run folder (it holds {}{}); a run would overwrite its files: choose another --out",
        out.display(),
        shown.join(", "),
        if names.len() > 3 { ", …" } else { "" },
    )))
}

/// Remove the temporary files of writes that a kill interrupted (`.NAME.tmpPID`, see
/// [`dcgan::output::write_atomic`]), saying what went.
pub fn remove_leftovers(out: &Path) {
    for dir in [out.to_path_buf(), out.join(dcgan::run::SAMPLES), out.join(crate::keep_best::BEST)] {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for path in entries.filter_map(|e| e.ok()).map(|e| e.path()) {
            if dcgan::run::is_leftover(&path) && std::fs::remove_file(&path).is_ok() {
                eprintln!("removed {} (left by an interrupted write)", path.display());
            }
        }
    }
}
