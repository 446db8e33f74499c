//! Named f32 tensors in safetensors files: weights, probes and checkpoints.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use safetensors::{Dtype, SafeTensors};

use crate::arch::Arch;

/// A dense row-major f32 tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    /// Dimensions.
    pub shape: Vec<usize>,
    /// Values, row-major.
    pub data: Vec<f32>,
}

/// Tensors by name, in name order (so files are byte-reproducible).
pub type TensorMap = BTreeMap<String, Tensor>;

/// What can go wrong reading or writing tensor files.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The bytes are not a safetensors file.
    #[error("{path}: not a safetensors file ({reason})")]
    Format {
        /// The file.
        path: PathBuf,
        /// The parser's complaint.
        reason: String,
    },
    /// A tensor is not float32.
    #[error("{path}: tensor `{name}` is {dtype}, expected F32")]
    Dtype {
        /// The file.
        path: PathBuf,
        /// The tensor.
        name: String,
        /// Its dtype.
        dtype: String,
    },
    /// A tensor the network needs is absent.
    #[error("{path}: no tensor `{name}` (is this a {arch} from this project?)")]
    Missing {
        /// The file.
        path: PathBuf,
        /// The tensor.
        name: String,
        /// The network expected.
        arch: &'static str,
    },
    /// A tensor has another shape than the table says.
    #[error("{path}: tensor `{name}` has shape {got:?}, the {arch} table says {want:?}")]
    Shape {
        /// The file.
        path: PathBuf,
        /// The tensor.
        name: String,
        /// Its shape.
        got: Vec<usize>,
        /// The table's shape.
        want: Vec<usize>,
        /// The network.
        arch: &'static str,
    },
}

impl Tensor {
    /// A tensor of zeros.
    pub fn zeros(shape: &[usize]) -> Self {
        Self { shape: shape.to_vec(), data: vec![0.0; shape.iter().product()] }
    }

    /// Largest |a − b| over all elements (∞ when the shapes differ; see [`max_abs_diff`]).
    pub fn max_abs_diff(&self, other: &Tensor) -> f32 {
        if self.shape != other.shape {
            return f32::INFINITY;
        }
        max_abs_diff(&self.data, &other.data)
    }
}

/// Largest |a − b| over two equally long slices: ∞ when the lengths differ or any
/// difference is not finite (a NaN must fail every tolerance, and `f32::max` would drop
/// it).
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return f32::INFINITY;
    }
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, |m, d| if d.is_finite() { m.max(d) } else { f32::INFINITY })
}

/// Serialise tensors and string metadata to safetensors bytes. Tensors and metadata
/// keys are written in name order, so the same content gives the same bytes (the
/// `safetensors` crate writes metadata in hash order, which differs from run to run).
pub fn to_bytes(tensors: &TensorMap, metadata: &HashMap<String, String>) -> Vec<u8> {
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    let mut entries = Vec::new();
    if !metadata.is_empty() {
        let meta: BTreeMap<&String, &String> = metadata.iter().collect();
        let fields: Vec<String> = meta.iter().map(|(k, v)| format!("{}:{}", quote(k), quote(v))).collect();
        entries.push(format!("\"__metadata__\":{{{}}}", fields.join(",")));
    }
    let mut offset = 0usize;
    for (name, t) in tensors {
        let end = offset + t.data.len() * 4;
        entries.push(format!(
            "{}:{{\"dtype\":\"F32\",\"shape\":{:?},\"data_offsets\":[{offset},{end}]}}",
            quote(name),
            t.shape
        ));
        offset = end;
    }
    let mut header = format!("{{{}}}", entries.join(","));
    // The format aligns the data to 8 bytes by padding the header with spaces.
    while !(8 + header.len()).is_multiple_of(8) {
        header.push(' ');
    }
    let mut bytes = Vec::with_capacity(8 + header.len() + offset);
    bytes.extend_from_slice(&(header.len() as u64).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for t in tensors.values() {
        bytes.extend(t.data.iter().flat_map(|v| v.to_le_bytes()));
    }
    bytes
}

/// Parse safetensors bytes; `path` only names the source in errors.
pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<(TensorMap, HashMap<String, String>), Error> {
    let format = |e: safetensors::SafeTensorError| Error::Format { path: path.into(), reason: e.to_string() };
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(format)?;
    let metadata = header.metadata().clone().unwrap_or_default();
    let st = SafeTensors::deserialize(bytes).map_err(format)?;
    let mut map = TensorMap::new();
    for (name, view) in st.tensors() {
        if view.dtype() != Dtype::F32 {
            return Err(Error::Dtype { path: path.into(), name, dtype: format!("{:?}", view.dtype()) });
        }
        let data = view.data().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        map.insert(name, Tensor { shape: view.shape().to_vec(), data });
    }
    Ok((map, metadata))
}

/// Read a safetensors file.
pub fn read(path: &Path) -> Result<(TensorMap, HashMap<String, String>), Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.into(), source })?;
    from_bytes(&bytes, path)
}

