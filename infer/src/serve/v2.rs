//! The Open Inference Protocol v2 (KServe's and Triton's REST protocol): an infer
//! request's tensors, as JSON or with Triton's binary tensor data extension, checked
//! against the model, and the response in the form the request asked for.

use serde::de::{self, DeserializeSeed, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use dcgan::contract::{INPUT, INPUT_DTYPE, LABEL, LABEL_DTYPE, OUTPUT, OUTPUT_DTYPE};

/// Header giving the length of the JSON part of a binary-extension body.
pub const HEADER_LENGTH: &str = "inference-header-content-length";

/// A request that is the caller's fault: the 4xx status and the message.
#[derive(Debug)]
pub struct Bad(pub u16, pub String);

fn bad(text: impl Into<String>) -> Bad {
    Bad(400, text.into())
}

#[derive(Debug, Deserialize)]
struct Request {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    parameters: Map<String, Value>,
    #[serde(default)]
    inputs: Vec<Tensor>,
    #[serde(default)]
    outputs: Vec<RequestedOutput>,
}

#[derive(Debug, Deserialize)]
struct Tensor {
    name: String,
    shape: Vec<i64>,
    datatype: String,
    #[serde(default)]
    parameters: Map<String, Value>,
    /// Kept as text until the shape says how many values may follow (see [`numbers`]).
    #[serde(default)]
    data: Option<Box<RawValue>>,
}

#[derive(Debug, Deserialize)]
struct RequestedOutput {
    name: String,
    #[serde(default)]
    parameters: Map<String, Value>,
}

/// What the model is asked to run.
#[derive(Debug, Clone, PartialEq)]
pub enum Inputs {
    /// Caller-given latents (and labels).
    Tensors {
        /// z, row-major [n, latent].
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

/// A parsed infer request.
#[derive(Debug, Clone, PartialEq)]
pub struct Infer {
    /// Echoed in the response.
    pub id: Option<String>,
    /// The rows to run.
    pub inputs: Inputs,
    /// Answer with the image as binary data after the JSON.
    pub binary_output: bool,
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

/// Parse an infer request body; `json_length` is the binary extension's header value.
pub fn parse(body: &[u8], json_length: Option<usize>, model: Model) -> Result<Infer, Bad> {
    let (json_part, mut binary) = match json_length {
        Some(n) if n <= body.len() => body.split_at(n),
        Some(n) => {
            return Err(bad(format!("Inference-Header-Content-Length {n} exceeds the body's {} bytes", body.len())));
        }
        None => (body, &[][..]),
    };
    let request: Request =
        serde_json::from_slice(json_part).map_err(|e| bad(format!("the request is not valid inference JSON: {e}")))?;
    let binary_output = request.parameters.get("binary_data_output").and_then(Value::as_bool).unwrap_or(false)
        || request.outputs.iter().any(|o| o.parameters.get("binary_data").and_then(Value::as_bool) == Some(true));
    if let Some(o) = request.outputs.iter().find(|o| o.name != OUTPUT) {
        return Err(bad(format!("unknown output `{}`; the model has `{OUTPUT}`", o.name)));
    }
    let inputs = if request.inputs.is_empty() {
        seeded(&request.parameters, model)?
    } else {
        let (mut z, mut labels) = (None, None);
        for t in &request.inputs {
            match t.name.as_str() {
                INPUT => z = Some(latents(t, &mut binary, model)?),
                LABEL if model.classes.is_some() => labels = Some(label_values(t, &mut binary, model)?),
                LABEL => return Err(bad("this model is unconditional: it has no `label` input")),
                other => {
                    return Err(bad(format!(
                        "unknown input `{other}`; the model has `{INPUT}`{}",
                        if model.classes.is_some() { " and `label`" } else { "" }
                    )));
                }
            }
        }
        if !binary.is_empty() {
            return Err(bad(format!("{} bytes of binary data are not claimed by any input", binary.len())));
        }
        let z = z.ok_or_else(|| bad(format!("input `{INPUT}` is missing")))?;
        let rows = z.len() / model.latent;
        match &labels {
            Some(l) if l.len() != rows => {
                return Err(bad(format!("`label` has {} values for {rows} rows of `z`", l.len())));
            }
            None if model.classes.is_some() => {
                return Err(bad("this conditional model needs input `label` (INT64 [N])"));
            }
            _ => {}
        }
        Inputs::Tensors { z, labels }
    };
    Ok(Infer { id: request.id, inputs, binary_output })
}

/// Values of a tensor: numbers from `data` (flat or nested), or `binary_data_size` bytes
/// taken from the front of `binary`.
enum Values<'a> {
    Json(Vec<f64>),
    Binary(&'a [u8]),
}

/// The values of `t`, of which the shape allows `expected`: more are refused while they
/// are read, so a body's size, not its count of numbers, bounds the memory a request takes.
fn tensor_values<'a>(t: &Tensor, binary: &mut &'a [u8], expected: usize) -> Result<Values<'a>, Bad> {
    match (t.parameters.get("binary_data_size"), &t.data) {
        (Some(size), None) => {
            let size =
                size.as_u64().ok_or_else(|| bad(format!("`{}`: binary_data_size is not a byte count", t.name)))?
                    as usize;
            if size > binary.len() {
                return Err(bad(format!(
                    "`{}`: binary_data_size {size} but only {} bytes follow the JSON",
                    t.name,
                    binary.len()
                )));
            }
            let (head, tail) = binary.split_at(size);
            *binary = tail;
            Ok(Values::Binary(head))
        }
        (None, Some(data)) => numbers(data, expected, &t.name).map(Values::Json),
        (Some(_), Some(_)) => Err(bad(format!("`{}` has both `data` and binary_data_size", t.name))),
        (None, None) => Err(bad(format!("`{}` has no `data`", t.name))),
    }
}

/// The numbers of a JSON `data` value (flat or nested arrays), at most `cap` of them.
fn numbers(raw: &RawValue, cap: usize, name: &str) -> Result<Vec<f64>, Bad> {
    let mut out = Vec::with_capacity(cap.min(1 << 20));
    let mut reader = serde_json::Deserializer::from_str(raw.get());
    Flat { out: &mut out, cap }
        .deserialize(&mut reader)
        .map_err(|e| bad(format!("`{name}`: {e} (the shape allows {cap} numbers)")))?;
    Ok(out)
}

/// Flattens nested arrays of numbers into `out`, refusing the (cap+1)-th.
struct Flat<'a> {
    out: &'a mut Vec<f64>,
    cap: usize,
}

impl<'de> DeserializeSeed<'de> for Flat<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl Flat<'_> {
    fn push<E: de::Error>(self, v: f64) -> Result<(), E> {
        if self.out.len() >= self.cap {
            return Err(E::custom("more values than its shape holds"));
        }
        self.out.push(v);
        Ok(())
    }
}

