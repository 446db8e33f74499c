//! The `export` binary on good and bad run folders: every bad input is one line on
//! stderr, exit 2, no panic, and nothing written.

#![allow(clippy::unwrap_used)] // a panic is the failure report

use cli::ci::arg as s;
use std::path::{Path, PathBuf};
use std::process::Command;

fn models() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models")
}

fn export(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_export")).args(args).output().unwrap()
}

/// A copy of models/ (a run folder of the shipped generator) with `mangle` applied.
fn run_copy(dir: &Path, name: &str, mangle: impl FnOnce(&Path)) -> PathBuf {
    let run = dir.join(name);
    std::fs::create_dir_all(&run).unwrap();
    for f in ["generator.safetensors", "probe_generator.safetensors", "config.json"] {
        std::fs::copy(models().join(f), run.join(f)).unwrap();
    }
    mangle(&run);
    run
}

#[test]
fn the_shipped_run_exports_checks_and_makes_a_triton_repository() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("g.onnx");
    let o = export(&["--run", s(&models()), "--out", s(&out)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = export(&["--run", s(&models()), "--check", s(&models().join("gen.onnx"))]);
    let text = String::from_utf8_lossy(&o.stdout);
    println!("{text}");
    assert!(o.status.success() && text.contains("byte-identical"), "{}", String::from_utf8_lossy(&o.stderr));
    let repo = dir.path().join("repo");
    let o = export(&["--run", s(&models()), "--triton", s(&repo), "--triton-kind", "cpu", "--model-name", "digits"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read(repo.join("digits/1/model.onnx")).unwrap(), std::fs::read(&out).unwrap());
    let config = std::fs::read_to_string(repo.join("digits/config.pbtxt")).unwrap();
    println!("{config}");
    assert!(config.contains("KIND_CPU"));
    // The README's comment on the repository: the defaults, as Triton reads them.
    for line in ["platform: \"onnxruntime_onnx\"", "max_batch_size: 256", "dynamic_batching {"] {
        assert!(config.lines().any(|l| l.trim() == line), "no `{line}` in config.pbtxt");
    }
}

/// The README's sizes of the three precisions ("2.15 MB and 1.11 MB instead of 4.28 MB"),
/// to their printed digit, for the shipped run exported now.
#[test]
fn each_precision_has_the_size_the_readme_states() {
    let dir = tempfile::tempdir().unwrap();
    let readme = std::fs::read_to_string(models().join("../README.md")).unwrap();
    let readme = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    let after = "compute stay float32: ";
    let stated = readme.split(after).nth(1).unwrap_or_else(|| panic!("README: no `{after}`"));
    let stated: Vec<(f64, f64)> = stated.split(' ').filter_map(cli::ci::stated_number).take(3).collect();
    assert_eq!(stated.len(), 3, "README: three sizes after `{after}`");
    for (precision, (stated, half_unit)) in ["fp16", "int8", "fp32"].into_iter().zip(stated) {
        let out = dir.path().join(format!("{precision}.onnx"));
        let o = export(&["--run", s(&models()), "--precision", precision, "--out", s(&out)]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let mb = std::fs::metadata(&out).unwrap().len() as f64 / 1e6;
        println!("{precision}: {mb:.3} MB, README {stated} MB (± {half_unit})");
        assert!((mb - stated).abs() <= half_unit, "{precision}: {mb:.3} MB, README {stated}");
    }
}

#[test]
fn bad_input_is_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let garbage = run_copy(d, "garbage", |r| std::fs::write(r.join("generator.safetensors"), b"not tensors").unwrap());
    let truncated = run_copy(d, "truncated", |r| {
        let bytes = std::fs::read(r.join("generator.safetensors")).unwrap();
        std::fs::write(r.join("generator.safetensors"), &bytes[..bytes.len() / 2]).unwrap();
    });
    let no_weights = run_copy(d, "empty", |r| std::fs::remove_file(r.join("generator.safetensors")).unwrap());
    let bad_config = run_copy(d, "config", |r| std::fs::write(r.join("config.json"), "{ nope").unwrap());
    let bad_probe = run_copy(d, "probe", |r| {
        std::fs::copy(r.join("config.json"), r.join("probe_generator.safetensors")).map(|_| ()).unwrap()
    });
    let other = d.join("other.onnx");
    std::fs::write(&other, b"junk").unwrap();
    let out = d.join("out.onnx");
    let o = s(&out);
    let nowhere = d.join("no/such/dir/g.onnx");
    let (m, missing, absent, repo) = (models(), d.join("missing"), d.join("absent.onnx"), d.join("repo"));
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--run", s(&missing), "--out", o], "no such run folder"),
        (vec!["--run", s(&no_weights), "--out", o], "no generator.safetensors"),
        (vec!["--run", s(&garbage), "--out", o], "not a safetensors file"),
        (vec!["--run", s(&truncated), "--out", o], "not a safetensors file"),
        (vec!["--run", s(&bad_config), "--out", o], "not a run config"),
        (vec!["--run", s(&bad_probe), "--out", o], "not a safetensors file"),
        (vec!["--run", s(&m), "--out", s(&nowhere)], "cannot write"),
        (vec!["--run", s(&m), "--check", s(&other)], "not an ONNX model"),
        (vec!["--run", s(&m), "--check", s(&absent)], "absent.onnx"),
        (vec!["--run", s(&m), "--triton", s(&repo), "--model-name", "../x"], "--model-name"),
        (vec!["--run", s(&m), "--triton", s(&repo), "--max-batch-size", "0"], "--max-batch-size"),
        (vec!["--run", s(&m), "--what", "everything"], "--what"),
        (vec!["--out", o], "--run"),
    ];
    for (args, needle) in &cases {
        let r = export(args);
        cli::ci::assert_refused(&format!("{args:?}"), &r, needle);
        assert!(!out.exists() && !nowhere.exists() && !d.join("repo/../x").exists(), "{args:?}: nothing written");
    }
}
