//! The generators shipped in `models/`, compiled into the library (feature `shipped`,
//! on by default): digits with no file at all, and what `infer` and `serve` run when no
//! `--onnx` is given.
//!
//! ```
//! use dcgan_infer::{Generator, Seed, Shipped};
//! let g = Generator::builder().shipped(Shipped::Conditional).build()?;
//! let sevens = g.generate_digits(Seed(0), &[7; 8])?;
//! assert_eq!(sevens.len(), 8);
//! # Ok::<(), dcgan_infer::Error>(())
//! ```

use crate::Error;

/// One of the shipped generators (their card: `models/MODEL_CARD.md`).
///
/// ```
/// use dcgan_infer::{Generator, Shipped};
/// let g = Generator::builder().shipped(Shipped::Unconditional).build()?;
/// assert!(!g.conditional());
/// # Ok::<(), dcgan_infer::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shipped {
    /// `models/gen.onnx`: any digit (the `improved` recipe, odd-half Fréchet 1.95).
    Unconditional,
    /// `models/gen-cond.onnx`: the digit asked for (a `label` input).
    Conditional,
}

impl Shipped {
    /// The ONNX file's bytes, as committed.
    ///
    /// ```
    /// let bytes = dcgan_infer::Shipped::Unconditional.bytes();
    /// assert_eq!(bytes, dcgan_models::GEN_ONNX);
    /// ```
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Shipped::Unconditional => dcgan_models::GEN_ONNX,
            Shipped::Conditional => dcgan_models::GEN_COND_ONNX,
        }
    }

    /// Its path in the repository, which is how messages name it.
    ///
    /// ```
    /// assert_eq!(dcgan_infer::Shipped::Conditional.name(), "models/gen-cond.onnx");
    /// ```
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

/// Where a binary's model comes from: the file given with `--onnx`, or a shipped one.
///
/// ```
/// use dcgan_infer::{ModelSource, Shipped};
/// assert_eq!(ModelSource::choose(None, false), ModelSource::Shipped(Shipped::Unconditional));
/// assert_eq!(ModelSource::choose(None, false).to_string(), "the built-in models/gen.onnx");
/// ```
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
    ///
    /// ```
    /// use dcgan_infer::ModelSource;
    /// let given = ModelSource::choose(Some("mine.onnx".as_ref()), true); // --onnx wins
    /// assert_eq!(given, ModelSource::File("mine.onnx".into()));
    /// ```
    pub fn choose(onnx: Option<&std::path::Path>, digits_asked: bool) -> Self {
        match onnx {
            Some(path) => ModelSource::File(path.into()),
            None if digits_asked => ModelSource::Shipped(Shipped::Conditional),
            None => ModelSource::Shipped(Shipped::Unconditional),
        }
    }

    /// The model's bytes (read from the file, or borrowed from the binary).
    ///
    /// ```
    /// use dcgan_infer::ModelSource;
    /// assert_eq!(&*ModelSource::choose(None, true).bytes()?, dcgan_models::GEN_COND_ONNX);
    /// assert!(ModelSource::choose(Some("no/such.onnx".as_ref()), false).bytes().is_err());
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
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
