//! Upper bounds on the size of an operator's output, from its inputs' bounds and its
//! attributes: what the screening ([`crate::folded`]) needs to see, before any runtime
//! loads a file, how large a tensor the file can make. Each bound is exact or larger
//! for the operators a generator is made of; an operator or shape this module cannot
//! work out gets a `loose` bound (the product of its inputs' sizes).

use std::collections::HashMap;

use crate::pb::{self, tensor_proto::DataType};

/// Values of an integer constant this long or shorter are kept (a `Reshape`'s shape).
pub(crate) const KEPT_INTS: usize = 16;

/// An upper bound on a tensor's size: per axis when its shape is known, else in all.
#[derive(Debug, Clone)]
pub(crate) struct Bound {
    pub(crate) dims: Option<Vec<u64>>,
    pub(crate) count: u64,
    /// Only the product of the inputs' sizes: far above the size for most operators.
    pub(crate) loose: bool,
}

impl Bound {
    pub(crate) fn shaped(dims: Vec<u64>) -> Self {
        Self { count: volume(&dims), dims: Some(dims), loose: false }
    }

    fn counted(count: u64) -> Self {
        Self { dims: None, count, loose: false }
    }
}

/// Number of values in a tensor of shape `dims`, saturating rather than overflowing.
fn volume(dims: &[u64]) -> u64 {
    dims.iter().fold(1u64, |n, &d| n.saturating_mul(d))
}

pub(crate) fn attr<'a>(node: &'a pb::NodeProto, name: &str) -> Option<&'a pb::AttributeProto> {
    node.attribute.iter().find(|a| a.name == name)
}

pub(crate) fn attr_int(node: &pb::NodeProto, name: &str, default: i64) -> i64 {
    attr(node, name).map_or(default, |a| a.i)
}

/// The values of a short int64 or int32 tensor.
pub(crate) fn int_values(t: &pb::TensorProto) -> Option<Vec<i64>> {
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
pub(crate) fn constant(node: &pb::NodeProto) -> (Bound, Option<Vec<i64>>) {
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
pub(crate) fn output_bound(node: &pb::NodeProto, inputs: &[&Bound], ints: &HashMap<&str, Vec<i64>>) -> Bound {
    let product =
        || Bound { loose: true, ..Bound::counted(inputs.iter().fold(1u64, |n, b| n.saturating_mul(b.count.max(1)))) };
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
        ("Flatten", _) => match dims(first) {
            Some(d) => {
                let axis = attr_int(node, "axis", 1);
                let axis = if axis < 0 { axis + d.len() as i64 } else { axis }.clamp(0, d.len() as i64) as usize;
                Bound::shaped(vec![volume(&d[..axis]), volume(&d[axis..])])
            }
            None => Bound::counted(first.count),
        },
        ("Squeeze" | "Unsqueeze", _) => {
            // The axes: an attribute before opset 13, a constant input from 13 on.
            let axes =
                attr(node, "axes").map(|a| a.ints.clone()).or_else(|| ints.get(node.input.get(1)?.as_str()).cloned());
            match dims(first) {
                Some(d) => squeezed(node.op_type == "Unsqueeze", &d, axes.as_deref())
                    .unwrap_or_else(|| Bound::counted(first.count)),
                None => Bound::counted(first.count),
            }
        }
        ("Reshape", Some(_)) => {
            let shape = node.input.get(1).and_then(|s| ints.get(s.as_str()));
            match (shape, dims(first)) {
                (Some(shape), Some(input)) => reshaped(shape, &input, first.count),
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
        // ONNX Runtime also takes an output_shape with the batch and channel axes first.
        let mut given = attr(node, "output_shape").map(|a| a.ints.clone()).unwrap_or_default();
        if given.len() == spatial + 2 {
            given.drain(..2);
        }
        let output_padding = list("output_padding", 0);
        // Negative pads grow a transposed convolution's output: added back.
        let grown = |i: usize| {
            let pad =
                |j: usize| attr(node, "pads").and_then(|a| a.ints.get(j).copied()).unwrap_or(0).min(0).unsigned_abs();
            pad(i).saturating_add(pad(spatial + i))
        };
        out.extend((0..spatial).map(|i| {
            match given.get(i) {
                Some(&d) => d.max(0) as u64,
                None => strides[i]
                    .saturating_mul(x[2 + i].saturating_sub(1))
                    .saturating_add(output_padding[i])
                    .saturating_add(dilations[i].saturating_mul(w[2 + i].saturating_sub(1)))
                    .saturating_add(1)
                    .saturating_add(grown(i)),
            }
        }));
    }
    Some(Bound::shaped(out))
}

/// `Reshape` of a tensor of shape `input` (`count` values) to `shape`: 0 copies the
/// input's axis, one -1 takes what is left. Shaped only when the result holds exactly
/// `count` values, as a valid Reshape must; else counted.
fn reshaped(shape: &[i64], input: &[u64], count: u64) -> Bound {
    let fixed: Option<Vec<Option<u64>>> = shape
        .iter()
        .enumerate()
        .map(|(i, &v)| match v {
            0 => input.get(i).copied().map(Some),
            -1 => Some(None),
            v => u64::try_from(v).ok().filter(|&v| v > 0).map(Some),
        })
        .collect();
    let Some(fixed) = fixed.filter(|f| f.iter().filter(|d| d.is_none()).count() <= 1) else {
        return Bound::counted(count);
    };
    let known = fixed.iter().flatten().fold(1u64, |n, &d| n.saturating_mul(d));
    let rest = count.checked_div(known).unwrap_or(0);
    let out = Bound::shaped(fixed.iter().map(|d| d.unwrap_or(rest)).collect());
    if out.count == count { out } else { Bound::counted(count) }
}

/// `Squeeze` (`unsqueeze` false) or `Unsqueeze` of a tensor of shape `d` on `axes`
/// (Squeeze without axes drops every axis of size 1); `None` for axes out of range, or a
/// squeezed axis that is not 1.
fn squeezed(unsqueeze: bool, d: &[u64], axes: Option<&[i64]>) -> Option<Bound> {
    let rank = if unsqueeze { d.len() + axes?.len() } else { d.len() } as i64;
    let axes: Option<Vec<usize>> = match axes {
        Some(axes) => axes
            .iter()
            .map(|&a| usize::try_from(if a < 0 { a + rank } else { a }).ok().filter(|&a| a < rank as usize))
            .collect(),
        None => Some((0..d.len()).filter(|&i| d[i] == 1).collect()),
    };
    let axes = axes?;
    if unsqueeze {
        let mut rest = d.iter();
        let out: Option<Vec<u64>> =
            (0..rank as usize).map(|i| if axes.contains(&i) { Some(1) } else { rest.next().copied() }).collect();
        return out.map(Bound::shaped);
    }
    if axes.iter().any(|&a| d[a] != 1) {
        return None;
    }
    Some(Bound::shaped((0..d.len()).filter(|i| !axes.contains(i)).map(|i| d[i]).collect()))
}