impl<'de> Visitor<'de> for Flat<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a number or an array of numbers")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.push(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.push(v as f64)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.push(v as f64)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Flat { out, cap } = self;
        while seq.next_element_seed(Flat { out: &mut *out, cap })?.is_some() {}
        Ok(())
    }
}

fn rows_of(t: &Tensor, per_row: i64, max_rows: usize) -> Result<usize, Bad> {
    match t.shape.as_slice() {
        [n, d] if *d == per_row && *n >= 1 => {}
        [n] if per_row == 1 && *n >= 1 => {}
        _ => {
            let want = if per_row == 1 { "[N]".to_string() } else { format!("[N, {per_row}]") };
            return Err(bad(format!("`{}` has shape {:?}, expected {want} with N ≥ 1", t.name, t.shape)));
        }
    }
    let n = t.shape[0] as usize;
    if n > max_rows {
        return Err(bad(format!(
            "`{}` has {n} rows; this server takes at most {max_rows} per request (--max-rows)",
            t.name
        )));
    }
    Ok(n)
}

fn latents(t: &Tensor, binary: &mut &[u8], model: Model) -> Result<Vec<f32>, Bad> {
    if t.datatype != INPUT_DTYPE.oip() {
        return Err(bad(format!("`{INPUT}` is {}, expected {}", t.datatype, INPUT_DTYPE.oip())));
    }
    let n = rows_of(t, model.latent as i64, model.max_rows)?;
    let want = n * model.latent;
    let z: Vec<f32> = match tensor_values(t, binary, want)? {
        Values::Json(v) => v.into_iter().map(|x| x as f32).collect(),
        Values::Binary(b) if b.len() == want * 4 => {
            b.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
        }
        Values::Binary(b) => {
            return Err(bad(format!("`{INPUT}`: {} bytes of binary data for {want} FP32 values", b.len())));
        }
    };
    if z.len() != want {
        return Err(bad(format!("`{INPUT}` has {} values for shape {:?} ({want})", z.len(), t.shape)));
    }
    if let Some(v) = z.iter().find(|v| !v.is_finite()) {
        return Err(bad(format!("`{INPUT}` holds a non-finite value ({v})")));
    }
    Ok(z)
}

