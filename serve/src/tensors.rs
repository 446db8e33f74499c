//! An inference request's inputs checked against the model: what the REST form
//! (`v2.rs`: JSON or binary tensors) and the gRPC form (`grpc.rs`: raw or typed contents)
//! of the Open Inference Protocol share, so both accept and refuse the same requests
//! with the same words.

use serde_json::{Map, Value};

use dcgan::contract::{INPUT, INPUT_DTYPE, LABEL, LABEL_DTYPE};

/// A request that is the caller's fault: the HTTP status (400, 404, 413) and the
/// message. gRPC answers the matching status code.
#[derive(Debug)]
pub struct Bad(pub u16, pub String);

pub(crate) fn bad(text: impl Into<String>) -> Bad {
    Bad(400, text.into())
}

/// The model's shape facts the parser checks against.
#[derive(Debug, Clone, Copy)]
pub struct Model {
    /// Length of z.
    pub latent: usize,
    /// Classes of a model that takes `label`; `None` when it takes none.
    pub classes: Option<usize>,
    /// Most rows per request.
    pub max_rows: usize,
}

/// What the model is asked to run.
#[derive(Debug, Clone, PartialEq)]
pub enum Inputs {
    /// Caller-given latents (and labels).
    Tensors {
        /// z, row-major `[n, latent]`.
        z: Vec<f32>,
        /// One label per row (conditional models).
        labels: Option<Vec<i64>>,
    },
    /// No inputs: draw `count` latents from SplitMix64(`seed`) as `infer --seed` does.
    Seeded {
        /// The seed.
        seed: u64,
        /// Rows.
        count: usize,
        /// `digit` (every row) or `digits` (one per row), for conditional models.
        labels: Option<Vec<i64>>,
    },
}

/// A tensor's values as the request carries them.
pub(crate) enum Values<'a> {
    /// Numbers (JSON `data`).
    Numbers(Vec<f64>),
    /// Little-endian bytes (REST binary data, gRPC `raw_input_contents`).
    Raw(&'a [u8]),
    /// gRPC `contents.fp32_contents`.
    F32(Vec<f32>),
    /// gRPC `contents.int64_contents`.
    I64(Vec<i64>),
}

/// An input tensor's name, datatype and shape.
pub(crate) struct Header<'a> {
    pub(crate) name: &'a str,
    pub(crate) datatype: &'a str,
    pub(crate) shape: &'a [i64],
}

/// The refusal of an input the model does not have.
pub(crate) fn unknown_input(name: &str, model: Model) -> Bad {
    if name == LABEL {
        return bad("this model is unconditional: it has no `label` input");
    }
    bad(format!(
        "unknown input `{name}`; the model has `{INPUT}`{}",
        if model.classes.is_some() { " and `label`" } else { "" }
    ))
}

/// Rows of a tensor of `per_row` values per row, at most `max_rows`.
fn rows_of(h: &Header, per_row: i64, max_rows: usize) -> Result<usize, Bad> {
    match h.shape {
        [n, d] if *d == per_row && *n >= 1 => {}
        [n] if per_row == 1 && *n >= 1 => {}
        _ => {
            let want = if per_row == 1 { "[N]".to_string() } else { format!("[N, {per_row}]") };
            return Err(bad(format!("`{}` has shape {:?}, expected {want} with N ≥ 1", h.name, h.shape)));
        }
    }
    let n = h.shape[0] as usize;
    if n > max_rows {
        return Err(bad(format!(
            "`{}` has {n} rows; this server takes at most {max_rows} per request (--max-rows)",
            h.name
        )));
    }
    Ok(n)
}

/// `z`, from `values(count)`, which may read at most the `count` values its shape holds.
pub(crate) fn latents<'a>(
    h: &Header,
    values: impl FnOnce(usize) -> Result<Values<'a>, Bad>,
    model: Model,
) -> Result<Vec<f32>, Bad> {
    if h.datatype != INPUT_DTYPE.oip() {
        return Err(bad(format!("`{INPUT}` is {}, expected {}", h.datatype, INPUT_DTYPE.oip())));
    }
    let want = rows_of(h, model.latent as i64, model.max_rows)? * model.latent;
    let z: Vec<f32> = match values(want)? {
        Values::Numbers(v) => v.into_iter().map(|x| x as f32).collect(),
        Values::F32(v) => v,
        Values::I64(_) => return Err(bad(format!("`{INPUT}` is FP32: its values go in fp32_contents"))),
        Values::Raw(b) if b.len() == want * 4 => {
            b.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
        }
        Values::Raw(b) => {
            return Err(bad(format!("`{INPUT}`: {} bytes of binary data for {want} FP32 values", b.len())));
        }
    };
    if z.len() != want {
        return Err(bad(format!("`{INPUT}` has {} values for shape {:?} ({want})", z.len(), h.shape)));
    }
    if let Some(v) = z.iter().find(|v| !v.is_finite()) {
        return Err(bad(format!("`{INPUT}` holds a non-finite value ({v})")));
    }
    Ok(z)
}