/// Write a safetensors file atomically (temporary name, then rename).
pub fn write(path: &Path, tensors: &TensorMap, metadata: &HashMap<String, String>) -> Result<(), Error> {
    crate::output::write_atomic(path, &to_bytes(tensors, metadata))
        .map_err(|source| Error::Io { path: path.into(), source })
}

/// Check that `tensors` holds every parameter of `arch` with the table's shape.
pub fn check_params(tensors: &TensorMap, arch: &Arch, path: &Path) -> Result<(), Error> {
    for p in arch.params() {
        let t = tensors.get(&p.name).ok_or_else(|| Error::Missing {
            path: path.into(),
            name: p.name.clone(),
            arch: arch.name,
        })?;
        if t.shape != p.shape {
            return Err(Error::Shape {
                path: path.into(),
                name: p.name,
                got: t.shape.clone(),
                want: p.shape,
                arch: arch.name,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_names_shapes_values_and_metadata() {
        let dir = std::env::temp_dir().join(format!("dcgan-tensors-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.safetensors");
        let mut map = TensorMap::new();
        map.insert("a.weight".into(), Tensor { shape: vec![2, 3], data: vec![1.0, -2.0, 3.5, 0.0, 1e-7, 9.0] });
        let meta = HashMap::from([("epoch".to_string(), "3".to_string())]);
        write(&path, &map, &meta).unwrap();
        let (back, meta_back) = read(&path).unwrap();
        assert_eq!(back, map);
        assert_eq!(meta_back, meta);
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// Metadata in several keys used to come out in hash order: two identical runs
    /// wrote weight files that differed.
    #[test]
    fn the_same_content_gives_the_same_bytes_and_the_reference_reader_agrees() {
        let mut map = TensorMap::new();
        map.insert("b".into(), Tensor { shape: vec![3], data: vec![1.0, 2.0, 3.0] });
        map.insert("a".into(), Tensor { shape: vec![1, 1], data: vec![-0.5] });
        let meta: HashMap<String, String> = (0..20).map(|i| (format!("key{i}"), format!("value \"{i}\""))).collect();
        let first = to_bytes(&map, &meta);
        let again: HashMap<String, String> = meta.clone().into_iter().collect();
        assert_eq!(first, to_bytes(&map, &again));
        let header = u64::from_le_bytes(first[..8].try_into().unwrap()) as usize;
        assert_eq!((8 + header) % 8, 0, "data starts 8-byte aligned");
        let (back, meta_back) = from_bytes(&first, Path::new("x")).unwrap();
        assert_eq!((back, meta_back), (map, meta));
    }

    #[test]
    fn a_nan_fails_every_tolerance() {
        assert_eq!(max_abs_diff(&[0.0, f32::NAN, 1.0], &[0.0, 0.0, 1.0]), f32::INFINITY);
        assert_eq!(max_abs_diff(&[0.0, 1.0], &[0.5, 1.25]), 0.5);
        assert_eq!(max_abs_diff(&[0.0], &[0.0, 1.0]), f32::INFINITY);
    }

    #[test]
    fn garbage_is_a_format_error() {
        let err = from_bytes(b"not a tensor file", Path::new("x")).unwrap_err();
        assert!(matches!(err, Error::Format { .. }), "{err}");
    }
}
