//! Tensors computed from constants alone. A runtime folds a node whose inputs are all
//! constants (initializers, `Constant` nodes and what is computed from them) while it
//! loads the model — before it knows the batch, and before the runtime library can bound
//! the plan's tensors — so a tiny file that adds a [2^18, 1] constant to a [1, 2^18] one
//! would make it allocate 2^36 floats. The screening works out, from shapes alone, an
//! upper bound on every such node's output and refuses beyond [`MAX_FOLDED_VALUES`]. A
//! tensor that depends on the input is bounded later, per row, on the plan.

use std::collections::HashMap;

use crate::Error;
use crate::pb::{self, tensor_proto::DataType};

/// Most values a tensor computed from constants alone may have: 2^24 (64 MiB of
/// float32), 32 times the largest weight of this project's generator (ct1's 524288).
pub const MAX_FOLDED_VALUES: u64 = 1 << 24;

/// Values of an integer constant this long or shorter are kept (a `Reshape`'s shape).
const KEPT_INTS: usize = 16;

/// An upper bound on a tensor's size: per axis when its shape is known, else in all.
#[derive(Debug, Clone)]
struct Bound {
    dims: Option<Vec<u64>>,
    count: u64,
}

impl Bound {
    fn shaped(dims: Vec<u64>) -> Self {
        let count = dims.iter().fold(1u64, |n, &d| n.saturating_mul(d));
        Self { dims: Some(dims), count }
    }

    fn counted(count: u64) -> Self {
        Self { dims: None, count }
    }
}

/// `Err(Error::Refused)` for the first node computed from constants alone whose output
/// may exceed [`MAX_FOLDED_VALUES`].
pub(crate) fn check(graph: &pb::GraphProto) -> Result<(), Error> {
    let mut known: HashMap<&str, Bound> = HashMap::new();
    let mut ints: HashMap<&str, Vec<i64>> = HashMap::new();
    for t in &graph.initializer {
        known.insert(&t.name, Bound::shaped(t.dims.iter().map(|&d| d.max(0) as u64).collect()));
        if let Some(v) = int_values(t) {
            ints.insert(&t.name, v);
        }
    }
    for node in &graph.node {
        let inputs: Option<Vec<&Bound>> =
            node.input.iter().filter(|i| !i.is_empty()).map(|i| known.get(i.as_str())).collect();
        // Depends on the graph's input: the runtime library bounds it on the plan.
        let Some(inputs) = inputs else { continue };
        let bound = if node.op_type == "Constant" {
            let (bound, values) = constant(node);
            if let (Some(values), Some(out)) = (values, node.output.first()) {
                ints.insert(out, values);
            }
            bound
        } else {
            output_bound(node, &inputs, &ints)
        };
        if bound.count > MAX_FOLDED_VALUES {
            let name = if node.name.is_empty() { &node.op_type } else { &node.name };
            return Err(Error::Refused(format!(
                "node `{name}` ({}) computes up to {} values from constants alone (at most {MAX_FOLDED_VALUES}), \
                 which a runtime folds while loading",
                node.op_type, bound.count
            )));
        }
        for out in node.output.iter().filter(|o| !o.is_empty()) {
            known.insert(out, bound.clone());
        }
    }
    Ok(())
}

fn attr<'a>(node: &'a pb::NodeProto, name: &str) -> Option<&'a pb::AttributeProto> {
    node.attribute.iter().find(|a| a.name == name)
}

fn attr_int(node: &pb::NodeProto, name: &str, default: i64) -> i64 {
    attr(node, name).map_or(default, |a| a.i)
}

/// The values of a short int64 or int32 tensor.
fn int_values(t: &pb::TensorProto) -> Option<Vec<i64>> {
    let count = t.dims.iter().try_fold(1i64, |n, &d| n.checked_mul(d))?;
    if !(0..=KEPT_INTS as i64).contains(&count) {
        return None;
    }
    match DataType::try_from(t.data_type).ok()? {
        DataType::Int64 if !t.raw_data.is_empty() => {
            Some(t.raw_data.chunks_exact(8).map(|b| i64::from_le_bytes(b.try_into().unwrap_or([0; 8]))).collect())
        }
        DataType::Int64 => Some(t.int64_data.clone()),
        DataType::Int32 if !t.raw_data.is_empty() => Some(
            t.raw_data.chunks_exact(4).map(|b| i64::from(i32::from_le_bytes(b.try_into().unwrap_or([0; 4])))).collect(),
        ),
        DataType::Int32 => Some(t.int32_data.iter().map(|&v| i64::from(v)).collect()),
        _ => None,
    }
}