/// `label`, `[N]` or (as Triton declares a batched scalar) `[N, 1]`, from `values(count)`.
pub(crate) fn labels<'a>(
    h: &Header,
    values: impl FnOnce(usize) -> Result<Values<'a>, Bad>,
    model: Model,
) -> Result<Vec<i64>, Bad> {
    if h.datatype != LABEL_DTYPE.oip() {
        return Err(bad(format!("`{LABEL}` is {}, expected {}", h.datatype, LABEL_DTYPE.oip())));
    }
    let n = rows_of(h, 1, model.max_rows)?;
    let labels: Vec<i64> = match values(n)? {
        Values::Numbers(v) if v.iter().all(|x| x.fract() == 0.0) => v.into_iter().map(|x| x as i64).collect(),
        Values::Numbers(_) => return Err(bad(format!("`{LABEL}` holds a non-integer value"))),
        Values::I64(v) => v,
        Values::F32(_) => return Err(bad(format!("`{LABEL}` is INT64: its values go in int64_contents"))),
        Values::Raw(b) if b.len() == n * 8 => {
            b.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect()
        }
        Values::Raw(b) => return Err(bad(format!("`{LABEL}`: {} bytes of binary data for {n} INT64 values", b.len()))),
    };
    if labels.len() != n {
        return Err(bad(format!("`{LABEL}` has {} values for shape {:?}", labels.len(), h.shape)));
    }
    Ok(labels)
}

/// The inputs once every tensor is read: `z` is required, and a conditional model needs
/// one label per row.
pub(crate) fn tensors(z: Option<Vec<f32>>, labels: Option<Vec<i64>>, model: Model) -> Result<Inputs, Bad> {
    let z = z.ok_or_else(|| bad(format!("input `{INPUT}` is missing")))?;
    let rows = z.len() / model.latent;
    match &labels {
        Some(l) if l.len() != rows => {
            return Err(bad(format!("`label` has {} values for {rows} rows of `z`", l.len())));
        }
        None if model.classes.is_some() => return Err(bad("this conditional model needs input `label` (INT64 [N])")),
        _ => {}
    }
    Ok(Inputs::Tensors { z, labels })
}

/// No inputs: `parameters` `seed` and `count` (and `digit`, or `digits` as a list or as
/// text such as "3,1,4", which is how gRPC, whose parameters are scalars, sends it).
pub(crate) fn seeded(p: &Map<String, Value>, model: Model) -> Result<Inputs, Bad> {
    let int = |k: &str| -> Result<Option<u64>, Bad> {
        p.get(k)
            .map(|v| v.as_u64().ok_or_else(|| bad(format!("parameter `{k}` is {v}, expected an integer ≥ 0"))))
            .transpose()
    };
    let seed =
        int("seed")?.ok_or_else(|| bad("no inputs: give `z` (and `label`), or parameters `seed` and `count`"))?;
    let count = int("count")?.unwrap_or(1) as usize;
    if count == 0 || count > model.max_rows {
        return Err(bad(format!("parameter `count` {count} is outside 1–{}", model.max_rows)));
    }
    let labels = match (p.get("digit"), p.get("digits")) {
        (Some(_), Some(_)) => return Err(bad("give `digit` or `digits`, not both")),
        (Some(d), None) => {
            let d = d.as_i64().ok_or_else(|| bad(format!("parameter `digit` is {d}, expected an integer")))?;
            Some(vec![d; count])
        }
        (None, Some(digits)) => {
            let list: Option<Vec<i64>> = match digits {
                Value::Array(list) => list.iter().map(Value::as_i64).collect(),
                Value::String(text) => text.split(',').map(|d| d.trim().parse().ok()).collect(),
                _ => None,
            };
            let l = list.ok_or_else(|| bad(format!("parameter `digits` is {digits}, expected a list of integers")))?;
            if l.len() != count {
                return Err(bad(format!("parameter `digits` has {} entries for count {count}", l.len())));
            }
            Some(l)
        }
        (None, None) => None,
    };
    if labels.is_some() && model.classes.is_none() {
        return Err(bad("this model is unconditional: parameters `digit`/`digits` need a conditional model"));
    }
    let classes = model.classes.unwrap_or(0) as i64;
    if let Some(bad_label) = labels.iter().flatten().find(|&&l| !(0..classes).contains(&l)) {
        return Err(bad(format!("label {bad_label} is outside 0–{}", classes - 1)));
    }
    Ok(Inputs::Seeded { seed, count, labels })
}
