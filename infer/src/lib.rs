//! Generate MNIST digits from the exported ONNX generator, with ONNX Runtime (`ort`,
//! CPU or CUDA) or tract (pure Rust, CPU).
//!
//! ```no_run
//! use infer::{Backend, Device, Generator};
//! # fn main() -> Result<(), infer::Error> {
//! let g = Generator::from_path("models/gen.onnx".as_ref(), Backend::Tract, Device::Cpu)?;
//! let images = g.generate(42, 16)?;            // z from SplitMix64(42), DESIGN.md §3
//! images.grid(4, 2)?.save("digits.png").ok();  // 4 columns, each digit 56×56
//! let first: image::GrayImage = images.gray(0, 1)?;
//! # Ok(()) }
//! ```
//!
//! Load from bytes with [`Generator::from_bytes`] (e.g. `include_bytes!`, see
//! `examples/embed.rs`). On load the model is checked against the ONNX contract: input
//! `z` f32 [N, latent], output `image` f32 [N,1,28,28]; metadata is read when present.
//!
//! **Threads.** A [`Generator`] is `Send + Sync`. With tract, runs from several threads
//! proceed in parallel on one shared generator. With ort, a session runs one batch at a
//! time (ONNX Runtime already uses several cores inside a run), so threads sharing one
//! generator take turns; give each thread its own generator to overlap runs.
//!
//! **Shipped models.** [`Generator::shipped`] loads the generators of `models/` from
//! bytes compiled into the library (feature `shipped`): digits with no file at all.
//!
//! **Features.** `tract` and `ort` (both default) select the backends; an embedder can
//! take `default-features = false, features = ["tract"]` to need no native library.
//! `shipped` (default) compiles in the shipped models (about 9 MB).

#[cfg(any(feature = "tract", feature = "ort"))]
pub mod chunks;
pub mod contract;
mod generator;
pub mod npy;
#[cfg(feature = "ort")]
pub mod ort_backend;
pub mod pb;
pub mod request;
#[cfg(feature = "serve")]
pub mod serve;
#[cfg(feature = "shipped")]
pub mod shipped;
mod stranger;
#[cfg(feature = "tract")]
pub mod tract_backend;

#[cfg(any(feature = "tract", feature = "ort"))]
pub use chunks::available_threads;
pub use contract::ModelInfo;
pub use dcgan::latent::{SplitMix64, latents};
pub use generator::{DEFAULT_BATCH, Generator, Images};
pub use request::{Digits, Plan};
#[cfg(feature = "shipped")]
pub use shipped::{ModelSource, Shipped};

/// Which runtime executes the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// tract: pure Rust, CPU only, no native library.
    Tract,
    /// ONNX Runtime through ort: CPU, or CUDA with onnxruntime-gpu.
    Ort,
}

pub use dcgan::Device;

impl std::fmt::Display for Backend {
    /// The name `--backend` takes: `tract` or `ort`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Tract => "tract",
            Backend::Ort => "ort",
        })
    }
}

impl Backend {
    /// The backend for `device` when `asked` may be unset: CUDA means ONNX Runtime (tract
    /// is CPU-only), anything else tract. What was asked is kept (tract on CUDA is then
    /// refused on load, in one line). `infer` and `serve` both choose this way.
    pub fn choose(asked: Option<Backend>, device: Device) -> Backend {
        match (asked, device) {
            (Some(backend), _) => backend,
            (None, Device::Cuda(_)) => Backend::Ort,
            (None, Device::Cpu) => Backend::Tract,
        }
    }
}

/// What can go wrong loading or running a generator.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{path}: {cause}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The cause (named `cause`, not `source`, so that error chains print it once).
        cause: std::io::Error,
    },
    /// The bytes are not a loadable ONNX model.
    #[error("not an ONNX model: {0}")]
    NotOnnx(String),
    /// A model that could make a runtime read other files or run code paths this
    /// loader does not vouch for (external data, subgraphs, functions, lying sizes).
    #[error("refused: {0}")]
    Refused(String),
    /// A valid ONNX model that is not a generator of this contract.
    #[error("not a DCGAN generator: {0}")]
    NotAGenerator(String),
    /// The requested backend is not compiled in or its library cannot be loaded.
    #[error("{0}")]
    BackendUnavailable(String),
    /// CUDA was asked for and cannot be had (never a silent CPU fallback).
    #[error("{0}")]
    Cuda(String),
    /// Bad arguments (n = 0, z of the wrong length, …).
    #[error("{0}")]
    BadInput(String),
    /// The runtime failed while running.
    #[error("{0}")]
    Runtime(String),
    /// The caller's callback stopped a streamed run.
    #[error("stopped before the last batch")]
    Cancelled,
}

/// Options of ONNX Runtime's CUDA provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CudaOptions {
    /// Let cuDNN and cuBLAS use TF32 (10-bit mantissa) matrix products: faster, but
    /// about 1e-3 from float32. ONNX Runtime turns it on by default; this library keeps
    /// it off unless asked (`infer --tf32`), so that output agrees with the trainer's to
    /// 1e-5 (DESIGN.md §2).
    pub tf32: bool,
}

impl Error {
    /// True for errors caused by what the caller passed (exit status 2 in the CLI, a 4xx
    /// in `serve`); false for a runtime's failure (exit 1, a 500).
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, Error::Runtime(_) | Error::Cancelled)
    }

    /// The process exit status for this error (README, "Exit codes").
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Io { cause, .. } => dcgan::exit::io_exit_code(cause.kind()),
            e if e.is_bad_input() => dcgan::exit::EXIT_INPUT,
            _ => dcgan::exit::EXIT_FAULT,
        }
    }
}
