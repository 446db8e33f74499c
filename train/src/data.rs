//! MNIST-format datasets: finding the folder, reading IDX files (raw or gzip'd), and
//! turning the pixels into the training tensor's values.

use std::io::Read;
use std::path::{Path, PathBuf};

use dcgan::arch::IMAGE_SIDE;
use sha2::{Digest, Sha256};

/// Which dataset to train on. Both use MNIST's IDX format and file names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Dataset {
    /// Handwritten digits (LeCun et al.).
    Mnist,
    /// Zalando's clothing images, from Debian's `dataset-fashion-mnist`.
    FashionMnist,
}

/// Training or test split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// 60000 images.
    Train,
    /// 10000 images.
    Test,
}

/// Images and labels of one split.
#[derive(Debug, Clone)]
pub struct Images {
    /// `count·rows·cols` pixels, 0..=255, row-major, image after image.
    pub pixels: Vec<u8>,
    /// One label per image.
    pub labels: Vec<u8>,
    /// Number of images.
    pub count: usize,
    /// Rows per image.
    pub rows: usize,
    /// Columns per image.
    pub cols: usize,
}

/// What can go wrong finding or reading a dataset.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file of the split is in neither raw nor gzip'd form.
    #[error("{dataset} not found: {dir} has no {file} (nor {file}.gz). {hint}")]
    Missing {
        /// Dataset name.
        dataset: &'static str,
        /// Folder searched.
        dir: PathBuf,
        /// File looked for.
        file: &'static str,
        /// How to get the data.
        hint: String,
    },
    /// Reading failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a valid IDX file of the expected kind.
    #[error("{path}: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Images and labels disagree.
    #[error("{dir}: {images} images but {labels} labels")]
    CountMismatch {
        /// The folder.
        dir: PathBuf,
        /// Images found.
        images: usize,
        /// Labels found.
        labels: usize,
    },
}

/// The IDX file names of MNIST and Fashion-MNIST.
pub const FILES: [&str; 4] =
    ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

/// Where Debian's `dataset-fashion-mnist` puts its files.
pub const FASHION_DIR: &str = "/usr/share/datasets/fashion-mnist";

impl Dataset {
    /// Name used in configs and messages.
    pub fn name(self) -> &'static str {
        match self {
            Dataset::Mnist => "mnist",
            Dataset::FashionMnist => "fashion-mnist",
        }
    }

    /// The dataset called `name` (as written in configs).
    pub fn from_name(name: &str) -> Option<Self> {
        [Dataset::Mnist, Dataset::FashionMnist].into_iter().find(|d| d.name() == name)
    }

    /// The data folder: `--data`, else `MNIST_DIR` (MNIST only), else the default
    /// (`data/mnist`, or Debian's folder for Fashion-MNIST).
    pub fn resolve_dir(self, flag: Option<&Path>) -> PathBuf {
        if let Some(dir) = flag {
            return dir.to_path_buf();
        }
        match self {
            Dataset::Mnist => std::env::var_os("MNIST_DIR").map_or_else(|| PathBuf::from("data/mnist"), PathBuf::from),
            Dataset::FashionMnist => PathBuf::from(FASHION_DIR),
        }
    }

    fn hint(self, dir: &Path) -> String {
        match self {
            Dataset::Mnist => format!(
                "Pass --download to fetch it into {} (or point --data / MNIST_DIR at a folder holding the four IDX files).",
                dir.display()
            ),
            Dataset::FashionMnist => {
                "Install it with `apt-get install dataset-fashion-mnist`, or point --data at a folder holding the four IDX files."
                    .into()
            }
        }
    }
}

/// Path of `name` or `name.gz` in `dir`, whichever exists.
pub fn find_file(dir: &Path, name: &'static str, dataset: Dataset) -> Result<PathBuf, DataError> {
    let raw = dir.join(name);
    let gz = dir.join(format!("{name}.gz"));
    [raw, gz].into_iter().find(|p| p.is_file()).ok_or_else(|| DataError::Missing {
        dataset: dataset.name(),
        dir: dir.to_path_buf(),
        file: name,
        hint: dataset.hint(dir),
    })
}

/// Largest IDX file read, after decompression (MNIST's training images are 47 MB): a
/// gzip stream may expand a thousandfold, so it is read only this far.
pub const MAX_IDX_BYTES: usize = 1 << 27;

/// Read a whole file, decompressing it when it starts with the gzip magic.
pub fn read_maybe_gz(path: &Path) -> Result<Vec<u8>, DataError> {
    let raw = std::fs::read(path).map_err(|source| DataError::Io { path: path.to_path_buf(), source })?;
    decode_maybe_gz(raw, path)
}