/// A `Constant` node's size, and its values when they are a short integer list.
fn constant(node: &pb::NodeProto) -> (Bound, Option<Vec<i64>>) {
    let Some(a) = node.attribute.first() else { return (Bound::counted(0), None) };
    match a.name.as_str() {
        "value" => a.t.as_ref().map_or((Bound::counted(0), None), |t| {
            (Bound::shaped(t.dims.iter().map(|&d| d.max(0) as u64).collect()), int_values(t))
        }),
        "value_ints" => (Bound::shaped(vec![a.ints.len() as u64]), Some(a.ints.clone())),
        "value_floats" => (Bound::shaped(vec![a.floats.len() as u64]), None),
        "value_int" => (Bound::shaped(vec![]), Some(vec![a.i])),
        _ => (Bound::shaped(vec![]), None),
    }
}

/// An upper bound on the output of `node` (one of the screening's operators) for inputs
/// bounded by `inputs`; `ints` holds the values of short integer constants.
fn output_bound(node: &pb::NodeProto, inputs: &[&Bound], ints: &HashMap<&str, Vec<i64>>) -> Bound {
    let product = || Bound::counted(inputs.iter().fold(1u64, |n, b| n.saturating_mul(b.count.max(1))));
    let (Some(first), second) = (inputs.first(), inputs.get(1)) else { return Bound::counted(1) };
    let dims = |b: &Bound| b.dims.clone();
    match (node.op_type.as_str(), second) {
        ("Add" | "Sub" | "Mul" | "Div", Some(second)) => match (dims(first), dims(second)) {
            (Some(a), Some(b)) => Bound::shaped(broadcast(&a, &b)),
            _ => product(),
        },
        (
            "BatchNormalization" | "Cast" | "Clip" | "DequantizeLinear" | "Dropout" | "Identity" | "LeakyRelu" | "Relu"
            | "ReduceSum" | "Sigmoid" | "Slice" | "Tanh",
            _,
        ) => (*first).clone(),
        ("Flatten" | "Squeeze" | "Unsqueeze", _) => Bound::counted(first.count),
        ("Reshape", Some(_)) => {
            let shape = node.input.get(1).and_then(|s| ints.get(s.as_str()));
            match (shape, dims(first)) {
                (Some(shape), Some(input)) if shape.iter().all(|&v| v > 0 || (v == 0 && !input.is_empty())) => {
                    let out: Vec<u64> = shape
                        .iter()
                        .enumerate()
                        .map(|(i, &v)| if v == 0 { input.get(i).copied().unwrap_or(1) } else { v as u64 })
                        .collect();
                    let out = Bound::shaped(out);
                    if out.count == first.count { out } else { Bound::counted(first.count) }
                }
                _ => Bound::counted(first.count),
            }
        }
        ("Shape", _) => Bound::shaped(vec![dims(first).map_or(64, |d| d.len() as u64)]),
        ("Transpose", _) => match dims(first) {
            Some(d) => {
                let perm = attr(node, "perm").map(|a| a.ints.clone()).unwrap_or_default();
                let permuted: Option<Vec<u64>> = if perm.is_empty() {
                    Some(d.iter().rev().copied().collect())
                } else {
                    perm.iter().map(|&p| usize::try_from(p).ok().and_then(|p| d.get(p).copied())).collect()
                };
                permuted.map_or_else(|| Bound::counted(first.count), Bound::shaped)
            }
            None => Bound::counted(first.count),
        },
        ("Concat", _) => concat(node, inputs),
        ("Gemm", Some(second)) => match (dims(first), dims(second)) {
            (Some(a), Some(b)) if a.len() == 2 && b.len() == 2 => {
                let m = if attr_int(node, "transA", 0) != 0 { a[1] } else { a[0] };
                let n = if attr_int(node, "transB", 0) != 0 { b[0] } else { b[1] };
                Bound::shaped(vec![m, n])
            }
            _ => product(),
        },
        ("MatMul", Some(second)) => match (dims(first), dims(second)) {
            (Some(a), Some(b)) if a.len() >= 2 && b.len() >= 2 => {
                let mut out = broadcast(&a[..a.len() - 2], &b[..b.len() - 2]);
                out.extend([a[a.len() - 2], b[b.len() - 1]]);
                Bound::shaped(out)
            }
            _ => product(),
        },
        ("Gather", Some(second)) => match (dims(first), dims(second)) {
            (Some(data), Some(indices)) if !data.is_empty() => {
                let axis = attr_int(node, "axis", 0).rem_euclid(data.len() as i64) as usize;
                Bound::shaped([&data[..axis], &indices[..], &data[axis + 1..]].concat())
            }
            _ => product(),
        },
        ("Conv" | "ConvTranspose", Some(weight)) => convolution(node, first, weight).unwrap_or_else(product),
        _ => product(),
    }
}

