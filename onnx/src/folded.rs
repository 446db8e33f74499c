//! What a file can make a runtime allocate, bounded from shapes before any runtime sees
//! it. A runtime folds a node whose inputs are all constants (initializers, `Constant`
//! nodes and what is computed from them) while it loads the model — before it knows the
//! batch — so a tiny file that adds a [2^18, 1] constant to a [1, 2^18] one would make
//! it allocate 2^36 floats: refused beyond [`MAX_FOLDED_VALUES`]. A tensor that depends
//! on the input grows with the batch, and one row of it is bounded by
//! [`MAX_VALUES_PER_ROW`]: a transposed convolution with a stride of 4096 on the
//! generator's `[N, 256, 4, 4]` makes 1.9·10^10 values per row, which ONNX Runtime would
//! try to allocate on its first run. Every tensor per row must have a shape the file
//! tells (reshapes computed from the input's own shape are worked out,
//! in `shape_values.rs`) and keep the batch on its first axis; only a declared input
//! of symbolic width leaves its tensors to the runtime library's bound on the plan.

use std::collections::{HashMap, HashSet};

use crate::Error;
use crate::bounds::{Bound, constant, int_values, output_bound};
use crate::pb;
use crate::shape_values;

/// Most values a tensor computed from constants alone may have: 2^24 (64 MiB of
/// float32), 32 times the largest weight of this project's generator (ct1's 524288).
pub const MAX_FOLDED_VALUES: u64 = 1 << 24;

/// Most values a tensor that depends on the input may hold per row of the batch: 2^22
/// (16 MiB of float32); the generator's largest holds 12544 per row (ct2's output) and
/// its largest weight 524288.
pub const MAX_VALUES_PER_ROW: u64 = 1 << 22;

/// `Err(Error::Refused)` for the first node that reads a tensor no earlier node, input
/// or initializer makes, or whose output may exceed [`MAX_FOLDED_VALUES`] (computed from
/// constants alone) or [`MAX_VALUES_PER_ROW`] (per row, computed from a declared input),
/// or whose output per row has no shape the file tells or the batch off its first axis
/// (a reshape that folds the batch into other axes grows with the batch's square).
pub(crate) fn check(graph: &pb::GraphProto) -> Result<(), Error> {
    let mut known: HashMap<&str, Bound> = HashMap::new();
    let mut ints: HashMap<&str, Vec<i64>> = HashMap::new();
    for t in &graph.initializer {
        known.insert(&t.name, Bound::shaped(t.dims.iter().map(|&d| d.max(0) as u64).collect()));
        if let Some(v) = int_values(t) {
            ints.insert(&t.name, v);
        }
    }
    let mut defined: HashSet<&str> = graph.initializer.iter().map(|t| t.name.as_str()).collect();
    // The tensors that depend on an input: their bounds are for one row.
    let mut per_row: HashSet<&str> = HashSet::new();
    for input in &graph.input {
        defined.insert(&input.name);
        // Older exporters list the initializers among the inputs too.
        if let (false, Some(dims)) = (known.contains_key(input.name.as_str()), one_row(input)) {
            known.insert(&input.name, Bound::shaped(dims));
            per_row.insert(&input.name);
        }
    }
    for node in &graph.node {
        let name = if node.name.is_empty() { &node.op_type } else { &node.name };
        let refuse = |why: String| Err(Error::Refused(format!("node `{name}` ({}) {why}", node.op_type)));
        let names: Vec<&str> = node.input.iter().filter(|i| !i.is_empty()).map(String::as_str).collect();
        if let Some(missing) = names.iter().find(|i| !defined.contains(*i)) {
            return refuse(format!("reads `{missing}` before any node makes it (nodes must be in graph order)"));
        }
        defined.extend(node.output.iter().map(String::as_str));
        // An input of unknown size (a declared input of symbolic width): left to the plan.
        let Some(inputs) = names.iter().map(|i| known.get(i)).collect::<Option<Vec<&Bound>>>() else { continue };
        // A shape does not grow with the batch; its values are those of one row.
        let row = node.op_type != "Shape" && names.iter().any(|i| per_row.contains(i));
        let bound = if node.op_type == "Constant" {
            let (bound, values) = constant(node);
            if let (Some(values), Some(out)) = (values, node.output.first()) {
                ints.insert(out, values);
            }
            bound
        } else {
            if let (Some(values), Some(out)) = (shape_values::values(node, &inputs, &ints), node.output.first()) {
                ints.insert(out, values);
            }
            output_bound(node, &inputs, &ints)
        };
        match &bound.dims {
            _ if !row && bound.count > MAX_FOLDED_VALUES => {
                return refuse(format!(
                    "computes up to {} values from constants alone (at most {MAX_FOLDED_VALUES}), \
                     which a runtime folds while loading",
                    bound.count
                ));
            }
            _ if !row => {}
            Some(dims) if !bound.loose && dims.first().is_none_or(|&d| d == 1) => {
                if bound.count > MAX_VALUES_PER_ROW {
                    return refuse(format!(
                        "makes up to {} values per row of the batch (at most {MAX_VALUES_PER_ROW})",
                        bound.count
                    ));
                }
            }
            Some(dims) if !bound.loose => {
                return refuse(format!("moves the batch off the first axis ({dims:?} for one row)"));
            }
            _ => return refuse("makes a tensor per row whose shape the file does not tell".into()),
        }
        for out in node.output.iter().filter(|o| !o.is_empty()) {
            known.insert(out, bound.clone());
            if row {
                per_row.insert(out);
            }
        }
    }
    Ok(())
}

/// The declared shape of `input` with its first (batch) axis at 1; `None` when another
/// axis has no fixed size.
fn one_row(input: &pb::ValueInfoProto) -> Option<Vec<u64>> {
    let (_, dims) = input.tensor_dims()?;
    let rest: Option<Vec<u64>> = dims.iter().skip(1).map(|d| u64::try_from((*d)?).ok()).collect();
    Some([&[1u64][..dims.len().min(1)], &rest?].concat())
}
