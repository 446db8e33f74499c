//! The fuzz test's inputs: for each parser, well-formed files and bodies with one part
//! bent (a huge dimension, a lying length, a flipped byte, a truncation), as proptest
//! strategies.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use proptest::prelude::*;

/// Bytes `base` with a few of them replaced and possibly cut short.
pub fn bent(base: Vec<u8>, near: usize) -> impl Strategy<Value = Vec<u8>> {
    let len = base.len();
    let span = near.min(len).max(1);
    (proptest::collection::vec((0..span, any::<u8>(), any::<bool>()), 1..6), 0..=len + 8).prop_map(
        move |(edits, cut)| {
            let mut b = base.clone();
            for (i, v, from_end) in edits {
                let at = if from_end { len.saturating_sub(1 + i) } else { i };
                if let Some(x) = b.get_mut(at) {
                    *x = v;
                }
            }
            if cut < len && cut % 3 == 0 {
                b.truncate(cut);
            }
            b
        },
    )
}

pub fn idx_file() -> impl Strategy<Value = Vec<u8>> {
    let dims = prop_oneof![Just(0u32), 1u32..4, Just(28), Just(u32::MAX), any::<u32>()];
    let header = (prop_oneof![Just(0x0803u32), Just(0x0801), any::<u32>()], proptest::collection::vec(dims, 0..4));
    // The payload: an arbitrary length, or exactly what the dimensions ask when small.
    let made = (header, 0usize..3200, any::<bool>()).prop_map(|((magic, dims), payload, exact)| {
        let mut b = magic.to_be_bytes().to_vec();
        dims.iter().for_each(|d| b.extend(d.to_be_bytes()));
        let asked = dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d as usize)).filter(|&n| n < 1 << 16);
        b.resize(b.len() + if exact { asked.unwrap_or(payload) } else { payload }, 7);
        b
    });
    prop_oneof![proptest::collection::vec(any::<u8>(), 0..64), made]
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

pub fn npy_file() -> impl Strategy<Value = Vec<u8>> {
    let dim = prop_oneof![Just(0u64), 1u64..4, Just(100), Just(u64::MAX / 2), any::<u64>()];
    let shape = proptest::collection::vec(dim, 0..4);
    let descr = prop_oneof![Just("<f4"), Just(">f4"), Just("<f8"), Just("|u1"), Just("<f2"), Just("<i4")];
    let made = (shape, descr, any::<bool>(), 0usize..2000, any::<u8>()).prop_map(|(shape, descr, f, payload, fill)| {
        let dims: Vec<String> = shape.iter().map(u64::to_string).collect();
        let tuple = if dims.len() == 1 { format!("({},)", dims[0]) } else { format!("({})", dims.join(", ")) };
        let order = if f { "True" } else { "False" };
        let mut header = format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {tuple}, }}");
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend((header.len() as u16).to_le_bytes());
        b.extend(header.as_bytes());
        b.resize(b.len() + payload, fill);
        b
    });
    prop_oneof![proptest::collection::vec(any::<u8>(), 0..64), made]
}

pub fn safetensors_file() -> impl Strategy<Value = Vec<u8>> {
    let n = prop_oneof![0u64..5000, Just(u64::MAX), any::<u64>()];
    let shape = proptest::collection::vec(prop_oneof![0u64..70, Just(u64::MAX / 3)], 0..4);
    let dtype = prop_oneof![Just("F32"), Just("F16"), Just("I64"), Just("BOOL"), Just("X")];
    let made = (shape, dtype, n.clone(), n, 0usize..4000, any::<bool>()).prop_map(|(shape, dtype, a, b, payload, lie)| {
        let header = format!(
            r#"{{"__metadata__":{{"config":"{{}}"}},"t":{{"dtype":"{dtype}","shape":{shape:?},"data_offsets":[{a},{b}]}}}}"#
        );
        let declared = if lie { u64::MAX - 3 } else { header.len() as u64 };
        let mut out = declared.to_le_bytes().to_vec();
        out.extend(header.as_bytes());
        out.resize(out.len() + payload, 0);
        out
    });
    let mut valid = dcgan::TensorMap::new();
    valid.insert("fc.weight".into(), dcgan::Tensor { shape: vec![4, 8], data: vec![0.5; 32] });
    let valid = dcgan::tensors::to_bytes(&valid, &HashMap::from([("config".into(), "{}".into())]));
    prop_oneof![proptest::collection::vec(any::<u8>(), 0..64), made, bent(valid, 160)]
}

