//! [`Generator::builder`]: every way to load a generator, with the shipped model, tract
//! and the CPU as the defaults, so that the shortest call is also a correct one.

use std::borrow::Cow;
use std::path::PathBuf;

use crate::{Backend, CudaOptions, Device, Error, Generator};

/// Where the model comes from.
#[derive(Debug, Clone)]
enum Source<'a> {
    #[cfg(feature = "shipped")]
    Shipped(crate::Shipped),
    File(PathBuf),
    Bytes(Cow<'a, [u8]>),
}

/// Options for loading a [`Generator`]; start with [`Generator::builder`].
///
/// ```
/// use dcgan_infer::{Backend, Device, Generator};
/// let g = Generator::builder()          // the shipped models/gen.onnx
///     .backend(Backend::Tract)          // the default on the CPU
///     .device(Device::Cpu)              // the default
///     .threads(1)
///     .build()?;
/// assert_eq!(g.info().latent_dim, 100);
/// # Ok::<(), dcgan_infer::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until .build()"]
pub struct GeneratorBuilder<'a> {
    source: Option<Source<'a>>,
    backend: Option<Backend>,
    device: Device,
    cuda: CudaOptions,
    threads: Option<usize>,
    batch: Option<usize>,
}

impl Generator {
    /// A [`GeneratorBuilder`]: with no other call, `.build()` loads the shipped
    /// unconditional generator on tract, on the CPU (feature `shipped`, on by default).
    ///
    /// ```
    /// let g = dcgan_infer::Generator::builder().build()?;
    /// assert!(!g.conditional());
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    pub fn builder() -> GeneratorBuilder<'static> {
        GeneratorBuilder {
            source: None,
            backend: None,
            device: Device::Cpu,
            cuda: CudaOptions::default(),
            threads: None,
            batch: None,
        }
    }
}

impl<'a> GeneratorBuilder<'a> {
    /// One of the generators compiled into the library.
    ///
    /// ```
    /// use dcgan_infer::{Generator, Shipped};
    /// assert!(Generator::builder().shipped(Shipped::Conditional).build()?.conditional());
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    #[cfg(feature = "shipped")]
    pub fn shipped(mut self, which: crate::Shipped) -> Self {
        self.source = Some(Source::Shipped(which));
        self
    }

    /// What a binary chose with [`ModelSource::choose`](crate::ModelSource::choose): a
    /// file or a shipped generator.
    ///
    /// ```
    /// use dcgan_infer::{Generator, ModelSource};
    /// let source = ModelSource::choose(None, true); // no --onnx, a digit asked for
    /// assert!(Generator::builder().source(source).build()?.conditional());
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    #[cfg(feature = "shipped")]
    pub fn source(mut self, source: crate::ModelSource) -> Self {
        self.source = Some(match source {
            crate::ModelSource::File(path) => Source::File(path),
            crate::ModelSource::Shipped(which) => Source::Shipped(which),
        });
        self
    }

    /// An ONNX file, screened and checked against the contract on [`build`](Self::build):
    /// a stranger's file ends in an [`Error`], never in a crash.
    ///
    /// ```
    /// let missing = dcgan_infer::Generator::builder().onnx("no/such/file.onnx").build();
    /// assert!(missing.is_err_and(|e| e.is_bad_input()));
    /// ```
    pub fn onnx(mut self, path: impl AsRef<std::path::Path>) -> Self {
        self.source = Some(Source::File(path.as_ref().to_path_buf()));
        self
    }

