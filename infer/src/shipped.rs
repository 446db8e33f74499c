//! The generators shipped in `models/`, compiled into the library (feature `shipped`,
//! on by default): digits with no file at all, and what `infer` and `serve` run when no
//! `--onnx` is given.
//!
//! ```
//! use dcgan_infer::{Backend, Device, Generator, Seed, Shipped};
//! let g = Generator::shipped(Shipped::Conditional, Backend::Tract, Device::Cpu)?;
//! let sevens = g.generate_digits(Seed(0), &[7; 8])?;
//! assert_eq!(sevens.len(), 8);
//! # Ok::<(), dcgan_infer::Error>(())
//! ```

use crate::{Backend, Device, Error, Generator};

/// One of the shipped generators (their card: `models/MODEL_CARD.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shipped {
    /// `models/gen.onnx`: any digit (the `improved` recipe, odd-half Fréchet 1.95).
    Unconditional,
    /// `models/gen-cond.onnx`: the digit asked for (a `label` input).
    Conditional,
}

impl Shipped {
    /// The ONNX file's bytes, as committed.
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Shipped::Unconditional => dcgan_models::GEN_ONNX,
            Shipped::Conditional => dcgan_models::GEN_COND_ONNX,
        }
    }

    /// Its path in the repository, which is how messages name it.
    pub fn name(self) -> &'static str {
        match self {
            Shipped::Unconditional => "models/gen.onnx",
            Shipped::Conditional => "models/gen-cond.onnx",
        }
    }
}

impl std::fmt::Display for Shipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the built-in {}", self.name())
    }
}

impl Generator {
    /// A shipped generator, from the bytes compiled into this library.
    pub fn shipped(which: Shipped, backend: Backend, device: Device) -> Result<Self, Error> {
        Self::from_bytes(which.bytes(), backend, device)
    }
}

/// Where a binary's model comes from: the file given with `--onnx`, or a shipped one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// An ONNX file.
    File(std::path::PathBuf),
    /// A generator compiled in.
    Shipped(Shipped),
}

impl ModelSource {
    /// `--onnx FILE` if given, else the shipped conditional model when digits are asked
    /// for and the unconditional one otherwise.
    pub fn choose(onnx: Option<&std::path::Path>, digits_asked: bool) -> Self {
        match onnx {
            Some(path) => ModelSource::File(path.into()),
            None if digits_asked => ModelSource::Shipped(Shipped::Conditional),
            None => ModelSource::Shipped(Shipped::Unconditional),
        }
    }

    /// The model's bytes (read from the file, or borrowed from the binary).
    pub fn bytes(&self) -> Result<std::borrow::Cow<'static, [u8]>, Error> {
        match self {
            ModelSource::File(path) => std::fs::read(path)
                .map(std::borrow::Cow::Owned)
                .map_err(|cause| Error::Io { path: path.clone(), cause }),
            ModelSource::Shipped(which) => Ok(std::borrow::Cow::Borrowed(which.bytes())),
        }
    }
}

impl std::fmt::Display for ModelSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModelSource::File(path) => write!(f, "{}", path.display()),
            ModelSource::Shipped(which) => write!(f, "{which}"),
        }
    }
}
