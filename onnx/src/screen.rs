//! ONNX files from strangers: an app may load a model it did not make, so before any
//! runtime sees one, refuse what could make the runtime read other files or run graphs
//! this loader never inspected. ONNX Runtime resolves external data against the working
//! folder (a `location` can name any file on disk), and If/Loop/Scan subgraphs and
//! functions are graphs inside the graph. A tensor must also hold the bytes its shape
//! declares, so that no runtime allocates for data that is not there.
//!
//! A few hundred bytes can also *compute* a huge tensor: `ConstantOfShape` or `Expand`
//! to a shape of 2^36, a transposed convolution with a stride of 2^30. So only the
//! operators a generator is made of pass ([`OPERATORS`]: what `export` writes, and the
//! plumbing other exporters add around it, none of which makes a tensor larger than its
//! inputs and integer attributes say), and every integer attribute stays within
//! [`MAX_ATTRIBUTE`]. What a runtime computes from constants alone while it loads, and
//! what the input makes per row of the batch, is bounded from the shapes
//! ([`crate::folded`]); the runtime library bounds its plan again once the batch is
//! known.

use crate::Error;
use crate::pb::{self, tensor_proto::DataLocation, tensor_proto::DataType};

/// Operators whose attributes carry subgraphs.
const CONTROL_FLOW: [&str; 3] = ["If", "Loop", "Scan"];

/// The operators a generator of this contract is made of: `export`'s (float32, float16
/// and int8 files, folded or separate BatchNorm, both conditional heads) and the graph
/// plumbing of other exporters (PyTorch's `torch.onnx.export` of the same network).
/// Operators that build a tensor from a shape (`ConstantOfShape`, `Expand`, `Tile`,
/// `Range`, `Pad`, `Resize`, the random ones) are not among them.
pub const OPERATORS: [&str; 29] = [
    "Add",
    "BatchNormalization",
    "Cast",
    "Clip",
    "Concat",
    "Constant",
    "Conv",
    "ConvTranspose",
    "DequantizeLinear",
    "Div",
    "Dropout",
    "Flatten",
    "Gather",
    "Gemm",
    "Identity",
    "LeakyRelu",
    "MatMul",
    "Mul",
    "ReduceSum",
    "Relu",
    "Reshape",
    "Shape",
    "Sigmoid",
    "Slice",
    "Squeeze",
    "Sub",
    "Tanh",
    "Transpose",
    "Unsqueeze",
];

/// Largest |value| of an integer attribute (kernel sizes, strides, pads, axes, output
/// shapes): a generator's are single digits.
pub const MAX_ATTRIBUTE: i64 = 1 << 16;

/// `Err(Error::Refused)` naming the first thing about `model` that a generator of this
/// project never has.
pub fn screen(model: &pb::ModelProto) -> Result<(), Error> {
    let refuse = |why: String| Err(Error::Refused(why));
    if let Some(f) = model.functions.first() {
        return refuse(format!("it defines functions (`{}`)", f.name.as_deref().unwrap_or("?")));
    }
    let Some(graph) = &model.graph else { return Ok(()) };
    for t in &graph.initializer {
        tensor(t)?;
    }
    if let Some(t) = graph.sparse_initializer.first() {
        return refuse(format!("it holds sparse initializers (`{}`)", sparse_name(t)));
    }
    for node in &graph.node {
        let name = if node.name.is_empty() { &node.op_type } else { &node.name };
        if CONTROL_FLOW.contains(&node.op_type.as_str())
            || node.attribute.iter().any(|a| a.g.is_some() || !a.graphs.is_empty())
        {
            return refuse(format!("node `{name}` ({}) carries a subgraph", node.op_type));
        }
        if !matches!(node.domain.as_str(), "" | "ai.onnx") {
            return refuse(format!(
                "node `{name}` uses operator domain `{}` (a function or custom operator)",
                node.domain
            ));
        }
        if !OPERATORS.contains(&node.op_type.as_str()) {
            return refuse(format!(
                "node `{name}` is a `{}`, not one of the operators a generator is made of ({})",
                node.op_type,
                OPERATORS.join(", ")
            ));
        }
        for a in &node.attribute {
            if let Some(t) = a.sparse_tensor.iter().chain(&a.sparse_tensors).next() {
                return refuse(format!("node `{name}` has a sparse tensor attribute (`{}`)", sparse_name(t)));
            }
            if let Some(v) = std::iter::once(&a.i).chain(&a.ints).find(|v| v.unsigned_abs() > MAX_ATTRIBUTE as u64) {
                return refuse(format!("node `{name}` has attribute `{}` = {v} (at most ±{MAX_ATTRIBUTE})", a.name));
            }
        }
        for t in node.attribute.iter().flat_map(|a| a.t.iter().chain(&a.tensors)) {
            tensor(t)?;
        }
    }
    crate::folded::check(graph)
}

fn sparse_name(t: &pb::SparseTensorProto) -> &str {
    t.values.as_ref().map_or("?", |v| v.name.as_str())
}

