//! The generator: a checked model on one backend, run in bounded batches.

use std::path::Path;

use dcgan::arch::IMAGE_SIDE;
use image::GrayImage;

use crate::contract::{self, ModelInfo};
use crate::{Backend, Device, Error, grid};

/// Latent rows per run of the model: large enough to amortise a call, small enough
/// that memory stays bounded (256 × 784 floats ≈ 0.8 MB out).
pub const DEFAULT_BATCH: usize = 256;

const PIXELS: usize = IMAGE_SIDE * IMAGE_SIDE;

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
pub struct Generator {
    engine: Engine,
    info: ModelInfo,
    backend: Backend,
    device: Device,
    batch: usize,
}

/// Generated images: `n` × [1,28,28] values in [-1,1], row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Images {
    /// Number of images.
    pub n: usize,
    /// `n·784` values.
    pub data: Vec<f32>,
}

impl Generator {
    /// Load a generator from an ONNX file.
    pub fn from_path(path: &Path, backend: Backend, device: Device) -> Result<Self, Error> {
        let bytes = std::fs::read(path).map_err(|cause| Error::Io { path: path.into(), cause })?;
        Self::from_bytes(&bytes, backend, device)
    }

    /// Load a generator from ONNX bytes (for example `include_bytes!("gen.onnx")`).
    #[cfg_attr(not(any(feature = "tract", feature = "ort")), allow(unused_variables, unreachable_code))]
    pub fn from_bytes(bytes: &[u8], backend: Backend, device: Device) -> Result<Self, Error> {
        let info = contract::check(bytes)?;
        let engine = match (backend, device) {
            (Backend::Tract, Device::Cuda(_)) => {
                return Err(Error::Cuda("tract runs on the CPU only; use --backend ort for --device cuda".into()));
            }
            #[cfg(feature = "tract")]
            (Backend::Tract, Device::Cpu) => Engine::Tract(crate::tract_backend::TractModel::from_bytes(bytes)?),
            #[cfg(feature = "ort")]
            (Backend::Ort, device) => {
                Engine::Ort(crate::ort_backend::OrtModel::from_bytes(bytes, device, contract::INPUT, contract::OUTPUT)?)
            }
            #[allow(unreachable_patterns)]
            (backend, _) => {
                return Err(Error::BackendUnavailable(format!(
                    "the {backend:?} backend is not compiled into this build (cargo feature `{}`)",
                    format!("{backend:?}").to_lowercase()
                )));
            }
        };
        Ok(Self { engine, info, backend, device, batch: DEFAULT_BATCH })
    }

    /// Rows per run of the model (default [`DEFAULT_BATCH`]).
    pub fn with_batch_size(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// What the model says about itself.
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The device in use.
    pub fn device(&self) -> Device {
        self.device
    }

    /// One run of the model: z [n, latent] -> images [n,1,28,28].
    #[cfg_attr(not(any(feature = "tract", feature = "ort")), allow(unused_variables))]
    pub fn run(&self, z: &[f32]) -> Result<Vec<f32>, Error> {
        let latent = self.info.latent_dim;
        if z.is_empty() || !z.len().is_multiple_of(latent) {
            return Err(Error::BadInput(format!("z has {} values, not a positive multiple of {latent}", z.len())));
        }
        let shape = [z.len() / latent, latent];
        match &self.engine {
            #[cfg(feature = "tract")]
            Engine::Tract(m) => m.run(z, &shape),
            #[cfg(feature = "ort")]
            Engine::Ort(m) => m.run(z, &shape),
            #[cfg(not(any(feature = "tract", feature = "ort")))]
            Engine::None(never) => match *never {},
        }
    }

    /// Images for caller-given latents z [n, latent], run in batches.
    pub fn generate_from_z(&self, z: &[f32]) -> Result<Images, Error> {
        let mut data = Vec::with_capacity(z.len() / self.info.latent_dim * PIXELS);
        self.for_each_batch_from_z(z, |_, batch| {
            data.extend_from_slice(batch);
            Ok(())
        })?;
        Ok(Images::new(data))
    }

    /// `n` images from latents drawn with SplitMix64(`seed`) (README, "Latents").
    pub fn generate(&self, seed: u64, n: usize) -> Result<Images, Error> {
        let mut data = Vec::with_capacity(n * PIXELS);
        self.for_each_batch(seed, n, |_, batch| {
            data.extend_from_slice(batch);
            Ok(())
        })?;
        Ok(Images::new(data))
    }

    /// Stream `n` seeded images batch by batch: `f(first_index, values)` sees each batch
    /// once, so memory stays bounded whatever `n` is. The latents are the same as
    /// [`Generator::generate`]'s.
    pub fn for_each_batch(
        &self,
        seed: u64,
        n: usize,
        f: impl FnMut(usize, &[f32]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut rng = crate::SplitMix64::new(seed);
        self.stream(n, |rows| rng.latents(rows, self.info.latent_dim), f)
    }

    /// [`Generator::for_each_batch`] for caller-given latents z [n, latent].
    pub fn for_each_batch_from_z(
        &self,
        z: &[f32],
        f: impl FnMut(usize, &[f32]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let latent = self.info.latent_dim;
        if !z.len().is_multiple_of(latent) {
            return Err(Error::BadInput(format!("z has {} values, not a multiple of {latent}", z.len())));
        }
        let mut rest = z;
        self.stream(
            z.len() / latent,
            |rows| {
                let (head, tail) = rest.split_at(rows * latent);
                rest = tail;
                head.to_vec()
            },
            f,
        )
    }

    /// Run `n` rows in batches of at most `self.batch`, taking each batch's latents from
    /// `latents(rows)` and handing the images to `f(first_index, values)`.
    fn stream(
        &self,
        n: usize,
        mut latents: impl FnMut(usize) -> Vec<f32>,
        mut f: impl FnMut(usize, &[f32]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        if n == 0 {
            return Err(Error::BadInput("n must be at least 1".into()));
        }
        let mut done = 0;
        while done < n {
            let rows = self.batch.min(n - done);
            f(done, &self.run(&latents(rows))?)?;
            done += rows;
        }
        Ok(())
    }
}

impl Images {
    /// Images from their values (`n·784`, row-major).
    pub fn new(data: Vec<f32>) -> Self {
        Self { n: data.len() / PIXELS, data }
    }

    /// Image `i` as a gray image, each pixel repeated `scale`×`scale` times.
    pub fn gray(&self, i: usize, scale: u32) -> GrayImage {
        grid::tile(&self.data[i * PIXELS..(i + 1) * PIXELS], IMAGE_SIDE, scale)
    }

    /// All images tiled in `cols` columns.
    pub fn grid(&self, cols: usize, scale: u32) -> GrayImage {
        grid::grid(&self.data, self.n, IMAGE_SIDE, cols, scale)
    }
}
