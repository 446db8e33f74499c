//! The Open Inference Protocol v2 (KServe's and Triton's REST protocol): an infer
//! request's tensors, as JSON or with Triton's binary tensor data extension, checked
//! against the model, and the response in the form the request asked for.

use serde::de::{self, DeserializeSeed, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use dcgan::contract::{INPUT, LABEL, OUTPUT, OUTPUT_DTYPE};

pub use super::tensors::{Bad, Inputs, Model};
use crate::tensors::{self, Header, Values, bad};

/// Header giving the length of the JSON part of a binary-extension body.
pub const HEADER_LENGTH: &str = "inference-header-content-length";

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
        tensors::seeded(&request.parameters, model)?
    } else {
        let (mut z, mut labels) = (None, None);
        for t in &request.inputs {
            let header = Header { name: &t.name, datatype: &t.datatype, shape: &t.shape };
            let values = |expected| tensor_values(t, &mut binary, expected);
            match t.name.as_str() {
                INPUT => z = Some(tensors::latents(&header, values, model)?),
                LABEL if model.classes.is_some() => labels = Some(tensors::labels(&header, values, model)?),
                other => return Err(tensors::unknown_input(other, model)),
            }
        }
        if !binary.is_empty() {
            return Err(bad(format!("{} bytes of binary data are not claimed by any input", binary.len())));
        }
        tensors::tensors(z, labels, model)?
    };
    Ok(Infer { id: request.id, inputs, binary_output })
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
            Ok(Values::Raw(head))
        }
        (None, Some(data)) => numbers(data, expected, &t.name).map(Values::Numbers),
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
