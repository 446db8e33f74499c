//! Writes a trained network of a `train` run as a self-checking ONNX file, without
//! libtorch.
//!
//! The graph comes from the shared layer table ([`dcgan::arch`]); the weights from the
//! run's safetensors; `metadata_props` from its `config.json`. Before the file appears,
//! [`export`] loads the written bytes with tract, runs the run's probe through them and
//! refuses when the largest difference exceeds [`SELF_CHECK_TOLERANCE`].

pub mod onnx;
pub mod precision;
mod probe_check;
pub mod triton;

use std::path::{Path, PathBuf};

use std::time::Instant;

use dcgan::{Arch, DISCRIMINATOR, GENERATOR, TensorMap, TrainConfig, run};
pub use onnx::Bn;
pub use precision::Precision;
use probe_check::self_check;
pub use probe_check::{Check, check, check_with_precision, probe_check};

/// Largest |tract(exported) − probe| accepted for float32 weights (DESIGN.md §2);
/// compact ones have their own ([`Precision::tolerance`]).
pub const SELF_CHECK_TOLERANCE: f32 = 1e-5;

/// Which network to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum What {
    /// The generator, the contract's network.
    #[value(help = "G: z [N,100] -> image [N,1,28,28]")]
    Generator,
    /// The discriminator, for inspection.
    #[value(help = "D: image [N,1,28,28] -> logit [N,1]")]
    Discriminator,
}

/// What went wrong: the caller's input, except a failed write (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The run folder or one of its files is missing or unreadable.
    #[error("{0}")]
    Run(String),
    /// The weights do not fit the layer table.
    #[error(transparent)]
    Weights(#[from] dcgan::tensors::Error),
    /// The exported model disagrees with the run's probe.
    #[error("self-check failed: max |tract − probe| = {max_diff:e} > {tolerance:e}; nothing was written")]
    SelfCheck {
        /// Measured difference.
        max_diff: f32,
        /// The tolerance of the file's precision.
        tolerance: f32,
    },
    /// The file is not ONNX, or is refused by the screening of files from strangers.
    #[error(transparent)]
    Onnx(#[from] dcgan_onnx::Error),
    /// tract could not run the model.
    #[error("self-check failed: tract cannot run the model: {0}")]
    Runtime(String),
    /// The destination cannot be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The destination.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl Error {
    /// The process exit status (README, "Exit codes").
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Write { source, .. } => dcgan::exit::io_exit_code(source.kind()),
            _ => dcgan::exit::EXIT_INPUT,
        }
    }
}

/// What [`export`] did.
#[derive(Debug, Clone)]
pub struct Report {
    /// The file written.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: usize,
    /// Measured max |tract − probe|.
    pub max_diff: f32,
    /// Probe rows compared.
    pub probe_rows: usize,
    /// Seconds taken, self-check included.
    pub seconds: f64,
}

impl What {
    /// The unconditional table of this network.
    pub fn arch(self) -> &'static Arch {
        match self {
            What::Generator => &GENERATOR,
            What::Discriminator => &DISCRIMINATOR,
        }
    }

    /// The table a run trained: from its config's digest when there is a config, else
    /// the unconditional table (or, with a `label.weight`, the conditional generator).
    fn arch_of(self, config: Option<&TrainConfig>, params: &TensorMap) -> Option<&'static Arch> {
        match (self, config) {
            (What::Generator, Some(c)) => dcgan::arch::generator_by_digest(&c.generator_arch),
            (What::Discriminator, Some(c)) => dcgan::arch::discriminator_by_digest(&c.discriminator_arch),
            (What::Generator, None) if params.contains_key(dcgan::arch::LABEL_TABLE) => {
                Some(&dcgan::CONDITIONAL_GENERATOR)
            }
            (what, None) => Some(what.arch()),
        }
    }

    fn files(self) -> (&'static str, &'static str) {
        match self {
            What::Generator => (run::GENERATOR, run::PROBE_GENERATOR),
            What::Discriminator => (run::DISCRIMINATOR, run::PROBE_DISCRIMINATOR),
        }
    }
}

/// `metadata_props` of an exported network (DESIGN.md §2, and §7 for a conditional one).
pub fn metadata(arch: &Arch, config: Option<&TrainConfig>, epochs: Option<usize>, bn: Bn) -> Vec<(String, String)> {
    let mut m = vec![
        ("network".to_string(), arch.name.to_string()),
        ("architecture".to_string(), arch.digest()),
        ("latent_dim".to_string(), dcgan::arch::LATENT_DIM.to_string()),
        ("latent_distribution".to_string(), "uniform(-1,1)".to_string()),
        ("image_range".to_string(), "[-1,1]".to_string()),
        ("batchnorm".to_string(), if bn == Bn::Folded { "folded" } else { "kept" }.to_string()),
        ("producer".to_string(), format!("dcgan-export {}", env!("CARGO_PKG_VERSION"))),
    ];
    if let Some(classes) = arch.classes() {
        m.push(("conditional".to_string(), "true".to_string()));
        m.push(("num_classes".to_string(), classes.to_string()));
    }
    if let Some(c) = config {
        m.push(("dataset".to_string(), c.dataset.clone()));
        m.push(("config_digest".to_string(), c.digest()));
        m.push(("train_version".to_string(), c.versions.train.clone()));
    }
    if let Some(e) = epochs {
        m.push(("epochs".to_string(), e.to_string()));
    }
    if let Some(r) = config.and_then(|c| c.recipe.as_ref()) {
        m.push(("recipe".to_string(), r.clone()));
    }
    m
}

