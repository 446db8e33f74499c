//! Generate MNIST digits from a DCGAN generator in ONNX: the shipped ones (compiled
//! in, no file needed) or any file of the same contract, on tract (pure Rust, CPU) or
//! ONNX Runtime (CPU or CUDA).
//!
//! ```
//! use dcgan_infer::{Generator, Seed};
//!
//! let g = Generator::builder().build()?;         // the shipped models/gen.onnx, tract, CPU
//! let images = g.generate(Seed(42), 16)?;        // the digits of `infer --seed 42 -n 16`
//! let picture = images.grid(4, 2)?;              // 4 columns, each digit 56×56
//! assert_eq!(picture.dimensions(), (4 * (56 + 2) + 2, 4 * (56 + 2) + 2)); // 2-pixel gaps
//! # Ok::<(), dcgan_infer::Error>(())
//! ```
//!
//! A file of your own: `Generator::builder().onnx("gen.onnx").build()?`; bytes in memory:
//! `.bytes(include_bytes!("gen.onnx"))`. Before any runtime sees a file it is screened
//! (no external data, subgraphs or functions; tensors hold the bytes they declare) and
//! checked against the ONNX contract: input `z` f32 `[N, latent]` (and `label` int64 `[N]`
//! for a conditional model), output `image` f32 `[N,1,28,28]`; metadata is read when
//! present. Every failure is an [`Error`]; [`Error::is_bad_input`] tells the caller's bad
//! file or argument from the runtime's failure.
//!
//! **Threads.** A [`Generator`] is `Send + Sync`. With tract, runs from several threads
//! proceed in parallel on one shared generator. With ort, a session runs one batch at a
//! time (ONNX Runtime already uses several cores inside a run), so threads sharing one
//! generator take turns; give each thread its own generator to overlap runs.
//!
//! **Features.** `tract` (default) and `ort` select the backends; `shipped` (default)
//! compiles in the shipped models (about 9 MB, crate `dcgan-models`); `clap` derives
//! `clap::ValueEnum` for [`Backend`]; `cli` builds the `infer` binary.

#![deny(missing_docs)]

mod builder;
mod generator;
mod images;
pub mod model_check;
pub mod npy;
pub mod request;
#[cfg(feature = "shipped")]
mod shipped;

// The runtimes' adapters, under [`Generator`]: public for this workspace's benchmarks and
// agreement tests, which measure and compare the backends themselves; not the API.
#[doc(hidden)]
#[cfg(any(feature = "tract", feature = "ort"))]
pub mod chunks;
#[doc(hidden)]
#[cfg(feature = "ort")]
pub mod ort_backend;
#[doc(hidden)]
#[cfg(feature = "tract")]
pub mod tract_backend;

pub use builder::GeneratorBuilder;
#[cfg(any(feature = "tract", feature = "ort"))]
pub use chunks::available_threads;
pub use dcgan::latent::{SplitMix64, latents, slerp};
pub use generator::{DEFAULT_BATCH, Generator};
pub use images::Images;
pub use model_check::ModelInfo;
pub use request::{Digits, Plan};
#[cfg(feature = "shipped")]
pub use shipped::{ModelSource, Shipped};
#[cfg(feature = "tract")]
pub use tract_backend::quiet_guarded_panics;

/// Which runtime executes the model.
///
/// ```
/// use dcgan_infer::{Backend, Generator};
/// assert_eq!(Backend::Tract.to_string(), "tract");
/// let g = Generator::builder().backend(Backend::Tract).build()?;
/// assert_eq!(g.backend(), Backend::Tract);
/// # Ok::<(), dcgan_infer::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Backend {
    /// tract: pure Rust, CPU only, no native library.
    Tract,
    /// ONNX Runtime through ort: CPU, or CUDA with onnxruntime-gpu.
    Ort,
}

pub use dcgan::Device;

/// The seed of a run's latents: SplitMix64 with this state draws z (README, "Latents"),
/// so a seed names the same digits in every runtime and language. A type of its own so
/// that a seed and a count cannot trade places in [`Generator::generate`].
///
/// ```
/// let z = dcgan_infer::SplitMix64::new(dcgan_infer::Seed(0).0).latents(1, 100);
/// assert!((z[0] - 0.766_621_6).abs() < 1e-6);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Seed(pub u64);

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
    ///
    /// ```
    /// use dcgan_infer::{Backend, Device};
    /// assert_eq!(Backend::choose(None, Device::Cpu), Backend::Tract);
    /// assert_eq!(Backend::choose(None, Device::Cuda(0)), Backend::Ort);
    /// assert_eq!(Backend::choose(Some(Backend::Ort), Device::Cpu), Backend::Ort);
    /// ```
    pub fn choose(asked: Option<Backend>, device: Device) -> Backend {
        match (asked, device) {
            (Some(backend), _) => backend,
            (None, Device::Cuda(_)) => Backend::Ort,
            (None, Device::Cpu) => Backend::Tract,
        }
    }
}

/// What can go wrong loading or running a generator: the one error type of the library,
/// `Send + Sync + 'static`, so that it crosses threads and boxes into any app's error.
/// [`Error::is_bad_input`] tells the caller's bad file or argument from a runtime's
/// failure.
///
/// ```
/// fn app_error<E: std::error::Error + Send + Sync + 'static>(_: &E) {}
/// let e = dcgan_infer::Generator::builder().bytes(&b"junk"[..]).build().unwrap_err();
/// app_error(&e);
/// assert!(e.is_bad_input() && e.to_string().starts_with("not an ONNX model"));
/// ```
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

impl From<dcgan_onnx::Error> for Error {
    fn from(e: dcgan_onnx::Error) -> Self {
        match e {
            dcgan_onnx::Error::NotOnnx(cause) => Error::NotOnnx(cause.to_string()),
            dcgan_onnx::Error::Refused(why) => Error::Refused(why),
        }
    }
}

/// Options of ONNX Runtime's CUDA provider.
///
/// ```
/// let options = dcgan_infer::CudaOptions::default();
/// assert!(!options.tf32); // float32 products unless asked
/// ```
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
    ///
    /// ```
    /// use dcgan_infer::Generator;
    /// assert!(Generator::builder().bytes(&b"junk"[..]).build().unwrap_err().is_bad_input());
    /// ```
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, Error::Runtime(_) | Error::Cancelled)
    }

    /// The process exit status for this error (README, "Exit codes").
    ///
    /// ```
    /// let e = dcgan_infer::Generator::builder().bytes(&b"junk"[..]).build().unwrap_err();
    /// assert_eq!(e.exit_code(), 2); // the caller's input
    /// ```
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Io { cause, .. } => dcgan::exit::io_exit_code(cause.kind()),
            e if e.is_bad_input() => dcgan::exit::EXIT_INPUT,
            _ => dcgan::exit::EXIT_FAULT,
        }
    }
}
