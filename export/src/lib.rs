//! Writes a trained network of a `train` run as a self-checking ONNX file, without
//! libtorch.
//!
//! The graph comes from the shared layer table ([`dcgan::arch`]); the weights from the
//! run's safetensors; `metadata_props` from its `config.json`. Before the file appears,
//! [`export`] loads the written bytes with tract, runs the run's probe through them and
//! refuses when the largest difference exceeds [`SELF_CHECK_TOLERANCE`].

pub mod onnx;
pub mod precision;
mod tract_run;
pub mod triton;

use std::path::{Path, PathBuf};

use std::time::Instant;

use dcgan::{Arch, DISCRIMINATOR, GENERATOR, TensorMap, TrainConfig, run};
pub use onnx::Bn;
pub use precision::Precision;

/// Largest |tract(exported) − probe| accepted for float32 weights (DESIGN.md §2);
/// compact ones have their own ([`Precision::tolerance`]).
pub const SELF_CHECK_TOLERANCE: f32 = 1e-5;

/// Which network to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum What {
    /// G: z [N,100] -> image [N,1,28,28].
    Generator,
    /// D: image [N,1,28,28] -> logit [N,1].
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

/// [`probe_check`], refused beyond `precision`'s tolerance.
fn self_check(bytes: &[u8], arch: &Arch, probe_path: &Path, precision: Precision) -> Result<(f32, usize), Error> {
    let (max_diff, probe_rows) = probe_check(bytes, arch, probe_path)?;
    let tolerance = precision.tolerance();
    if max_diff > tolerance {
        return Err(Error::SelfCheck { max_diff, tolerance });
    }
    Ok((max_diff, probe_rows))
}

/// Run the probe at `probe_path` through ONNX `bytes` with tract: (max |Δ|, rows).
pub fn probe_check(bytes: &[u8], arch: &Arch, probe_path: &Path) -> Result<(f32, usize), Error> {
    let (probe, _) = dcgan::tensors::read(probe_path)?;
    let (input, output) = (&probe.get(arch.input_name), &probe.get(arch.output_name));
    let (Some(input), Some(output)) = (input, output) else {
        return Err(Error::Run(format!("{}: not a probe of the {}", probe_path.display(), arch.name)));
    };
    let labels: Option<Vec<i64>> = match (arch.condition, probe.get(dcgan::contract::LABEL)) {
        (None, _) => None,
        (Some(_), Some(l)) => Some(l.data.iter().map(|&v| v as i64).collect()),
        (Some(_), None) => {
            return Err(Error::Run(format!(
                "{}: the probe of a conditional network has no `label`",
                probe_path.display()
            )));
        }
    };
    // A probe is the run's own file, but a damaged or foreign one must be refused in a
    // line, not crash the runtime: its shapes must be [N, input…] → [N, output…], N labels.
    let rows = input.shape.first().copied().unwrap_or(0);
    let shaped = |shape: &[usize], per_row: &[usize]| shape.len() == per_row.len() + 1 && shape[1..] == *per_row;
    let bad = if rows == 0 || !shaped(&input.shape, arch.input) {
        Some(format!("`{}` is {:?}, expected [N ≥ 1, {:?}…]", arch.input_name, input.shape, arch.input))
    } else if output.shape.first() != Some(&rows) || !shaped(&output.shape, &arch.output()) {
        Some(format!("`{}` is {:?} for {rows} input rows", arch.output_name, output.shape))
    } else {
        labels.as_ref().filter(|l| l.len() != rows).map(|l| format!("{} labels for {rows} rows", l.len()))
    };
    if let Some(why) = bad {
        return Err(Error::Run(format!("{}: not a usable probe: {why}", probe_path.display())));
    }
    // `--check FILE` may be anyone's file: screened before tract parses it.
    dcgan_onnx::decode(bytes)?;
    let got = tract_run::run(bytes, &input.data, &input.shape, labels.as_deref())
        .map_err(|e| Error::Runtime(format!("{e:#}")))?;
    Ok((max_abs_diff(&got, &output.data), rows))
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

/// What [`check`] found about an existing ONNX file.
#[derive(Debug, Clone)]
pub struct Check {
    /// The file is byte for byte what this exporter writes from the run.
    pub identical: bool,
    /// Max |tract(file) − probe| on the run's probe.
    pub max_diff: f32,
    /// Probe rows compared.
    pub probe_rows: usize,
}

/// Check an existing ONNX `file` against the run (e.g. `models/` and the shipped
/// `gen.onnx`): its output on the run's probe, and whether it is byte-identical to a
/// fresh export. Fails like [`build`] would, or with [`Error::SelfCheck`] when the file
/// disagrees with the probe.
pub fn check(run_dir: &Path, file: &Path, what: What, bn: Bn) -> Result<Check, Error> {
    check_with_precision(run_dir, file, what, bn, Precision::Fp32)
}

/// [`check`] for a file whose weights are stored in `precision`.
pub fn check_with_precision(
    run_dir: &Path,
    file: &Path,
    what: What,
    bn: Bn,
    precision: Precision,
) -> Result<Check, Error> {
    let built = build_with_precision(run_dir, what, bn, precision)?;
    let bytes = std::fs::read(file).map_err(|e| Error::Run(format!("{}: {e}", file.display())))?;
    let (max_diff, probe_rows) = self_check(&bytes, built.arch, &run_dir.join(what.files().1), precision)?;
    Ok(Check { identical: bytes == built.bytes, max_diff, probe_rows })
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