/// NumPy broadcasting of two upper bounds: each axis at most the larger of the two.
fn broadcast(a: &[u64], b: &[u64]) -> Vec<u64> {
    let rank = a.len().max(b.len());
    let at = |d: &[u64], i: usize| (i + d.len()).checked_sub(rank).map_or(1, |j| d[j]);
    (0..rank).map(|i| at(a, i).max(at(b, i))).collect()
}

fn concat(node: &pb::NodeProto, inputs: &[&Bound]) -> Bound {
    let total = || Bound::counted(inputs.iter().fold(0u64, |n, b| n.saturating_add(b.count)));
    let Some(all): Option<Vec<&Vec<u64>>> = inputs.iter().map(|b| b.dims.as_ref()).collect() else { return total() };
    let rank = all[0].len();
    if rank == 0 || all.iter().any(|d| d.len() != rank) {
        return total();
    }
    let axis = attr_int(node, "axis", 0).rem_euclid(rank as i64) as usize;
    let out = (0..rank)
        .map(|i| {
            let along = all.iter().map(|d| d[i]);
            if i == axis { along.fold(0u64, u64::saturating_add) } else { along.max().unwrap_or(1) }
        })
        .collect();
    Bound::shaped(out)
}

/// `Conv` and `ConvTranspose` on known shapes: x [N, C, spatial…], weight
/// [M, C/g, k…] (Conv) or [C, M/g, k…] (ConvTranspose); padding only ever shrinks the
/// transposed output and grows the plain one by at most its pads.
fn convolution(node: &pb::NodeProto, x: &Bound, weight: &Bound) -> Option<Bound> {
    let (x, w) = (x.dims.as_ref()?, weight.dims.as_ref()?);
    let spatial = x.len().checked_sub(2)?;
    if w.len() != x.len() || spatial == 0 {
        return None;
    }
    let list = |name: &str, default: i64| -> Vec<u64> {
        let given = attr(node, name).map(|a| a.ints.clone()).unwrap_or_default();
        (0..2 * spatial).map(|i| given.get(i).copied().unwrap_or(default).max(0) as u64).collect()
    };
    let (strides, dilations, pads) = (list("strides", 1), list("dilations", 1), list("pads", 0));
    let mut out = vec![x[0]];
    if node.op_type == "Conv" {
        out.push(w[0]);
        out.extend((0..spatial).map(|i| x[2 + i].saturating_add(pads[i]).saturating_add(pads[spatial + i])));
    } else {
        out.push(w[1].saturating_mul(attr_int(node, "group", 1).max(1) as u64));
        let given = attr(node, "output_shape").map(|a| a.ints.clone()).unwrap_or_default();
        let output_padding = list("output_padding", 0);
        out.extend((0..spatial).map(|i| {
            match given.get(i) {
                Some(&d) => d.max(0) as u64,
                None => strides[i]
                    .saturating_mul(x[2 + i].saturating_sub(1))
                    .saturating_add(output_padding[i])
                    .saturating_add(dilations[i].saturating_mul(w[2 + i].saturating_sub(1)))
                    .saturating_add(1),
            }
        }));
    }
    Some(Bound::shaped(out))
}