/// `raw` itself, or its gzip decompression when it starts with the gzip magic; refused
/// beyond [`MAX_IDX_BYTES`] either way. `path` is for messages.
pub fn decode_maybe_gz(raw: Vec<u8>, path: &Path) -> Result<Vec<u8>, DataError> {
    let too_large = || DataError::Invalid {
        path: path.to_path_buf(),
        reason: format!("larger than {MAX_IDX_BYTES} bytes, more than any IDX file of this model's data"),
    };
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return if raw.len() > MAX_IDX_BYTES { Err(too_large()) } else { Ok(raw) };
    }
    let mut out = Vec::with_capacity(raw.len().saturating_mul(4).min(MAX_IDX_BYTES));
    flate2::read::GzDecoder::new(&raw[..]).take(MAX_IDX_BYTES as u64 + 1).read_to_end(&mut out).map_err(|source| {
        // flate2 says "incomplete deflate stream" (or hits the end) for a cut download.
        if source.kind() == std::io::ErrorKind::UnexpectedEof || source.to_string().contains("incomplete") {
            DataError::Invalid {
                path: path.to_path_buf(),
                reason: format!(
                    "the gzip file is truncated ({} bytes: {source}); delete it and download it again (--download)",
                    raw.len()
                ),
            }
        } else {
            DataError::Io { path: path.to_path_buf(), source }
        }
    })?;
    if out.len() > MAX_IDX_BYTES { Err(too_large()) } else { Ok(out) }
}

/// Parse IDX bytes of unsigned bytes with `ndim` dimensions; returns the dimensions and
/// the payload.
pub fn parse_idx<'a>(bytes: &'a [u8], ndim: usize, path: &Path) -> Result<(Vec<usize>, &'a [u8]), DataError> {
    let invalid = |reason: String| DataError::Invalid { path: path.to_path_buf(), reason };
    if bytes.len() < 4 {
        return Err(invalid(format!("truncated: {} bytes is shorter than an IDX header", bytes.len())));
    }
    let magic = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let want = 0x0800 | ndim as u32;
    if magic != want {
        return Err(invalid(format!("magic number {magic:#010x}, expected {want:#010x} (ubyte, {ndim} dimensions)")));
    }
    let header = 4 + 4 * ndim;
    if bytes.len() < header {
        return Err(invalid(format!("truncated: {} bytes is shorter than an IDX header", bytes.len())));
    }
    let dims: Vec<usize> = (0..ndim)
        .map(|i| {
            let o = 4 + 4 * i;
            u32::from_be_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]) as usize
        })
        .collect();
    let payload = &bytes[header..];
    match dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)) {
        Some(len) if len == payload.len() => {}
        len => {
            let need = len.map_or_else(|| "more than 2^64".to_string(), |l| l.to_string());
            return Err(invalid(format!("dimensions {dims:?} need {need} bytes of data, found {}", payload.len())));
        }
    }
    Ok((dims, payload))
}

/// Load one split of a dataset from `dir`.
pub fn load(dir: &Path, dataset: Dataset, split: Split) -> Result<Images, DataError> {
    let (images_name, labels_name) = match split {
        Split::Train => (FILES[0], FILES[1]),
        Split::Test => (FILES[2], FILES[3]),
    };
    let images_path = find_file(dir, images_name, dataset)?;
    let labels_path = find_file(dir, labels_name, dataset)?;
    let image_bytes = read_maybe_gz(&images_path)?;
    let label_bytes = read_maybe_gz(&labels_path)?;
    let (dims, pixels) = parse_idx(&image_bytes, 3, &images_path)?;
    let (ldims, labels) = parse_idx(&label_bytes, 1, &labels_path)?;
    if dims[0] != ldims[0] {
        return Err(DataError::CountMismatch { dir: dir.to_path_buf(), images: dims[0], labels: ldims[0] });
    }
    if (dims[1], dims[2]) != (IMAGE_SIDE, IMAGE_SIDE) {
        return Err(DataError::Invalid {
            path: images_path,
            reason: format!("images are {}×{}, this model needs {IMAGE_SIDE}×{IMAGE_SIDE}", dims[1], dims[2]),
        });
    }
    Ok(Images { pixels: pixels.to_vec(), labels: labels.to_vec(), count: dims[0], rows: dims[1], cols: dims[2] })
}

impl Images {
    /// Keep only the first `n` images.
    pub fn truncate(&mut self, n: usize) {
        self.count = self.count.min(n);
        self.pixels.truncate(self.count * self.rows * self.cols);
        self.labels.truncate(self.count);
    }

    /// SHA-256 (hex) of the pixels followed by the labels: identifies the data a run saw.
    pub fn digest(&self) -> String {
        let mut h = Sha256::new();
        h.update(&self.pixels);
        h.update(&self.labels);
        format!("{:x}", h.finalize())
    }

    /// Pixels scaled to `[-1, 1]` as the tutorial does (the contract's pixel mapping).
    pub fn scaled(&self) -> Vec<f32> {
        self.pixels.iter().map(|&p| dcgan::contract::pixel_to_unit(p)).collect()
    }
}