/// Bytes per value of a data type stored in `raw_data`; `None` for strings and others.
fn value_size(data_type: i32) -> Option<u64> {
    Some(match DataType::try_from(data_type).ok()? {
        DataType::Uint8 | DataType::Int8 | DataType::Bool => 1,
        DataType::Uint16 | DataType::Int16 | DataType::Float16 | DataType::Bfloat16 => 2,
        DataType::Float | DataType::Int32 | DataType::Uint32 => 4,
        DataType::Int64 | DataType::Uint64 | DataType::Double | DataType::Complex64 => 8,
        DataType::Complex128 => 16,
        DataType::Undefined | DataType::String => return None,
    })
}

fn tensor(t: &pb::TensorProto) -> Result<(), Error> {
    let refuse = |why: String| Err(Error::Refused(format!("tensor `{}` {why}", t.name)));
    if t.data_location == Some(DataLocation::External as i32) || !t.external_data.is_empty() {
        let location = t.external_data.iter().find(|e| e.key == "location").map_or("?", |e| e.value.as_str());
        return refuse(format!(
            "keeps its data in an external file (`{location}`); save the model with its weights inside"
        ));
    }
    let count = t.dims.iter().try_fold(1u64, |n, &d| u64::try_from(d).ok().and_then(|d| n.checked_mul(d)));
    let Some(count) = count else { return refuse(format!("has dims {:?}", t.dims)) };
    let Some(size) = value_size(t.data_type) else { return Ok(()) };
    let held = if !t.raw_data.is_empty() {
        t.raw_data.len() as u64
    } else {
        let values = t.float_data.len() + t.int32_data.len() + t.int64_data.len() + t.double_data.len();
        values as u64 * size
    };
    match count.checked_mul(size) {
        Some(declared) if declared == held => Ok(()),
        declared => refuse(format!(
            "declares {count} values ({} bytes) of dims {:?} but holds {held} bytes",
            declared.map_or_else(|| "over 2^64".into(), |d| d.to_string()),
            t.dims
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(node: pb::NodeProto, init: pb::TensorProto) -> pb::ModelProto {
        let graph = pb::GraphProto { node: vec![node], initializer: vec![init], ..Default::default() };
        pb::ModelProto { graph: Some(graph), ..Default::default() }
    }

    fn weights(dims: Vec<i64>, bytes: usize) -> pb::TensorProto {
        pb::TensorProto {
            name: "w".into(),
            dims,
            data_type: DataType::Float as i32,
            raw_data: vec![0; bytes],
            ..Default::default()
        }
    }

    #[test]
    fn strangers_are_refused_before_any_runtime() {
        let relu = pb::NodeProto { op_type: "Relu".into(), ..Default::default() };
        assert!(screen(&model(relu.clone(), weights(vec![2, 3], 24))).is_ok());
        let why = |m: pb::ModelProto| screen(&m).map_err(|e| e.to_string()).err().unwrap_or_default();
        let mut external = weights(vec![2, 3], 0);
        external.data_location = Some(DataLocation::External as i32);
        external.external_data =
            vec![pb::StringStringEntryProto { key: "location".into(), value: "/etc/passwd".into() }];
        assert!(why(model(relu.clone(), external)).contains("external file (`/etc/passwd`)"));
        assert!(why(model(relu.clone(), weights(vec![1 << 20, 1 << 20], 24))).contains("declares"));
        assert!(why(model(relu.clone(), weights(vec![-1], 0))).contains("dims"));
        let branch = pb::NodeProto { op_type: "If".into(), name: "if".into(), ..Default::default() };
        assert!(why(model(branch, weights(vec![1], 4))).contains("subgraph"));
        let custom = pb::NodeProto { op_type: "Relu".into(), domain: "evil".into(), ..Default::default() };
        assert!(why(model(custom, weights(vec![1], 4))).contains("domain"));
        let mut with_functions = model(relu, weights(vec![1], 4));
        with_functions.functions = vec![pb::FunctionProto { name: Some("f".into()) }];
        assert!(why(with_functions).contains("functions"));
    }

    /// Tiny files that would compute huge tensors are refused by what they are made of.
    #[test]
    fn operators_and_attributes_that_build_huge_tensors_are_refused() {
        let why = |m: pb::ModelProto| screen(&m).map_err(|e| e.to_string()).err().unwrap_or_default();
        for op in ["ConstantOfShape", "Expand", "Tile", "Range", "Pad", "Resize", "RandomNormal"] {
            let node = pb::NodeProto { op_type: op.into(), name: "bomb".into(), ..Default::default() };
            let e = why(model(node, weights(vec![1], 4)));
            println!("{op}: {e}");
            assert!(e.contains(&format!("is a `{op}`, not one of the operators")), "{e}");
        }
        let stride = pb::AttributeProto { name: "strides".into(), ints: vec![2, 1 << 30], ..Default::default() };
        let conv = pb::NodeProto { op_type: "ConvTranspose".into(), attribute: vec![stride], ..Default::default() };
        assert!(why(model(conv, weights(vec![1], 4))).contains("`strides` = 1073741824"));
        let relu = pb::NodeProto { op_type: "Relu".into(), ..Default::default() };
        let mut sparse = model(relu, weights(vec![1], 4));
        let values = weights(vec![2], 8);
        if let Some(g) = sparse.graph.as_mut() {
            g.sparse_initializer.push(pb::SparseTensorProto { values: Some(values), ..Default::default() });
        }
        assert!(why(sparse).contains("sparse initializers (`w`)"));
    }
}
