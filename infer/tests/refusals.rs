//! What `infer` refuses on a generator with random weights: every bad flag, latent file
//! and output, a model that lies about its output, and bad metadata values; each with one
//! line, exit 2 and no partial file.

#![allow(clippy::unwrap_used)] // helpers of tests: a panic is the failure report

mod common;

use std::path::Path;

use common::{model, random, refused, run_infer, s, write_npy};
use dcgan::{DISCRIMINATOR, GENERATOR};
use export::Bn;

#[test]
fn bad_input_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let onnx = model(dir.path(), &GENERATOR, "gen.onnx");
    let classifier = model(dir.path(), &DISCRIMINATOR, "disc.onnx");
    let text = dir.path().join("notes.onnx");
    std::fs::write(&text, "this is not a model").unwrap();
    let truncated = dir.path().join("truncated.onnx");
    std::fs::write(&truncated, &std::fs::read(&onnx).unwrap()[..5000]).unwrap();
    let z_bad_shape = dir.path().join("z3.npy");
    write_npy(&z_bad_shape, &[0.0; 6], 2, 3, false);
    let z_good = dir.path().join("z.npy");
    write_npy(&z_good, &dcgan_infer::latents(1, 2), 2, 100, false);
    // A header that declares more rows than the file holds (a truncated file, or a lie).
    let z_lying = dir.path().join("lying.npy");
    let mut bytes = std::fs::read(&z_good).unwrap();
    let at = bytes.windows(7).position(|w| w == b"(2, 100").unwrap();
    bytes[at + 1] = b'9';
    std::fs::write(&z_lying, bytes).unwrap();
    let out = dir.path().join("out.png");
    let (g, o) = (s(&onnx), s(&out));
    let nowhere = dir.path().join("no/such/dir/x.png");
    let missing = dir.path().join("missing.onnx");
    let cases: Vec<(Vec<&str>, &Path, &str)> = vec![
        (vec!["--onnx", s(&missing), "--out", o], &out, "No such file"),
        (vec!["--onnx", s(&text), "--out", o], &out, "not an ONNX model"),
        (vec!["--onnx", s(&truncated), "--out", o], &out, "not an ONNX model"),
        (vec!["--onnx", s(&classifier), "--out", o], &out, "not a DCGAN generator"),
        (vec!["--onnx", g, "-n", "0", "--out", o], &out, "--count"),
        (vec!["--onnx", g, "-n", "-1", "--out", o], &out, "--count"),
        (vec!["--onnx", g, "--seed", "-1", "--out", o], &out, "--seed"),
        (vec!["--onnx", g, "--scale", "0", "--out", o], &out, "--scale"),
        (vec!["--onnx", g, "--scale", "65", "--out", o], &out, "--scale"),
        (vec!["--onnx", g, "--cols", "0", "--out", o], &out, "--cols"),
        (vec!["--onnx", g, "--batch-size", "0", "--out", o], &out, "--batch-size"),
        (vec!["--onnx", g, "--threads", "0", "--out", o], &out, "--threads"),
        (vec!["--onnx", g, "--out", s(&nowhere)], &nowhere, "cannot write"),
        (vec!["--onnx", g, "-n", "1000", "--scale", "64", "--out", o], &out, "pixels"),
        (vec!["--onnx", g, "-n", "100000", "--scale", "64", "--out", o], &out, "pixels"),
        (vec!["--onnx", g, "--z", s(&z_good), "-n", "3", "--out", o], &out, "--z"),
        (vec!["--onnx", g, "--z", s(&z_good), "--seed", "3", "--out", o], &out, "--z"),
        (vec!["--onnx", g, "--z", s(&text), "--out", o], &out, "not a .npy"),
        (vec!["--onnx", g, "--z", s(&z_bad_shape), "--out", o], &out, "expected [n, 100]"),
        (vec!["--onnx", g, "--z", s(&z_lying), "--out", o], &out, "only"),
        (vec!["--onnx", g, "--digit", "3", "--out", o], &out, "unconditional"),
        (vec!["--onnx", g, "--digits", "3,x", "--out", o], &out, "--digits"),
        (vec!["--onnx", g, "--interpolate", "1,2", "--out", o], &out, "--gif"),
        (vec!["--onnx", g, "--device", "tpu", "--out", o], &out, "--device"),
        (vec!["--onnx", g, "--backend", "tract", "--device", "cuda", "--out", o], &out, "CPU only"),
    ];
    for (args, out, needle) in &cases {
        refused(args, out, needle);
    }
    // This machine's ONNX Runtime is the CPU build: CUDA must fail, not fall back, and say
    // what installs the GPU build; `--device cuda` alone means ONNX Runtime as well. On a
    // machine whose ONNX Runtime has CUDA the run succeeds, which is right too.
    for cuda in
        [&["--onnx", g, "--backend", "ort", "--device", "cuda", "--out", o][..], &["--device", "cuda", "--out", o]]
    {
        if !run_infer(cuda).status.success() {
            for needle in ["CUDA", "scripts/setup.sh --gpu", "ORT_DYLIB_PATH"] {
                refused(cuda, &out, needle);
            }
        }
    }
}