    /// ONNX bytes already in memory (`include_bytes!`, a download).
    ///
    /// ```
    /// let refused = dcgan_infer::Generator::builder().bytes(b"not a model").build();
    /// assert!(refused.is_err_and(|e| e.is_bad_input()));
    /// ```
    pub fn bytes<'b>(self, bytes: impl Into<Cow<'b, [u8]>>) -> GeneratorBuilder<'b> {
        GeneratorBuilder {
            source: Some(Source::Bytes(bytes.into())),
            backend: self.backend,
            device: self.device,
            cuda: self.cuda,
            threads: self.threads,
            batch: self.batch,
        }
    }

    /// The runtime [default: tract on the CPU, ONNX Runtime on CUDA ([`Backend::choose`])].
    ///
    /// ```
    /// use dcgan_infer::{Backend, Generator};
    /// assert_eq!(Generator::builder().backend(Backend::Tract).build()?.backend(), Backend::Tract);
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    pub fn backend(mut self, backend: Backend) -> Self {
        self.backend = Some(backend);
        self
    }

    /// Where to run [default: the CPU]; CUDA needs the `ort` backend and never falls
    /// back to the CPU silently.
    ///
    /// ```
    /// use dcgan_infer::{Backend, Device, Generator};
    /// let tract_on_cuda = Generator::builder().backend(Backend::Tract).device(Device::Cuda(0)).build();
    /// assert!(tract_on_cuda.is_err_and(|e| matches!(e, dcgan_infer::Error::Cuda(_)))); // never a silent CPU run
    /// ```
    pub fn device(mut self, device: Device) -> Self {
        self.device = device;
        self
    }

    /// Options of ONNX Runtime's CUDA provider.
    ///
    /// ```
    /// use dcgan_infer::{CudaOptions, Generator};
    /// // Read only on CUDA; on the CPU the options change nothing.
    /// let g = Generator::builder().cuda_options(CudaOptions { tf32: true }).build()?;
    /// assert_eq!(g.device(), dcgan_infer::Device::Cpu);
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    pub fn cuda_options(mut self, cuda: CudaOptions) -> Self {
        self.cuda = cuda;
        self
    }

    /// CPU cores to use [default: every core the process may use]
    /// ([`Generator::with_threads`]).
    ///
    /// ```
    /// use dcgan_infer::{Generator, Seed};
    /// let one = Generator::builder().threads(1).build()?.generate(Seed(3), 4)?;
    /// assert_eq!(one, Generator::builder().threads(2).build()?.generate(Seed(3), 4)?); // same digits
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = Some(threads);
        self
    }

    /// Rows per model run [default: [`crate::DEFAULT_BATCH`]].
    ///
    /// ```
    /// use dcgan_infer::{Generator, Seed};
    /// let small = Generator::builder().batch_size(2).build()?.generate(Seed(3), 5)?; // 3 runs
    /// assert_eq!(small, Generator::builder().build()?.generate(Seed(3), 5)?); // 1 run, same digits
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    pub fn batch_size(mut self, rows: usize) -> Self {
        self.batch = Some(rows);
        self
    }

    /// Load, screen, check and smoke-run the model.
    ///
    /// ```
    /// let g = dcgan_infer::Generator::builder().build()?;
    /// assert_eq!((g.info().latent_dim, g.conditional()), (100, false));
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    pub fn build(self) -> Result<Generator, Error> {
        let backend = Backend::choose(self.backend, self.device);
        let g = match self.source {
            Some(Source::File(path)) => {
                let bytes = std::fs::read(&path).map_err(|cause| Error::Io { path, cause })?;
                Generator::load(&bytes, backend, self.device, self.cuda)?
            }
            Some(Source::Bytes(bytes)) => Generator::load(&bytes, backend, self.device, self.cuda)?,
            #[cfg(feature = "shipped")]
            Some(Source::Shipped(which)) => Generator::load(which.bytes(), backend, self.device, self.cuda)?,
            #[cfg(feature = "shipped")]
            None => Generator::load(crate::Shipped::Unconditional.bytes(), backend, self.device, self.cuda)?,
            #[cfg(not(feature = "shipped"))]
            None => {
                return Err(Error::BadInput(
                    "no model: give .onnx(path) or .bytes(..) (or enable the `shipped` feature)".into(),
                ));
            }
        };
        let g = match self.threads {
            Some(threads) => g.with_threads(threads)?,
            None => g,
        };
        Ok(match self.batch {
            Some(rows) => g.with_batch_size(rows),
            None => g,
        })
    }
}
