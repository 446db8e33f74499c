//! The generator: a checked model on one backend, run in bounded batches.

use dcgan::contract::{IMAGE_LEN as PIXELS, IMAGE_SHAPE, OUTPUT};

mod batches;

use crate::model_check::{self, ModelInfo};
use crate::{Backend, CudaOptions, Device, Error};

/// Latent rows per run of the model: large enough to amortise a call, small enough
/// that memory stays bounded (256 × 784 floats ≈ 0.8 MB out).
///
/// ```
/// assert_eq!(dcgan_infer::DEFAULT_BATCH, 256);
/// ```
pub const DEFAULT_BATCH: usize = 256;

enum Engine {
    #[cfg(feature = "tract")]
    Tract(crate::tract_backend::TractModel),
    #[cfg(feature = "ort")]
    Ort(crate::ort_backend::OrtModel),
    /// A build without backends can load no model.
    #[cfg(not(any(feature = "tract", feature = "ort")))]
    #[allow(dead_code)]
    None(std::convert::Infallible),
}

/// A generator ONNX model ready to run.
///
/// ```
/// use dcgan_infer::{Generator, Seed};
/// let g = Generator::builder().build()?; // Send + Sync: share it across threads
/// let images = std::thread::scope(|s| s.spawn(|| g.generate(Seed(1), 2)).join().unwrap())?;
/// assert_eq!(images, g.generate(Seed(1), 2)?);
/// # Ok::<(), dcgan_infer::Error>(())
/// ```
pub struct Generator {
    engine: Engine,
    info: ModelInfo,
    backend: Backend,
    device: Device,
    batch: usize,
}

