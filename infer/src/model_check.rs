//! Checks a model against the ONNX contract (DESIGN.md §2, the values of `dcgan::contract`)
//! and reads its metadata.
//!
//! ```
//! let info = dcgan_infer::model_check::check(dcgan_models::GEN_ONNX)?; // no runtime involved
//! assert_eq!(info.metadata.get("image_range").map(String::as_str), Some("[-1,1]"));
//! # Ok::<(), dcgan_infer::Error>(())
//! ```
//!
//! ```
//! let info = dcgan_infer::model_check::check(dcgan_models::GEN_ONNX)?; // no runtime involved
//! assert_eq!(info.metadata.get("image_range").map(String::as_str), Some("[-1,1]"));
//! # Ok::<(), dcgan_infer::Error>(())
//! ```

use std::collections::BTreeMap;

use dcgan::contract::{IMAGE_RANGE, IMAGE_SHAPE, LATENT_DISTRIBUTION, OUTPUT_DTYPE};
use dcgan_onnx::pb;

use crate::Error;

/// What a loaded generator says about itself.
///
/// ```
/// let info = dcgan_infer::model_check::check(dcgan_models::GEN_ONNX)?;
/// assert_eq!((info.latent_dim, info.num_classes, info.assumed_defaults), (100, None, false));
/// # Ok::<(), dcgan_infer::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    /// Length of z (the input's second dimension).
    pub latent_dim: usize,
    /// Every `metadata_props` entry.
    pub metadata: BTreeMap<String, String>,
    /// Producer recorded in the file.
    pub producer: String,
    /// True when the file lacks the latent metadata and the contract's defaults
    /// (uniform(-1,1) latents, images in `[-1,1]`) are assumed.
    pub assumed_defaults: bool,
    /// Classes of a conditional generator (one with a `label` input, DESIGN.md §7).
    pub num_classes: Option<usize>,
}

impl ModelInfo {
    /// Whether the model takes a `label` input.
    ///
    /// ```
    /// let info = dcgan_infer::model_check::check(dcgan_models::GEN_COND_ONNX)?;
    /// assert!(info.conditional() && info.num_classes == Some(10));
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    pub fn conditional(&self) -> bool {
        self.num_classes.is_some()
    }
}

pub use dcgan::contract::{CLASSES as DEFAULT_CLASSES, INPUT, LABEL, OUTPUT};

/// Metadata values the contract fixes (DESIGN.md §2): a file that states another value
/// is not a generator this loader can drive.
const FIXED_METADATA: [(&str, &str); 2] = [("latent_distribution", LATENT_DISTRIBUTION), ("image_range", IMAGE_RANGE)];

/// Widest latent row a file may declare. A width is allocated for (a row for the load's
/// smoke run, the request limits of `serve`), so it is bounded before anything is; this
/// project's is 100.
///
/// ```
/// assert!(dcgan_infer::model_check::MAX_LATENT_DIM >= 100);
/// ```
pub const MAX_LATENT_DIM: usize = 1 << 16;

