//! Checks a model against the ONNX contract (DESIGN.md §2) and reads its metadata.

use std::collections::BTreeMap;

use prost::Message;

/// The part of ONNX's protobuf schema the contract reads (tags as in `onnx.proto`);
/// everything else, weights included, is skipped by the decoder. Kept here rather than
/// borrowed from a backend so that the check works with either backend, or none.
mod pb {
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ModelProto {
        #[prost(string, tag = "2")]
        pub producer_name: String,
        #[prost(message, optional, tag = "7")]
        pub graph: Option<GraphProto>,
        #[prost(message, repeated, tag = "14")]
        pub metadata_props: Vec<StringStringEntryProto>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct GraphProto {
        #[prost(message, repeated, tag = "1")]
        pub node: Vec<NodeProto>,
        #[prost(message, repeated, tag = "5")]
        pub initializer: Vec<TensorProto>,
        #[prost(message, repeated, tag = "11")]
        pub input: Vec<ValueInfoProto>,
        #[prost(message, repeated, tag = "12")]
        pub output: Vec<ValueInfoProto>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct NodeProto {
        #[prost(string, tag = "4")]
        pub op_type: String,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TensorProto {
        #[prost(string, tag = "8")]
        pub name: String,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ValueInfoProto {
        #[prost(string, tag = "1")]
        pub name: String,
        #[prost(message, optional, tag = "2")]
        pub r#type: Option<TypeProto>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TypeProto {
        #[prost(message, optional, tag = "1")]
        pub tensor_type: Option<TensorType>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TensorType {
        #[prost(int32, tag = "1")]
        pub elem_type: i32,
        #[prost(message, optional, tag = "2")]
        pub shape: Option<TensorShapeProto>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TensorShapeProto {
        #[prost(message, repeated, tag = "1")]
        pub dim: Vec<Dimension>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Dimension {
        #[prost(int64, optional, tag = "1")]
        pub dim_value: Option<i64>,
        #[prost(string, optional, tag = "2")]
        pub dim_param: Option<String>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct StringStringEntryProto {
        #[prost(string, tag = "1")]
        pub key: String,
        #[prost(string, tag = "2")]
        pub value: String,
    }
    /// `TensorProto.DataType.FLOAT`.
    pub const FLOAT: i32 = 1;
    /// `TensorProto.DataType.INT64`.
    pub const INT64: i32 = 7;
}

use crate::Error;

/// What a loaded generator says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    /// Length of z (the input's second dimension).
    pub latent_dim: usize,
    /// Every `metadata_props` entry.
    pub metadata: BTreeMap<String, String>,
    /// Producer recorded in the file.
    pub producer: String,
    /// True when the file lacks the latent metadata and the contract's defaults
    /// (uniform(-1,1) latents, images in [-1,1]) are assumed.
    pub assumed_defaults: bool,
    /// Classes of a conditional generator (one with a `label` input, DESIGN.md §7).
    pub num_classes: Option<usize>,
}

impl ModelInfo {
    /// Whether the model takes a `label` input.
    pub fn conditional(&self) -> bool {
        self.num_classes.is_some()
    }
}

/// Input name of a generator.
pub const INPUT: &str = "z";
/// The second input of a conditional generator.
pub const LABEL: &str = "label";
/// Classes assumed for a conditional file without `num_classes` metadata.
pub const DEFAULT_CLASSES: usize = 10;
/// Metadata values the contract fixes (DESIGN.md §2): a file that states another value
/// is not a generator this loader can drive.
const FIXED_METADATA: [(&str, &str); 2] = [("latent_distribution", "uniform(-1,1)"), ("image_range", "[-1,1]")];
/// Output name of a generator.
pub const OUTPUT: &str = "image";
/// Per-sample output shape.
pub const IMAGE_SHAPE: [usize; 3] = [1, 28, 28];

/// Dimensions of a graph value; `None` for a symbolic or unknown one.
fn dims(v: &pb::ValueInfoProto) -> Option<(i32, Vec<Option<i64>>)> {
    let t = v.r#type.as_ref()?.tensor_type.as_ref()?;
    Some((t.elem_type, t.shape.as_ref()?.dim.iter().map(|d| d.dim_value).collect()))
}

/// Parse `bytes` as ONNX and check that it is a generator of this project's contract:
/// input `z` f32 [N, latent] (and `label` int64 [N] for a conditional one), output
/// `image` f32 [N,1,28,28].
pub fn check(bytes: &[u8]) -> Result<ModelInfo, Error> {
    let model = pb::ModelProto::decode(bytes).map_err(|e| Error::NotOnnx(e.to_string()))?;
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
    const FLOAT: i32 = pb::FLOAT;
    let (in_type, in_dims) = dims(input).ok_or_else(|| not_gen("input `z` has no tensor shape".into()))?;
    let (out_type, out_dims) = dims(output).ok_or_else(|| not_gen("output `image` has no tensor shape".into()))?;
    let latent = match in_dims.as_slice() {
        [_, Some(l)] if *l > 0 && in_type == FLOAT => *l as usize,
        _ => return Err(not_gen(format!("input `z` is {in_dims:?}, expected float [N, latent]"))),
    };
    let want: Vec<Option<i64>> = IMAGE_SHAPE.iter().map(|&d| Some(d as i64)).collect();
    if out_type != FLOAT || out_dims.len() != 4 || out_dims[1..] != want[..] {
        return Err(not_gen(format!("output `image` is {out_dims:?}, expected float [N, 1, 28, 28]")));
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
            match dims(l) {
                Some((pb::INT64, d)) if d.len() == 1 => {}
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