impl std::fmt::Debug for Generator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generator")
            .field("backend", &self.backend)
            .field("device", &self.device)
            .field("batch", &self.batch)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl Generator {
    /// Screen, check and load `bytes` on `backend`, then smoke-run it: what
    /// [`GeneratorBuilder::build`](crate::GeneratorBuilder::build) does once it has the bytes.
    #[cfg_attr(not(any(feature = "tract", feature = "ort")), allow(unreachable_code))]
    #[cfg_attr(not(feature = "ort"), allow(unused_variables))]
    pub(crate) fn load(bytes: &[u8], backend: Backend, device: Device, cuda: CudaOptions) -> Result<Self, Error> {
        let info = model_check::check(bytes)?;
        let engine = match (backend, device) {
            (Backend::Tract, Device::Cuda(_)) => {
                return Err(Error::Cuda("tract runs on the CPU only; use --backend ort for --device cuda".into()));
            }
            #[cfg(feature = "tract")]
            (Backend::Tract, Device::Cpu) => Engine::Tract(crate::tract_backend::TractModel::from_bytes(bytes)?),
            #[cfg(feature = "ort")]
            (Backend::Ort, device) => Engine::Ort(crate::ort_backend::OrtModel::with_cuda_options(
                bytes,
                device,
                cuda,
                dcgan::contract::INPUT,
                dcgan::contract::OUTPUT,
            )?),
            #[allow(unreachable_patterns)]
            (backend, _) => {
                return Err(Error::BackendUnavailable(format!(
                    "the {backend:?} backend is not compiled into this build (cargo feature `{}`)",
                    format!("{backend:?}").to_lowercase()
                )));
            }
        };
        let generator = Self { engine, info, backend, device, batch: DEFAULT_BATCH };
        generator.smoke_run()?;
        Ok(generator)
    }

    /// One row of zeros (label 0), run once on load: a file whose declared interface
    /// passes the contract but whose graph cannot run (shapes inside that do not fit
    /// together) is the caller's input and is refused now, so that a later runtime
    /// failure is the runtime's.
    fn smoke_run(&self) -> Result<(), Error> {
        let labels = self.conditional().then_some(&[0i64][..]);
        match self.run(&vec![0.0; self.info.latent_dim], labels) {
            Err(Error::Runtime(why)) => Err(Error::NotAGenerator(format!("it fails to run on one row: {why}"))),
            other => other.map(drop),
        }
    }

    /// Rows per run of the model (default [`DEFAULT_BATCH`]).
    ///
    /// ```
    /// use dcgan_infer::{Generator, Seed};
    /// let g = Generator::builder().build()?.with_batch_size(1);
    /// assert_eq!(g.generate(Seed(0), 3)?.len(), 3);
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    pub fn with_batch_size(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// Use `threads` cores on the CPU (default: every core the process may use). tract
    /// runs at most `threads` row chunks at once (results do not depend on the count);
    /// ONNX Runtime runs with `threads` intra-op threads (its session is rebuilt, hence
    /// the `Result`). No effect on CUDA.
    ///
    /// ```
    /// let g = dcgan_infer::Generator::builder().build()?.with_threads(1)?;
    /// assert_eq!(g.generate(dcgan_infer::Seed(0), 2)?.len(), 2);
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    #[cfg_attr(not(any(feature = "tract", feature = "ort")), allow(unreachable_code, unused_variables, unused_mut))]
    pub fn with_threads(mut self, threads: usize) -> Result<Self, Error> {
        self.engine = match self.engine {
            #[cfg(feature = "tract")]
            Engine::Tract(m) => Engine::Tract(m.with_threads(threads)),
            #[cfg(feature = "ort")]
            Engine::Ort(m) => Engine::Ort(m.with_intra_op_threads(threads)?),
            #[cfg(not(any(feature = "tract", feature = "ort")))]
            Engine::None(never) => match never {},
        };
        Ok(self)
    }

    /// What the model says about itself.
    ///
    /// ```
    /// let g = dcgan_infer::Generator::builder().build()?;
    /// assert_eq!(g.info().metadata.get("latent_distribution").map(String::as_str), Some("uniform(-1,1)"));
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// The backend in use.
    ///
    /// ```
    /// let g = dcgan_infer::Generator::builder().build()?;
    /// assert_eq!(g.backend(), dcgan_infer::Backend::Tract);
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The device in use.
    ///
    /// ```
    /// let g = dcgan_infer::Generator::builder().build()?;
    /// assert_eq!(g.device(), dcgan_infer::Device::Cpu);
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    pub fn device(&self) -> Device {
        self.device
    }

    /// Whether the model takes a label per row (a conditional generator).
    ///
    /// ```
    /// use dcgan_infer::{Generator, Shipped};
    /// assert!(Generator::builder().shipped(Shipped::Conditional).build()?.conditional());
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    pub fn conditional(&self) -> bool {
        self.info.conditional()
    }

    /// Check `labels` against the model: only a conditional model takes them, and each
    /// must be a class it knows. Nothing runs with a bad index.
    ///
    /// ```
    /// use dcgan_infer::{Generator, Shipped};
    /// let g = Generator::builder().shipped(Shipped::Conditional).build()?;
    /// assert!(g.check_labels(&[0, 9]).is_ok() && g.check_labels(&[10]).is_err());
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    pub fn check_labels(&self, labels: &[i64]) -> Result<(), Error> {
        let Some(classes) = self.info.num_classes else {
            return Err(Error::BadInput(
                "this model is unconditional (no `label` input): it cannot be asked for a digit".into(),
            ));
        };
        match labels.iter().find(|&&l| !(0..classes as i64).contains(&l)) {
            Some(bad) => Err(Error::BadInput(format!("label {bad} is outside 0–{}", classes - 1))),
            None => Ok(()),
        }
    }

    /// One run of the model: z `[n, latent]` (and one label per row for a conditional
    /// model) -> images `[n,1,28,28]`. The runtime's actual output is checked: a model that
    /// returns another shape than the contract's is an error, not a picture.
    ///
    /// ```
    /// let g = dcgan_infer::Generator::builder().build()?;
    /// let values = g.run(&dcgan_infer::latents(0, 2), None)?; // z [2,100] -> [2,1,28,28]
    /// assert_eq!(values.len(), 2 * 28 * 28);
    /// assert!(g.run(&[0.0; 99], None).is_err_and(|e| e.is_bad_input())); // not a whole row
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    #[cfg_attr(not(any(feature = "tract", feature = "ort")), allow(unused_variables, unreachable_code))]
    pub fn run(&self, z: &[f32], labels: Option<&[i64]>) -> Result<Vec<f32>, Error> {
        let latent = self.info.latent_dim;
        if z.is_empty() || !z.len().is_multiple_of(latent) {
            return Err(Error::BadInput(format!("z has {} values, not a positive multiple of {latent}", z.len())));
        }
        let n = z.len() / latent;
        match (labels, self.conditional()) {
            (Some(l), _) if l.len() != n => {
                return Err(Error::BadInput(format!("{} labels for {n} latent rows", l.len())));
            }
            (Some(l), _) => self.check_labels(l)?,
            (None, true) => return Err(Error::BadInput("this conditional model needs one label per row".into())),
            (None, false) => {}
        }
        let shape = [n, latent];
        let (values, out_shape): (Vec<f32>, Vec<usize>) = match &self.engine {
            #[cfg(feature = "tract")]
            Engine::Tract(m) => m.run(z, &shape, labels)?,
            #[cfg(feature = "ort")]
            Engine::Ort(m) => m.run(z, &shape, labels)?,
            #[cfg(not(any(feature = "tract", feature = "ort")))]
            Engine::None(never) => match *never {},
        };
        let [c, h, w] = IMAGE_SHAPE;
        if out_shape != [n, c, h, w] || values.len() != n * PIXELS {
            return Err(Error::NotAGenerator(format!(
                "it declares output `{OUTPUT}` [N,{c},{h},{w}] but returned {out_shape:?} for {n} rows"
            )));
        }
        Ok(values)
    }
}