/// Parse `bytes` as ONNX and check that it is a generator of this project's contract:
/// input `z` f32 `[N, latent]` (and `label` int64 `[N]` for a conditional one), output
/// `image` f32 `[N, 1, 28, 28]` (the values of [`dcgan::contract`]).
///
/// ```
/// let info = dcgan_infer::model_check::check(dcgan_models::GEN_ONNX)?;
/// assert_eq!((info.latent_dim, info.conditional()), (100, false));
/// assert!(dcgan_infer::model_check::check(b"\x08\x08").is_err()); // no graph
/// # Ok::<(), dcgan_infer::Error>(())
/// ```
pub fn check(bytes: &[u8]) -> Result<ModelInfo, Error> {
    let model = dcgan_onnx::decode(bytes)?;
    let graph =
        model.graph.as_ref().filter(|g| !g.node.is_empty()).ok_or_else(|| Error::NotOnnx("it has no graph".into()))?;
    let not_gen = |why: String| Error::NotAGenerator(why);
    let initializers: Vec<&str> = graph.initializer.iter().map(|t| t.name.as_str()).collect();
    let mut inputs: Vec<&pb::ValueInfoProto> =
        graph.input.iter().filter(|i| !initializers.contains(&i.name.as_str())).collect();
    // The runtimes feed `label` as the second input: a file that orders them otherwise
    // is refused here rather than failing in a run.
    let label = match inputs.iter().position(|i| i.name == LABEL) {
        Some(1) => Some(inputs.remove(1)),
        Some(_) => return Err(not_gen(format!("`{LABEL}` must be the second input, after `{INPUT}`"))),
        None => None,
    };
    let [input] = inputs.as_slice() else {
        return Err(not_gen(format!(
            "it has inputs {:?}, a generator has `{INPUT}` (and `{LABEL}` when conditional)",
            graph.input.iter().map(|i| i.name.as_str()).collect::<Vec<_>>()
        )));
    };
    let [output] = graph.output.as_slice() else {
        return Err(not_gen(format!("it has {} outputs, a generator has one (`{OUTPUT}`)", graph.output.len())));
    };
    if input.name != INPUT || output.name != OUTPUT {
        return Err(not_gen(format!(
            "its input/output are `{}`/`{}`, expected `{INPUT}`/`{OUTPUT}`",
            input.name, output.name
        )));
    }
    const FLOAT: i32 = OUTPUT_DTYPE.onnx();
    let (in_type, in_dims) =
        input.tensor_dims().ok_or_else(|| not_gen(format!("input `{INPUT}` has no tensor shape")))?;
    let (out_type, out_dims) =
        output.tensor_dims().ok_or_else(|| not_gen(format!("output `{OUTPUT}` has no tensor shape")))?;
    let latent = match in_dims.as_slice() {
        [_, Some(l)] if *l > 0 && in_type == FLOAT => *l as u64,
        _ => return Err(not_gen(format!("input `{INPUT}` is {in_dims:?}, expected float [N, latent]"))),
    };
    let latent = match usize::try_from(latent) {
        Ok(l) if l <= MAX_LATENT_DIM => l,
        _ => {
            return Err(not_gen(format!(
                "input `{INPUT}` declares {latent} values per row (at most {MAX_LATENT_DIM})"
            )));
        }
    };
    let want: Vec<Option<i64>> = IMAGE_SHAPE.iter().map(|&d| Some(d as i64)).collect();
    if out_type != FLOAT || out_dims.len() != 4 || out_dims[1..] != want[..] {
        let [c, h, w] = IMAGE_SHAPE;
        return Err(not_gen(format!("output `{OUTPUT}` is {out_dims:?}, expected float [N, {c}, {h}, {w}]")));
    }
    let metadata: BTreeMap<String, String> =
        model.metadata_props.iter().map(|p| (p.key.clone(), p.value.clone())).collect();
    if let Some(declared) = metadata.get("latent_dim")
        && declared.parse::<usize>().ok() != Some(latent)
    {
        return Err(not_gen(format!("metadata says latent_dim {declared} but input `z` has {latent}")));
    }
    for (key, want) in FIXED_METADATA {
        if let Some(v) = metadata.get(key).filter(|v| v.as_str() != want) {
            return Err(not_gen(format!("metadata says {key} {v}; this loader draws and writes {key} {want} only")));
        }
    }
    let num_classes = match label {
        None => None,
        Some(l) => {
            match l.tensor_dims() {
                Some((t, d)) if t == dcgan::contract::LABEL_DTYPE.onnx() && d.len() == 1 => {}
                other => return Err(not_gen(format!("input `{LABEL}` is {other:?}, expected int64 [N]"))),
            }
            let declared = metadata.get("num_classes");
            match declared.map(|v| v.parse::<usize>()) {
                None => Some(DEFAULT_CLASSES),
                Some(Ok(n)) if (1..=1000).contains(&n) => Some(n),
                _ => return Err(not_gen(format!("metadata num_classes {declared:?} is not a class count"))),
            }
        }
    };
    let assumed_defaults =
        !["latent_dim", "latent_distribution", "image_range"].iter().all(|k| metadata.contains_key(*k));
    Ok(ModelInfo { latent_dim: latent, metadata, producer: model.producer_name.clone(), assumed_defaults, num_classes })
}
