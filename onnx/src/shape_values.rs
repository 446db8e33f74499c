//! The values of small integer tensors computed inside the graph: what a `Reshape`'s
//! shape is made of when an exporter builds it from the input's own shape (PyTorch's
//! `x.view(x.size(0), 256, 4, 4)`: Shape → Gather → Unsqueeze → Concat). Shapes are
//! those of one row (batch 1), like the bounds they feed ([`crate::folded`]).

use std::collections::HashMap;

use crate::bounds::{Bound, KEPT_INTS, attr_int};
use crate::pb;

/// The values `node` computes, when its inputs' values (for `Shape`, its input's shape)
/// are known and at most [`KEPT_INTS`] long.
pub(crate) fn values(node: &pb::NodeProto, inputs: &[&Bound], ints: &HashMap<&str, Vec<i64>>) -> Option<Vec<i64>> {
    let value = |i: usize| ints.get(node.input.get(i)?.as_str());
    let out = match node.op_type.as_str() {
        "Shape" => {
            let d = inputs.first()?.dims.as_ref()?;
            let rank = d.len() as i64;
            let at = |v: i64| (if v < 0 { v + rank } else { v }).clamp(0, rank) as usize;
            let (start, end) = (at(attr_int(node, "start", 0)), at(attr_int(node, "end", rank)));
            d.get(start..end.max(start))?.iter().map(|&v| i64::try_from(v).ok()).collect::<Option<Vec<_>>>()?
        }
        "Cast" | "Identity" | "Squeeze" | "Unsqueeze" => value(0)?.clone(),
        "Gather" => {
            let (data, picks) = (value(0)?, value(1)?);
            let len = data.len() as i64;
            let pick = |p: i64| data.get(usize::try_from(if p < 0 { p + len } else { p }).ok()?).copied();
            picks.iter().map(|&p| pick(p)).collect::<Option<Vec<_>>>()?
        }
        "Concat" => node.input.iter().map(|i| ints.get(i.as_str()).cloned()).collect::<Option<Vec<_>>>()?.concat(),
        _ => return None,
    };
    (out.len() <= KEPT_INTS).then_some(out)
}
