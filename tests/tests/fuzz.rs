//! Property tests of every parser a user feeds (DESIGN.md §12's "no panic, hang or
//! unbounded allocation on anything a user can type or send"): IDX files raw and gzip'd,
//! `.npy` latents, safetensors run files, ONNX model bytes (the contract check and the
//! whole tract loader), OIP v2 infer bodies (JSON and binary) and the PNG grid query.
//!
//! Each parser gets arbitrary bytes and, more usefully, well-formed inputs with one part
//! bent (a huge dimension, a lying length, a flipped byte, a truncation). Each case must
//! return a value that keeps the parser's promise or a typed error — never panic or
//! abort. Allocation is bounded by [`cap::Cap`]: while a parser runs, the process may hold
//! only what the input justifies beyond what it held before (a multiple of the input's
//! size plus a margin, or for gzip the IDX bound itself); an allocation past that fails,
//! which aborts this test binary, so an unbounded allocation cannot pass.
//!
//! One `#[test]` runs the parsers one after another, since the allocation budget is
//! process-wide. Cases per parser are in [`CASES`]; the seed is proptest's fixed default,
//! so a failure reproduces.

#![allow(clippy::unwrap_used)] // a test: a panic is the failure report

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use cap::Cap;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

#[global_allocator]
static ALLOCATOR: Cap<std::alloc::System> = Cap::new(std::alloc::System, usize::MAX);

/// Cases per parser: (name, cases). The ONNX loader builds a tract plan per case.
const CASES: [(&str, u32); 9] = [
    ("IDX", 20000),
    ("IDX gzip", 2000),
    (".npy", 20000),
    ("safetensors", 20000),
    ("ONNX contract", 1000),
    ("ONNX tract", 1000),
    ("ONNX ort", 300),
    ("OIP v2 body", 10000),
    ("PNG query", 10000),
];
/// Bytes a parser may hold per input byte, beyond [`ALLOWANCE`].
const PER_BYTE: usize = 16;
/// Bytes any parser may hold whatever its input (1 MiB; tract's plan: 64 MiB).
const ALLOWANCE: usize = 1 << 20;
const TRACT_ALLOWANCE: usize = 1 << 26;

/// Run `f` with the process allowed `budget` bytes more than it holds now.
fn bounded<T>(budget: usize, f: impl FnOnce() -> T) -> T {
    ALLOCATOR.set_limit(ALLOCATOR.allocated().saturating_add(budget)).unwrap();
    let out = f();
    ALLOCATOR.set_limit(usize::MAX).unwrap();
    out
}

/// Outcomes of one parser's cases, printed at the end.
#[derive(Default)]
struct Tally {
    ok: u32,
    errors: HashMap<String, u32>,
}

impl Tally {
    fn add<T, E: std::fmt::Display>(&mut self, r: &Result<T, E>) {
        match r {
            Ok(_) => self.ok += 1,
            // The error's kind: its message with numbers and quoted names blanked, cut short.
            Err(e) => {
                *self.errors.entry(kind(&e.to_string())).or_default() += 1;
            }
        }
    }
}

fn kind(message: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    for c in message.chars() {
        match c {
            '`' => {
                quoted = !quoted;
                if quoted {
                    out.push_str("`…`");
                }
            }
            _ if quoted => {}
            '0'..='9' => {
                if !out.ends_with('#') {
                    out.push('#');
                }
            }
            _ => out.push(c),
        }
    }
    out.chars().take(56).collect()
}

fn run<S: Strategy>(name: &str, strategy: S, case: impl FnMut(S::Value, &mut Tally) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let cases = CASES.iter().find(|(n, _)| *n == name).unwrap().1;
    let config = Config { cases, failure_persistence: None, max_shrink_iters: 256, ..Config::default() };
    // TestRunner::run takes an Fn: the case and its tally live in cells.
    let (case, tally) = (RefCell::new(case), RefCell::new(Tally::default()));
    let started = std::time::Instant::now();
    let result = TestRunner::new(config).run(&strategy, |v| (case.borrow_mut())(v, &mut tally.borrow_mut()));
    let tally = tally.into_inner();
    let mut kinds: Vec<_> = tally.errors.iter().collect();
    kinds.sort_by(|a, b| b.1.cmp(a.1));
    println!(
        "{name}: {} cases in {:.1} s: {} accepted, {} refused ({})",
        tally.ok + tally.errors.values().sum::<u32>(),
        started.elapsed().as_secs_f64(),
        tally.ok,
        tally.errors.values().sum::<u32>(),
        kinds.iter().take(6).map(|(k, n)| format!("{n}× \"{k}\"")).collect::<Vec<_>>().join(", ")
    );
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
}