fn label_values(t: &Tensor, binary: &mut &[u8], model: Model) -> Result<Vec<i64>, Bad> {
    if t.datatype != LABEL_DTYPE.oip() {
        return Err(bad(format!("`{LABEL}` is {}, expected {}", t.datatype, LABEL_DTYPE.oip())));
    }
    // [N] or, as Triton declares a batched scalar, [N, 1].
    let n = rows_of(t, 1, model.max_rows)?;
    let labels: Vec<i64> = match tensor_values(t, binary, n)? {
        Values::Json(v) if v.iter().all(|x| x.fract() == 0.0) => v.into_iter().map(|x| x as i64).collect(),
        Values::Json(_) => return Err(bad(format!("`{LABEL}` holds a non-integer value"))),
        Values::Binary(b) if b.len() == n * 8 => {
            b.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect()
        }
        Values::Binary(b) => {
            return Err(bad(format!("`{LABEL}`: {} bytes of binary data for {n} INT64 values", b.len())));
        }
    };
    if labels.len() != n {
        return Err(bad(format!("`{LABEL}` has {} values for shape {:?}", labels.len(), t.shape)));
    }
    Ok(labels)
}

/// No inputs: `parameters` `seed` and `count` (and `digit` or `digits`).
fn seeded(p: &Map<String, Value>, model: Model) -> Result<Inputs, Bad> {
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
        (None, Some(Value::Array(list))) => {
            let l: Option<Vec<i64>> = list.iter().map(Value::as_i64).collect();
            let l = l.ok_or_else(|| bad("parameter `digits` must be a list of integers"))?;
            if l.len() != count {
                return Err(bad(format!("parameter `digits` has {} entries for count {count}", l.len())));
            }
            Some(l)
        }
        (None, Some(other)) => return Err(bad(format!("parameter `digits` is {other}, expected a list"))),
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

/// The response's JSON, serialised from borrowed data (no value per float).
#[derive(Serialize)]
struct Response<'a> {
    model_name: &'a str,
    model_version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    outputs: [Output<'a>; 1],
}

#[derive(Serialize)]
struct Output<'a> {
    name: &'static str,
    datatype: &'static str,
    shape: [i64; 4],
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a [f32]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameters: Option<BinarySize>,
}

#[derive(Serialize)]
struct BinarySize {
    binary_data_size: usize,
}

