//! `export` on run folders: the self-checked file, its metadata, and every bad input
//! refused with nothing left behind.

#![allow(clippy::unwrap_used)] // helpers of tests: a panic is the failure report

use dcgan::run;
use dcgan_tests::fake_run;
use export::{Bn, Error, What};

fn setup() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run");
    fake_run(&run_dir, 4);
    (dir, run_dir)
}

#[test]
fn a_run_exports_with_its_self_check_and_metadata() {
    let (dir, run_dir) = setup();
    for (what, bn, name) in [
        (What::Generator, Bn::Folded, "g.onnx"),
        (What::Generator, Bn::Kept, "g-bn.onnx"),
        (What::Discriminator, Bn::Folded, "d.onnx"),
    ] {
        let out = dir.path().join(name);
        let r = export::export(&run_dir, &out, what, bn).unwrap();
        println!(
            "{what:?} {bn:?}: {} bytes, self-check max |Δ| = {:.2e} (tolerance {:.0e})",
            r.bytes,
            r.max_diff,
            export::SELF_CHECK_TOLERANCE
        );
        assert!(r.max_diff <= export::SELF_CHECK_TOLERANCE);
        assert_eq!(std::fs::metadata(&out).unwrap().len() as usize, r.bytes);
    }
    let info = dcgan_infer::model_check::check(&std::fs::read(dir.path().join("g.onnx")).unwrap()).unwrap();
    for (k, v) in [
        ("latent_dim", "100"),
        ("latent_distribution", "uniform(-1,1)"),
        ("image_range", "[-1,1]"),
        ("epochs", "3"),
        ("dataset", "mnist"),
    ] {
        assert_eq!(info.metadata.get(k).map(String::as_str), Some(v), "{k}");
    }
    assert!(info.metadata.contains_key("config_digest") && !info.assumed_defaults);
}

fn refused(run_dir: &std::path::Path, out: &std::path::Path) -> Error {
    let err = export::export(run_dir, out, What::Generator, Bn::Folded).unwrap_err();
    assert!(!out.exists(), "nothing may be written when export fails ({err})");
    println!("refused: {err}");
    err
}

#[test]
fn a_probe_the_model_does_not_reproduce_is_refused() {
    let (dir, run_dir) = setup();
    let path = run_dir.join(run::PROBE_GENERATOR);
    let (mut probe, meta) = dcgan::tensors::read(&path).unwrap();
    probe.get_mut("image").unwrap().data[100] += 1e-3;
    dcgan::tensors::write(&path, &probe, &meta).unwrap();
    let err = refused(&run_dir, &dir.path().join("g.onnx"));
    assert!(matches!(err, Error::SelfCheck { max_diff, .. } if max_diff > 9e-4));
}

#[test]
fn missing_runs_and_weights_are_refused() {
    let (dir, run_dir) = setup();
    let out = dir.path().join("g.onnx");
    assert!(refused(&dir.path().join("nope"), &out).to_string().contains("no such run folder"));
    std::fs::remove_file(run_dir.join(run::GENERATOR)).unwrap();
    assert!(refused(&run_dir, &out).to_string().contains("generator.safetensors"));
}

#[test]
fn a_weight_of_the_wrong_shape_or_name_is_refused() {
    let (dir, run_dir) = setup();
    let out = dir.path().join("g.onnx");
    let path = run_dir.join(run::GENERATOR);
    let (good, meta) = dcgan::tensors::read(&path).unwrap();
    let mut wrong = good.clone();
    wrong.insert("ct2.bias".into(), dcgan::Tensor::zeros(&[65]));
    dcgan::tensors::write(&path, &wrong, &meta).unwrap();
    assert!(refused(&run_dir, &out).to_string().contains("ct2.bias` has shape [65]"));
    let mut renamed = good;
    let t = renamed.remove("bn1.running_var").unwrap();
    renamed.insert("bn1.var".into(), t);
    dcgan::tensors::write(&path, &renamed, &meta).unwrap();
    assert!(refused(&run_dir, &out).to_string().contains("no tensor `bn1.running_var`"));
}

#[test]
fn a_run_of_another_architecture_is_refused() {
    let (dir, run_dir) = setup();
    let path = run_dir.join(run::CONFIG);
    let text = std::fs::read_to_string(&path).unwrap().replace(&dcgan::GENERATOR.digest(), "0123456789abcdef");
    std::fs::write(&path, text).unwrap();
    assert!(refused(&run_dir, &dir.path().join("g.onnx")).to_string().contains("architecture"));
}

#[test]
fn an_unwritable_destination_is_refused() {
    let (dir, run_dir) = setup();
    let err = refused(&run_dir, &dir.path().join("no/such/folder/g.onnx"));
    assert!(matches!(err, Error::Write { .. }));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "only the run folder remains");
}

/// A damaged probe (a 0-d latent tensor, or fewer image rows than latent rows) is refused
/// in a line, before any runtime sees its shapes.
#[test]
fn a_misshapen_probe_is_refused() {
    let (dir, run_dir) = setup();
    let path = run_dir.join(run::PROBE_GENERATOR);
    let (good, meta) = dcgan::tensors::read(&path).unwrap();
    let mut zero_d = good.clone();
    zero_d.insert("z".into(), dcgan::Tensor { shape: vec![], data: vec![0.5] });
    let mut short = good;
    let image = short.get_mut("image").unwrap();
    image.shape[0] = 15;
    image.data.truncate(15 * 784);
    for (probe, needle) in [(zero_d, "`z` is []"), (short, "`image` is [15, 1, 28, 28] for 16 input rows")] {
        dcgan::tensors::write(&path, &probe, &meta).unwrap();
        let err = refused(&run_dir, &dir.path().join("g.onnx")).to_string();
        assert!(err.contains("not a usable probe") && err.contains(needle), "{err}");
    }
}

/// A conditional probe with fewer labels than rows is refused before any model is built.
#[test]
fn a_probe_whose_labels_do_not_match_its_rows_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(run::PROBE_GENERATOR);
    let rows = |n: usize, per: usize| dcgan::Tensor { shape: vec![n], data: vec![0.0; n * per] };
    let mut z = rows(4, 100);
    z.shape.push(100);
    let mut image = rows(4, 784);
    image.shape.extend([1, 28, 28]);
    let probe = dcgan::TensorMap::from([("z".into(), z), ("image".into(), image), ("label".into(), rows(3, 1))]);
    dcgan::tensors::write(&path, &probe, &Default::default()).unwrap();
    let model =
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/gen-cond.onnx")).unwrap();
    let err = export::probe_check(&model, &dcgan::CONDITIONAL_GENERATOR, &path).unwrap_err().to_string();
    println!("refused: {err}");
    assert!(err.contains("not a usable probe: 3 labels for 4 rows"), "{err}");
}
