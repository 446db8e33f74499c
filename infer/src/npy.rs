//! `.npy` files: latents in (`--z`), images out (`--raw`), streamed.
//!
//! ```
//! use dcgan_infer::npy::{RawWriter, read_latents};
//! let path = std::env::temp_dir().join("dcgan-infer-doc-npy.npy");
//! let mut raw = RawWriter::create(&path, 1)?; // images [1,1,28,28]
//! raw.push(&[0.0; 784])?;
//! raw.finish()?;
//! let refused = read_latents(&path, 100); // images are not latents [n,100]
//! assert!(refused.is_err_and(|e| e.is_bad_input()));
//! # Ok::<(), dcgan_infer::Error>(())
//! ```
//!
//! ```
//! use dcgan_infer::{Generator, npy};
//! # let dir = std::env::temp_dir();
//! # let z_file = dir.join("dcgan-infer-doc-z.npy");
//! # let mut w = npy::RawWriter::create(&z_file, 1)?; w.push(&[0.0; 784])?; w.finish()?; // 784 = 7.84 rows of 100: refused below
//! let refused = npy::read_latents(&z_file, 100); // [1,1,28,28] is not [n,100]
//! assert!(refused.is_err_and(|e| e.is_bad_input()));
//! # Ok::<(), dcgan_infer::Error>(())
//! ```

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use npyz::WriterBuilder;

use crate::Error;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |cause| Error::Io { path: path.into(), cause }
}

/// Read a float32 array of shape `[n, dim]` (or a flat one of n·dim values), in C or
/// Fortran order (a Fortran-order file is transposed into rows).
///
/// ```
/// let path = std::env::temp_dir().join("dcgan-infer-doc-read-latents.npy");
/// std::fs::write(&path, b"not npy")?;
/// assert!(dcgan_infer::npy::read_latents(&path, 100).is_err_and(|e| e.is_bad_input()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_latents(path: impl AsRef<Path>, dim: usize) -> Result<Vec<f32>, Error> {
    let path = path.as_ref();
    let file = File::open(path).map_err(io(path))?;
    let bytes = file.metadata().map_err(io(path))?.len();
    parse_latents(BufReader::new(file), bytes, dim, path)
}

/// [`read_latents`] of a `.npy` stream holding `bytes` bytes in all; `path` is for messages.
///
/// ```
/// // A header that declares [2^40, 100] in a 128-byte stream is refused before any allocation.
/// let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 100), }";
/// let mut file = b"\x93NUMPY\x01\x00".to_vec();
/// file.extend(118u16.to_le_bytes());
/// file.extend(format!("{dict:<117}\n").bytes());
/// let refused = dcgan_infer::npy::parse_latents(&file[..], 128, 100, "huge.npy".as_ref());
/// assert!(refused.is_err_and(|e| e.to_string().contains("has only 128 bytes")));
/// ```
pub fn parse_latents(reader: impl std::io::Read, bytes: u64, dim: usize, path: &Path) -> Result<Vec<f32>, Error> {
    let npy = npyz::NpyFile::new(reader)
        .map_err(|e| Error::BadInput(format!("{}: not a .npy file ({e})", path.display())))?;
    let shape = npy.shape().to_vec();
    let fortran = npy.order() == npyz::Order::Fortran;
    let ok = match shape.as_slice() {
        [_, d] => *d == dim as u64,
        [len] => len.is_multiple_of(dim as u64),
        _ => false,
    };
    // A header may declare any size: believe it only as far as the stream's bytes go.
    let declared = shape.iter().try_fold(4u64, |acc, &d| acc.checked_mul(d));
    if !ok || declared == Some(0) {
        return Err(Error::BadInput(format!("{}: shape {shape:?}, expected [n, {dim}] float32", path.display())));
    }
    if declared.is_none_or(|d| d > bytes) {
        return Err(Error::BadInput(format!(
            "{}: its header declares shape {shape:?} but the file has only {bytes} bytes",
            path.display()
        )));
    }
    let values = npy
        .into_vec::<f32>()
        .map_err(|e| Error::BadInput(format!("{}: expected float32 values ({e})", path.display())))?;
    if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
        return Err(Error::BadInput(format!("{}: holds a non-finite latent ({bad})", path.display())));
    }
    if !fortran || shape.len() != 2 {
        return Ok(values);
    }
    // Column-major [n, dim]: value (i, j) sits at j·n + i.
    let n = shape[0] as usize;
    Ok((0..n * dim).map(|k| values[(k % dim) * n + k / dim]).collect())
}