/// The ONNX bytes of `arch` with `params` (names and shapes must match the table).
pub fn to_onnx(arch: &Arch, params: &TensorMap, bn: Bn, metadata: &[(String, String)]) -> Vec<u8> {
    to_onnx_with_precision(arch, params, bn, metadata, Precision::Fp32)
}

/// [`to_onnx`] with the weights stored in `precision`.
pub fn to_onnx_with_precision(
    arch: &Arch,
    params: &TensorMap,
    bn: Bn,
    metadata: &[(String, String)],
    precision: Precision,
) -> Vec<u8> {
    let mut graph = onnx::graph(arch, params, bn);
    precision::compact(&mut graph, precision);
    onnx::to_bytes(&onnx::model(graph, metadata))
}

pub use dcgan::tensors::max_abs_diff;

/// A network exported in memory and checked against its run's probe.
#[derive(Debug, Clone)]
pub struct Built {
    /// The table it was built from.
    pub arch: &'static Arch,
    /// The ONNX bytes.
    pub bytes: Vec<u8>,
    /// Measured max |tract − probe|.
    pub max_diff: f32,
    /// Probe rows compared.
    pub probe_rows: usize,
}

/// Build `what` from the run folder `run_dir` as ONNX bytes, self-checked with tract
/// against the run's probe (refused beyond [`SELF_CHECK_TOLERANCE`]).
pub fn build(run_dir: &Path, what: What, bn: Bn) -> Result<Built, Error> {
    build_with_precision(run_dir, what, bn, Precision::Fp32)
}

/// [`build`] with the weights stored in `precision`, refused beyond its tolerance.
pub fn build_with_precision(run_dir: &Path, what: What, bn: Bn, precision: Precision) -> Result<Built, Error> {
    if !run_dir.is_dir() {
        return Err(Error::Run(format!("{}: no such run folder (train writes one with --out)", run_dir.display())));
    }
    let (weights_file, probe_file) = what.files();
    let weights_path = run_dir.join(weights_file);
    if !weights_path.is_file() {
        return Err(Error::Run(format!("{}: no {weights_file}; has the run finished an epoch?", run_dir.display())));
    }
    let (params, meta) = dcgan::tensors::read(&weights_path)?;
    let config_path = run_dir.join(run::CONFIG);
    let config: Option<TrainConfig> = match std::fs::read_to_string(&config_path) {
        Err(_) => None,
        Ok(text) => Some(
            serde_json::from_str(&text)
                .map_err(|e| Error::Run(format!("{}: not a run config ({e})", config_path.display())))?,
        ),
    };
    let arch = what.arch_of(config.as_ref(), &params).ok_or_else(|| {
        Error::Run(format!(
            "{}: the run's {} architecture is not one this exporter knows; use the export of the version that trained it",
            run_dir.display(),
            what.arch().name,
        ))
    })?;
    dcgan::tensors::check_params(&params, arch, &weights_path)?;
    let epochs = meta.get("epoch").and_then(|e| e.parse().ok());
    let mut metadata = metadata(arch, config.as_ref(), epochs, bn);
    if let Some(decay) = meta.get("ema") {
        // generator.safetensors holds the EMA of G's weights when the run kept one.
        metadata.push(("weights".to_string(), format!("ema({decay})")));
    }
    if precision != Precision::Fp32 {
        metadata.push(("precision".to_string(), precision.name().to_string()));
    }
    let bytes = to_onnx_with_precision(arch, &params, bn, &metadata, precision);
    let (max_diff, probe_rows) = self_check(&bytes, arch, &run_dir.join(probe_file), precision)?;
    Ok(Built { arch, bytes, max_diff, probe_rows })
}

/// Export `what` from the run folder `run_dir` to `out`, self-checked with tract.
pub fn export(run_dir: &Path, out: &Path, what: What, bn: Bn) -> Result<Report, Error> {
    export_with_precision(run_dir, out, what, bn, Precision::Fp32)
}

/// [`export`] with the weights stored in `precision`.
pub fn export_with_precision(
    run_dir: &Path,
    out: &Path,
    what: What,
    bn: Bn,
    precision: Precision,
) -> Result<Report, Error> {
    let started = Instant::now();
    // A folder or an unwritable place is refused before the export's work.
    dcgan::output::check_output(out).map_err(|source| Error::Write { path: out.into(), source })?;
    let Built { bytes, max_diff, probe_rows, .. } = build_with_precision(run_dir, what, bn, precision)?;
    dcgan::output::write_atomic(out, &bytes).map_err(|source| Error::Write { path: out.into(), source })?;
    Ok(Report { path: out.into(), bytes: bytes.len(), max_diff, probe_rows, seconds: started.elapsed().as_secs_f64() })
}

/// Export the generator of `run_dir` as a Triton model repository (see [`triton`]).
pub fn export_triton(run_dir: &Path, repo: &triton::Repository, bn: Bn) -> Result<(PathBuf, Built), Error> {
    if !triton::valid_name(&repo.model_name) {
        return Err(Error::Run(format!("--model-name {}: use letters, digits, '.', '_' and '-'", repo.model_name)));
    }
    let built = build(run_dir, What::Generator, bn)?;
    let folder = triton::write(built.arch, &built.bytes, repo)
        .map_err(|source| Error::Write { path: repo.dir.clone(), source })?;
    Ok((folder, built))
}