/// A model whose declared output is the contract's but whose actual output is not used
/// to give exit 0 with a black 32×2 PNG: every run's actual output is checked.
#[test]
fn a_model_that_lies_about_its_output_is_refused() {
    use dcgan_onnx::pb::{self, tensor_shape_proto::dimension::Value as Dim};
    use prost::Message;
    let dir = tempfile::tempdir().unwrap();
    let value = |name: &str, dims: &[i64]| {
        let mut dim =
            vec![pb::tensor_shape_proto::Dimension { value: Some(Dim::DimParam("N".into())), ..Default::default() }];
        dim.extend(
            dims.iter()
                .map(|&d| pb::tensor_shape_proto::Dimension { value: Some(Dim::DimValue(d)), ..Default::default() }),
        );
        pb::ValueInfoProto {
            name: name.into(),
            r#type: Some(pb::TypeProto {
                value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
                    elem_type: 1,
                    shape: Some(pb::TensorShapeProto { dim }),
                })),
                ..Default::default()
            }),
            ..Default::default()
        }
    };
    let graph = pb::GraphProto {
        name: "liar".into(),
        node: vec![pb::NodeProto {
            input: vec!["z".into()],
            output: vec!["image".into()],
            op_type: "Identity".into(),
            name: "id".into(),
            ..Default::default()
        }],
        input: vec![value("z", &[100])],
        output: vec![value("image", &[1, 28, 28])],
        ..Default::default()
    };
    let model = pb::ModelProto {
        ir_version: 8,
        opset_import: vec![pb::OperatorSetIdProto { domain: String::new(), version: 17 }],
        graph: Some(graph),
        ..Default::default()
    };
    let path = dir.path().join("liar.onnx");
    std::fs::write(&path, model.encode_to_vec()).unwrap();
    let (out, each) = (dir.path().join("grid.png"), dir.path().join("each"));
    for backend in ["tract", "ort"] {
        let o =
            run_infer(&["--onnx", s(&path), "--backend", backend, "-n", "300", "--out", s(&out), "--each", s(&each)]);
        let err = String::from_utf8_lossy(&o.stderr);
        println!("{backend}: exit {:?}: {}", o.status.code(), err.trim());
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains("returned [1, 100]") || err.contains("returned [256, 100]"), "{backend}: {err}");
        assert!(!out.exists() && std::fs::read_dir(&each).map_or(0, |d| d.count()) == 0, "nothing written");
    }
}

/// The contract fixes the values of `latent_distribution` and `image_range`, not only
/// their presence: a file that says otherwise would be drawn from wrongly.
#[test]
fn metadata_values_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.png");
    for (key, value) in [("latent_distribution", "normal(0,1)"), ("image_range", "[0,1]"), ("latent_dim", "64")] {
        let mut meta = export::metadata(&GENERATOR, None, Some(1), Bn::Folded);
        meta.retain(|(k, _)| k != key);
        meta.push((key.to_string(), value.to_string()));
        let path = dir.path().join(format!("{key}.onnx"));
        std::fs::write(&path, export::to_onnx(&GENERATOR, &random(&GENERATOR, 9), Bn::Folded, &meta)).unwrap();
        refused(&["--onnx", s(&path), "--out", s(&out)], &out, key);
    }
}