/// The response: JSON (and the image's bytes after it when `binary`), plus the length of
/// the JSON part for the binary extension's header.
pub fn response(
    model_name: &str,
    id: Option<&str>,
    rows: usize,
    images: &[f32],
    binary: bool,
) -> (Vec<u8>, Option<usize>) {
    let output = Output {
        name: OUTPUT,
        datatype: OUTPUT_DTYPE.oip(),
        shape: dcgan::contract::output_shape(rows as i64),
        data: (!binary).then_some(images),
        parameters: binary.then_some(BinarySize { binary_data_size: images.len() * 4 }),
    };
    let head = Response { model_name, model_version: "1", id, outputs: [output] };
    let mut bytes = serde_json::to_vec(&head).unwrap_or_default();
    if !binary {
        return (bytes, None);
    }
    let json_length = bytes.len();
    bytes.reserve(images.len() * 4);
    for v in images {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    (bytes, Some(json_length))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: Model = Model { latent: 2, classes: None, max_rows: 3 };

    #[test]
    fn json_binary_and_seeded_requests_parse() {
        let json = br#"{"inputs":[{"name":"z","shape":[2,2],"datatype":"FP32","data":[[0.5,-1],[0,1]]}]}"#;
        let r = parse(json, None, MODEL).unwrap();
        assert_eq!(r.inputs, Inputs::Tensors { z: vec![0.5, -1.0, 0.0, 1.0], labels: None });
        let head = br#"{"inputs":[{"name":"z","shape":[1,2],"datatype":"FP32","parameters":{"binary_data_size":8}}],"parameters":{"binary_data_output":true}}"#;
        let mut body = head.to_vec();
        body.extend(0.25f32.to_le_bytes());
        body.extend(2f32.to_le_bytes());
        let r = parse(&body, Some(head.len()), MODEL).unwrap();
        assert!(r.binary_output);
        assert_eq!(r.inputs, Inputs::Tensors { z: vec![0.25, 2.0], labels: None });
        let r = parse(br#"{"parameters":{"seed":7,"count":3}}"#, None, MODEL).unwrap();
        assert_eq!(r.inputs, Inputs::Seeded { seed: 7, count: 3, labels: None });
    }

    #[test]
    fn bad_requests_name_the_problem() {
        let cases: [(&[u8], &str); 9] = [
            (b"{", "not valid inference JSON"),
            (br#"{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[0,0]}]}"#, "unknown input `x`"),
            (br#"{"inputs":[{"name":"z","shape":[1,2],"datatype":"INT32","data":[0,0]}]}"#, "expected FP32"),
            (br#"{"inputs":[{"name":"z","shape":[1,3],"datatype":"FP32","data":[0,0,0]}]}"#, "expected [N, 2]"),
            (br#"{"inputs":[{"name":"z","shape":[1,2],"datatype":"FP32","data":[0]}]}"#, "1 values"),
            (br#"{"inputs":[{"name":"z","shape":[4,2],"datatype":"FP32","data":[0,0,0,0,0,0,0,0]}]}"#, "at most 3"),
            (br#"{"inputs":[{"name":"z","shape":[1,2],"datatype":"FP32","data":[0,1e999]}]}"#, "out of range"),
            (br#"{"parameters":{"seed":-1}}"#, "integer ≥ 0"),
            (br#"{"parameters":{"seed":1,"digit":3}}"#, "unconditional"),
        ];
        for (body, needle) in cases {
            let Bad(status, text) = parse(body, None, MODEL).unwrap_err();
            assert_eq!(status, 400);
            assert!(text.contains(needle), "{needle:?} not in {text:?}");
        }
        let Bad(_, text) = parse(b"{}", Some(99), MODEL).unwrap_err();
        assert!(text.contains("exceeds"), "{text}");
    }

    /// A million numbers for a shape that holds two are refused at the third, and a NaN
    /// sent as binary data is refused like any non-finite value.
    #[test]
    fn oversized_and_non_finite_data_are_refused() {
        let many = format!(
            r#"{{"inputs":[{{"name":"z","shape":[1,2],"datatype":"FP32","data":[{}0]}}]}}"#,
            "0,".repeat(1_000_000)
        );
        let Bad(_, text) = parse(many.as_bytes(), None, MODEL).unwrap_err();
        assert!(text.contains("more values than its shape holds"), "{text}");
        let head = br#"{"inputs":[{"name":"z","shape":[1,2],"datatype":"FP32","parameters":{"binary_data_size":8}}]}"#;
        let mut body = head.to_vec();
        body.extend(f32::NAN.to_le_bytes());
        body.extend(1f32.to_le_bytes());
        let Bad(_, text) = parse(&body, Some(head.len()), MODEL).unwrap_err();
        assert!(text.contains("non-finite"), "{text}");
    }

    #[test]
    fn binary_responses_put_the_json_length_first() {
        let (bytes, n) = response("dcgan", Some("a"), 1, &[1.0, 2.0], true);
        let n = n.unwrap();
        let head: Value = serde_json::from_slice(&bytes[..n]).unwrap();
        assert_eq!(head["outputs"][0]["parameters"]["binary_data_size"], 8);
        assert_eq!(&bytes[n..n + 4], &1f32.to_le_bytes());
    }
}