/// Streams images into a float32 `.npy` of shape `[n,1,28,28]`, written to a temporary
/// name and renamed by [`RawWriter::finish`], so no partial file is left on error.
///
/// ```
/// use dcgan_infer::{Generator, Seed, npy::RawWriter};
/// let path = std::env::temp_dir().join("dcgan-infer-doc-raw.npy");
/// let mut raw = RawWriter::create(&path, 3)?; // images [3,1,28,28]
/// Generator::builder().build()?.for_each_batch(Seed(0), 3, None, |_, values| raw.push(values))?;
/// raw.finish()?;
/// assert_eq!(std::fs::metadata(&path).map_err(|e| dcgan_infer::Error::Io { path, cause: e })?.len(), 128 + 3 * 784 * 4);
/// # Ok::<(), dcgan_infer::Error>(())
/// ```
pub struct RawWriter {
    writer: npyz::NpyWriter<f32, BufWriter<dcgan::output::OutputFile>>,
    pending: dcgan::output::Pending,
    path: PathBuf,
}

impl RawWriter {
    /// Start a file that will hold `n` images.
    ///
    /// ```
    /// let path = std::env::temp_dir().join("dcgan-infer-doc-create.npy");
    /// let raw = dcgan_infer::npy::RawWriter::create(&path, 1)?;
    /// raw.abandon(); // nothing written at `path`
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    pub fn create(path: impl AsRef<Path>, n: usize) -> Result<Self, Error> {
        let path = path.as_ref();
        // A regular file is replaced once whole; a device or FIFO is written through.
        let (file, pending) = dcgan::output::create_output(path).map_err(io(path))?;
        let file = BufWriter::new(file);
        let writer = npyz::WriteOptions::new()
            .default_dtype()
            .shape(&dcgan::contract::output_shape(n as i64).map(|d| d as u64))
            .writer(file)
            .begin_nd()
            .map_err(io(path))?;
        Ok(Self { writer, pending, path: path.into() })
    }

    /// Append a batch of values.
    ///
    /// ```
    /// let path = std::env::temp_dir().join("dcgan-infer-doc-push.npy");
    /// let mut raw = dcgan_infer::npy::RawWriter::create(&path, 1)?;
    /// raw.push(&[0.0; 784])?;
    /// raw.finish()?;
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    pub fn push(&mut self, values: &[f32]) -> Result<(), Error> {
        self.writer.extend(values.iter().copied()).map_err(io(&self.path))
    }

    /// Close and move into place.
    ///
    /// ```
    /// let path = std::env::temp_dir().join("dcgan-infer-doc-finish.npy");
    /// let mut raw = dcgan_infer::npy::RawWriter::create(&path, 1)?;
    /// raw.push(&[1.0; 784])?;
    /// raw.finish()?;
    /// assert!(path.is_file());
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    pub fn finish(self) -> Result<(), Error> {
        match self.writer.finish() {
            Ok(()) => self.pending.finish().map_err(io(&self.path)),
            Err(e) => {
                self.pending.abandon();
                Err(io(&self.path)(e))
            }
        }
    }

    /// Remove the temporary file (after an error).
    ///
    /// ```
    /// let path = std::env::temp_dir().join("dcgan-infer-doc-abandon.npy");
    /// std::fs::remove_file(&path).ok();
    /// dcgan_infer::npy::RawWriter::create(&path, 1)?.abandon();
    /// assert!(!path.exists());
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    pub fn abandon(self) {
        self.pending.abandon();
    }
}