/// Bytes `base` with a few of them replaced and possibly cut short.
fn bent(base: Vec<u8>, near: usize) -> impl Strategy<Value = Vec<u8>> {
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

fn idx_file() -> impl Strategy<Value = Vec<u8>> {
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

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn npy_file() -> impl Strategy<Value = Vec<u8>> {
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

fn safetensors_file() -> impl Strategy<Value = Vec<u8>> {
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
fn onnx_bent(base: &[u8]) -> impl Strategy<Value = Vec<u8>> {
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

fn shipped(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../models").join(name)).unwrap()
}

/// An OIP v2 infer body: JSON with arbitrary shapes, types, data and parameters, and
/// optionally binary data after it with a header length that may lie.
fn oip_body() -> impl Strategy<Value = (Vec<u8>, Option<usize>)> {
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

fn png_query() -> impl Strategy<Value = HashMap<String, String>> {
    let key =
        prop_oneof![Just("seed"), Just("n"), Just("cols"), Just("scale"), Just("digit"), Just("digits"), Just("x")];
    let value = prop_oneof!["[0-9]{0,22}", Just("all".to_string()), "[0-9,]{0,40}", "-?[0-9]{1,3}", any::<String>()];
    proptest::collection::hash_map(key.prop_map(String::from), value, 0..5)
}

#[test]
fn every_parser_returns_a_value_or_a_typed_error_within_its_memory() {
    let here = Path::new("fuzz-input");
    run("IDX", idx_file(), |bytes, tally| {
        let r = bounded(PER_BYTE * bytes.len() + ALLOWANCE, || train::data::parse_idx(&bytes, 3, here));
        if let Ok((dims, payload)) = &r {
            prop_assert_eq!(dims.iter().product::<usize>(), payload.len());
        }
        tally.add(&r);
        Ok(())
    });
    run("IDX gzip", idx_file().prop_map(|b| gzip(&b)), |bytes, tally| {
        let budget = 2 * train::data::MAX_IDX_BYTES + PER_BYTE * bytes.len() + ALLOWANCE;
        let r = bounded(budget, || {
            let raw = train::data::decode_maybe_gz(bytes, here)?;
            train::data::parse_idx(&raw, 3, here).map(|(dims, _)| dims)
        });
        tally.add(&r);
        Ok(())
    });
    // A gzip bomb: 8 MiB past the bound decompresses no further than the bound.
    let bomb = gzip(&vec![0u8; train::data::MAX_IDX_BYTES + (8 << 20)]);
    let r = bounded(3 * train::data::MAX_IDX_BYTES, || train::data::decode_maybe_gz(bomb.clone(), here));
    println!(
        "gzip bomb of {} bytes: {}",
        bomb.len(),
        r.as_ref().map(|_| "accepted".into()).unwrap_or_else(|e| e.to_string())
    );
    assert!(r.is_err_and(|e| e.to_string().contains("larger than")));

    run(".npy", npy_file(), |bytes, tally| {
        let len = bytes.len() as u64;
        let r =
            bounded(PER_BYTE * bytes.len() + ALLOWANCE, || dcgan_infer::npy::parse_latents(&bytes[..], len, 100, here));
        if let Ok(z) = &r {
            prop_assert!(z.len().is_multiple_of(100) && !z.is_empty());
        }
        tally.add(&r);
        Ok(())
    });
    run("safetensors", safetensors_file(), |bytes, tally| {
        let r = bounded(PER_BYTE * bytes.len() + ALLOWANCE, || dcgan::tensors::from_bytes(&bytes, here));
        if let Ok((map, _)) = &r {
            for t in map.values() {
                prop_assert_eq!(t.shape.iter().product::<usize>(), t.data.len());
            }
        }
        tally.add(&r);
        Ok(())
    });

    let gen_onnx = shipped("gen.onnx");
    let onnx =
        prop_oneof![proptest::collection::vec(any::<u8>(), 0..256), bent(gen_onnx.clone(), 4096), onnx_bent(&gen_onnx)];
    run("ONNX contract", onnx, |bytes, tally| {
        let r = bounded(PER_BYTE * bytes.len() + ALLOWANCE, || dcgan_infer::model_check::check(&bytes));
        tally.add(&r);
        Ok(())
    });
    run("ONNX tract", onnx_bent(&gen_onnx), |bytes, tally| {
        // Loaded, it also runs two rows: a bent attribute may only show at run time.
        let r = bounded(PER_BYTE * bytes.len() + TRACT_ALLOWANCE, || {
            dcgan_infer::Generator::builder()
                .bytes(&bytes)
                .backend(dcgan_infer::Backend::Tract)
                .build()
                .and_then(|g| g.generate(dcgan_infer::Seed(0), 2))
        });
        if let Err(e) = &r {
            prop_assert!(e.is_bad_input(), "a stranger's file is the caller's input (exit 2), got: {e}");
        }
        tally.add(&r);
        Ok(())
    });

    // ONNX Runtime gets the same bent files (its own allocations are C++'s, outside the
    // budget; what is checked is that it never sees a file the checks should refuse and
    // that what it refuses is the caller's).
    run("ONNX ort", onnx_bent(&shipped("gen.onnx")), |bytes, tally| {
        let r = dcgan_infer::Generator::builder()
            .bytes(&bytes)
            .backend(dcgan_infer::Backend::Ort)
            .build()
            .and_then(|g| g.generate(dcgan_infer::Seed(0), 2));
        if let Err(e) = &r {
            prop_assert!(e.is_bad_input(), "a stranger's file is the caller's input (exit 2), got: {e}");
        }
        tally.add(&r);
        Ok(())
    });

    for classes in [None, Some(10)] {
        let model = dcgan_serve::v2::Model { latent: 100, classes, max_rows: 4096 };
        run("OIP v2 body", oip_body(), |(body, length), tally| {
            let r = bounded(PER_BYTE * body.len() + ALLOWANCE, || dcgan_serve::v2::parse(&body, length, model));
            tally.add(&r.as_ref().map_err(|e| format!("{} {}", e.0, e.1)));
            Ok(())
        });
    }
    for conditional in [false, true] {
        run("PNG query", png_query(), |q, tally| {
            let size: usize = q.iter().map(|(k, v)| k.len() + v.len()).sum();
            let r =
                bounded(PER_BYTE * size + ALLOWANCE, || dcgan_serve::samples::GridQuery::parse(&q, 4096, conditional));
            if let Ok(g) = &r {
                prop_assert!(g.plan.count <= 4096);
            }
            tally.add(&r);
            Ok(())
        });
    }
}
