//! The DCGAN trainer: the tutorial's MNIST GAN in tch (libtorch), on CUDA or the CPU.
//!
//! [`run`] trains according to [`Options`] and leaves a self-describing run folder
//! (DESIGN.md §4): `config.json`, the weights of both networks as safetensors, one
//! `checkpoint.safetensors` with the whole training state, sample grids, `losses.csv`,
//! a loss plot and the probes the exporter checks itself against. Checkpoints are
//! written at the end of every epoch, each file atomically; `--resume` continues from
//! the last one exactly.
//!
//! Files read top-down: [`data`] and [`download`] (MNIST), [`model`] (networks from
//! the shared table), [`adam`] and [`ema`] (the optimiser and the weight average, with
//! saveable state), [`options`] (configuration and recipes), [`resume`] (the rules for
//! resuming), [`trainer`] (the run) and [`step`] (an epoch), [`checkpoint`], [`artifacts`] and [`plot`] (what a
//! run writes), [`classifier`] and [`quality`] (sample quality), [`keep_best`]
//! (`best/`), [`trace`] (the first steps, for the comparison with PyTorch).

pub mod adam;
pub mod artifacts;
mod augment;
pub mod checkpoint;
pub mod classifier;
pub mod data;
pub mod device;
pub mod download;
pub mod draws;
pub mod ema;
pub mod graphed;
pub mod keep_best;
pub mod losses;
pub mod model;
pub mod options;
pub mod plot;
pub mod progress;
pub mod quality;
pub mod resume;
pub mod step;
pub mod tensorboard;
pub mod trace;
pub mod trainer;
mod window;

use std::path::PathBuf;

pub use data::{DataError, Dataset};
pub use download::DownloadError;
pub use model::Net;
pub use options::Options;
pub use trainer::{Summary, run};

/// Everything that can stop a training run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The dataset is missing or malformed.
    #[error(transparent)]
    Data(#[from] DataError),
    /// Fetching the dataset failed.
    #[error(transparent)]
    Download(#[from] DownloadError),
    /// A weights or checkpoint file is unreadable.
    #[error(transparent)]
    Tensors(#[from] dcgan::tensors::Error),
    /// The command line asks for something that cannot be done; the text says what to do.
    #[error("{0}")]
    BadInput(String),
    /// `--resume` with a flag that would change the model or the optimisation.
    #[error(
        "cannot resume {run}: --{flag} is {given} but the run was trained with {saved}; drop the flag or start a new run with another --out"
    )]
    ResumeMismatch {
        /// The run folder.
        run: PathBuf,
        /// The flag, kebab-case.
        flag: String,
        /// What the run used.
        saved: String,
        /// What the command line says.
        given: String,
    },
    /// A loss became non-finite or saturated: the run cannot recover.
    #[error(
        "training diverged: {what} is {value:.3e} at epoch {epoch}, step {step}; {cause}. Stopped at once; {checkpoint} and kept."
    )]
    Diverged {
        /// Which quantity.
        what: &'static str,
        /// Its value.
        value: f64,
        /// 1-based epoch.
        epoch: usize,
        /// Global step.
        step: i64,
        /// Which checkpoint is left.
        checkpoint: String,
        /// The likely cause, with what to try.
        cause: String,
    },
    /// SIGINT or SIGTERM arrived; the run stopped after the current step.
    #[error("stopped by {name} during epoch {epoch}; {checkpoint}; `--resume` will redo epoch {epoch} from there")]
    Interrupted {
        /// The signal number.
        signal: i32,
        /// SIGINT or SIGTERM.
        name: &'static str,
        /// The 1-based epoch that was interrupted.
        epoch: usize,
        /// What is on disk.
        checkpoint: String,
    },
    /// libtorch failed.
    #[error("libtorch: {0}")]
    Torch(#[from] tch::TchError),
    /// Reading or writing a run file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl Error {
    /// Process exit status (README, "Exit codes"): 2 for the caller's input (a diverged
    /// run included: its flags made it diverge), 128+signal for an interruption, 1 for a
    /// fault of ours or the system's.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Data(_)
            | Error::BadInput(_)
            | Error::ResumeMismatch { .. }
            | Error::Tensors(_)
            | Error::Diverged { .. } => dcgan::exit::EXIT_INPUT,
            Error::Download(DownloadError::Checksum { .. } | DownloadError::Http { .. }) => dcgan::exit::EXIT_INPUT,
            Error::Interrupted { signal, .. } => (128 + signal) as u8,
            Error::Download(DownloadError::Io { source, .. }) | Error::Io { source, .. } => {
                dcgan::exit::io_exit_code(source.kind())
            }
            Error::Torch(_) => dcgan::exit::EXIT_FAULT,
        }
    }
}

/// The error for `signal` (SIGINT or SIGTERM) arriving during `epoch`.
pub(crate) fn interrupted(signal: usize, epoch: usize) -> Error {
    let name = if signal == cli::signals::SIGINT as usize { "SIGINT" } else { "SIGTERM" };
    Error::Interrupted {
        signal: signal as i32,
        name,
        epoch,
        checkpoint: progress::last_checkpoint(epoch.saturating_sub(1)),
    }
}

/// Wrap an I/O error with its path.
pub(crate) fn io_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.to_path_buf(), source }
}