/// The shipped generator with one part of its structure bent: a tensor's dims, bytes,
/// type or storage, a node's operator, input or integer attributes, an input's shape.
pub fn onnx_bent(base: &[u8]) -> impl Strategy<Value = Vec<u8>> {
    use dcgan_onnx::pb::{self, StringStringEntryProto, tensor_shape_proto::dimension::Value as Dim};
    use prost::Message;
    let model = pb::ModelProto::decode(base).unwrap();
    let value = prop_oneof![Just(0i64), Just(-1), 1i64..8, Just(1 << 40), Just(i64::MAX), Just(i64::MIN)];
    let op = prop_oneof![Just("Gemm"), Just("ConvTranspose"), Just("Conv"), Just("Reshape"), Just("Frob"), Just("")];
    (0u8..9, any::<usize>(), any::<usize>(), value, op).prop_map(move |(what, i, j, v, op)| {
        let mut m = model.clone();
        let g = m.graph.as_mut().unwrap();
        let (n_init, n_node) = (g.initializer.len(), g.node.len());
        let t = &mut g.initializer[i % n_init];
        let node = &mut g.node[i % n_node];
        match what {
            0 if !t.dims.is_empty() => {
                let k = j % t.dims.len();
                t.dims[k] = v;
            }
            1 => t.raw_data.truncate(j % (t.raw_data.len() + 1)),
            2 => t.data_type = (v & 0xff) as i32,
            3 => t.external_data.push(StringStringEntryProto { key: "location".into(), value: "/etc/passwd".into() }),
            4 => node.op_type = op.into(),
            5 if !node.input.is_empty() => {
                let k = j % node.input.len();
                node.input[k] = format!("nowhere{v}");
            }
            6 => {
                for a in &mut node.attribute {
                    a.i = v;
                    a.ints.iter_mut().for_each(|x| *x = v);
                }
            }
            7 => {
                let input = &mut g.input[0];
                if let Some(pb::type_proto::Value::TensorType(tt)) =
                    input.r#type.as_mut().and_then(|t| t.value.as_mut())
                    && let Some(shape) = tt.shape.as_mut()
                {
                    shape.dim.iter_mut().for_each(|d| d.value = Some(Dim::DimValue(v)));
                }
            }
            _ => {
                g.node.swap(i % n_node, j % n_node);
            }
        }
        m.encode_to_vec()
    })
}

pub fn shipped(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../models").join(name)).unwrap()
}

/// An OIP v2 infer body: JSON with arbitrary shapes, types, data and parameters, and
/// optionally binary data after it with a header length that may lie.
pub fn oip_body() -> impl Strategy<Value = (Vec<u8>, Option<usize>)> {
    let number = prop_oneof![
        Just(json_num(0)),
        Just(json_num(1)),
        Just(json_num(100)),
        Just(json_num(-1)),
        Just(serde_json::json!(1e300)),
        Just(serde_json::json!(i64::MAX)),
        Just(serde_json::json!(u64::MAX)),
        Just(serde_json::json!("3")),
        Just(serde_json::json!(null)),
        Just(serde_json::json!([1, 2]))
    ];
    let shape = proptest::collection::vec(number.clone(), 0..4);
    let name = prop_oneof![Just("z"), Just("label"), Just("image"), Just("x")];
    let datatype = prop_oneof![Just("FP32"), Just("INT64"), Just("FP16"), Just("BYTES"), Just("?")];
    let data = prop_oneof![
        Just(None),
        (0usize..300, number.clone()).prop_map(|(n, v)| Some(serde_json::Value::Array(vec![v; n]))),
    ];
    let binary = prop_oneof![Just(None), number.clone().prop_map(Some)];
    let input = (name, shape, datatype, data, binary).prop_map(|(name, shape, datatype, data, binary)| {
        let mut t = serde_json::json!({"name": name, "shape": shape, "datatype": datatype});
        if let Some(d) = data {
            t["data"] = d;
        }
        if let Some(b) = binary {
            t["parameters"] = serde_json::json!({"binary_data_size": b});
        }
        t
    });
    let params = proptest::collection::hash_map(
        prop_oneof![Just("seed"), Just("count"), Just("digit"), Just("digits"), Just("binary_data_output"), Just("q")],
        prop_oneof![
            number,
            Just(serde_json::json!("all")),
            Just(serde_json::json!("3,1,4")),
            Just(serde_json::json!(true))
        ],
        0..4,
    );
    // A well-formed z of 1–3 rows (and labels), so that some bodies get past the checks.
    let good = (1usize..4, any::<bool>()).prop_map(|(rows, label)| {
        let mut v = vec![
            serde_json::json!({"name": "z", "shape": [rows, 100], "datatype": "FP32", "data": vec![0.5; rows * 100]}),
        ];
        if label {
            v.push(serde_json::json!({"name": "label", "shape": [rows], "datatype": "INT64", "data": vec![3; rows]}));
        }
        v
    });
    let inputs = prop_oneof![proptest::collection::vec(input, 0..3), good];
    (inputs, params, 0usize..2048, prop_oneof![Just(0u8), Just(1), Just(2)]).prop_map(|(inputs, params, tail, mode)| {
        let mut body =
            serde_json::to_vec(&serde_json::json!({"id": "f", "inputs": inputs, "parameters": params})).unwrap();
        let json = body.len();
        body.resize(json + tail * usize::from(mode > 0), 0x3f);
        let length = match mode {
            0 => None,
            1 => Some(json),
            _ => Some(json.wrapping_mul(tail | 1)),
        };
        (body, length)
    })
}

fn json_num(v: i64) -> serde_json::Value {
    serde_json::json!(v)
}

pub fn png_query() -> impl Strategy<Value = HashMap<String, String>> {
    let key =
        prop_oneof![Just("seed"), Just("n"), Just("cols"), Just("scale"), Just("digit"), Just("digits"), Just("x")];
    let value = prop_oneof!["[0-9]{0,22}", Just("all".to_string()), "[0-9,]{0,40}", "-?[0-9]{1,3}", any::<String>()];
    proptest::collection::hash_map(key.prop_map(String::from), value, 0..5)
}
