//! `.npy` files: latents in (`--z`), images out (`--raw`), streamed.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use npyz::WriterBuilder;

use crate::Error;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |cause| Error::Io { path: path.into(), cause }
}

/// Read a float32 array of shape [n, dim] (or a flat one of n·dim values), in C or
/// Fortran order (a Fortran-order file is transposed into rows).
pub fn read_latents(path: &Path, dim: usize) -> Result<Vec<f32>, Error> {
    let file = File::open(path).map_err(io(path))?;
    let bytes = file.metadata().map_err(io(path))?.len();
    parse_latents(BufReader::new(file), bytes, dim, path)
}

/// [`read_latents`] of a `.npy` stream holding `bytes` bytes in all; `path` is for messages.
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

/// Streams images into a float32 `.npy` of shape [n,1,28,28], written to a temporary
/// name and renamed by [`RawWriter::finish`], so no partial file is left on error.
pub struct RawWriter {
    writer: npyz::NpyWriter<f32, BufWriter<dcgan::output::OutputFile>>,
    pending: dcgan::output::Pending,
    path: PathBuf,
}

impl RawWriter {
    /// Start a file that will hold `n` images.
    pub fn create(path: &Path, n: usize) -> Result<Self, Error> {
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
    pub fn push(&mut self, values: &[f32]) -> Result<(), Error> {
        self.writer.extend(values.iter().copied()).map_err(io(&self.path))
    }

    /// Close and move into place.
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
    pub fn abandon(self) {
        self.pending.abandon();
    }
}
