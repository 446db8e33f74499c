//! The `eval` binary: bad inputs (exit 2 and one line, before any classifier is trained
//! or any data read when the model itself is wrong), an installed copy, `--seeds`, and the
//! real digits' mark beside a conditional model's label accuracy.

#![allow(clippy::unwrap_used)] // a panic is the failure report

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

fn models() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models")
}

#[test]
fn bad_input_is_refused_in_one_line_and_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let onnx = models().join("gen.onnx");
    let text = dir.path().join("notes.onnx");
    std::fs::write(&text, "not a model").unwrap();
    let empty = dir.path().join("no-data");
    let missing = dir.path().join("missing.onnx");
    let g = onnx.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--onnx", text.to_str().unwrap()], "not an ONNX model"),
        (vec!["--onnx", missing.to_str().unwrap()], "No such file"),
        (vec!["--onnx", g, "--samples", "1"], "--samples"),
        (vec!["--onnx", g, "--samples", "0"], "--samples"),
        (vec!["--onnx", g, "--seed", "-1"], "--seed"),
        (vec!["--onnx", g, "--threads", "0"], "--threads"),
        (vec!["--onnx", g, "--seeds", "0"], "--seeds"),
        (vec!["--onnx", g, "--seeds", "101"], "--seeds"),
        // A missing dataset names the flag that fetches it, and eval has it.
        (vec!["--onnx", g, "--data", empty.to_str().unwrap()], "--download"),
        // An output that names a folder is refused before any work.
        (vec!["--onnx", g, "--out", dir.path().to_str().unwrap()], "is a folder"),
    ];
    for (args, needle) in &cases {
        let started = Instant::now();
        let o = Command::new(env!("CARGO_BIN_EXE_eval")).args(args).current_dir(dir.path()).output().unwrap();
        cli::ci::assert_refused(&format!("{args:?}"), &o, needle);
        assert!(started.elapsed() < Duration::from_secs(30), "refused at once, no classifier trained");
        assert!(!dir.path().join("eval.json").exists(), "nothing written into the current folder");
    }
}

#[test]
fn an_installed_eval_scores_the_built_in_generator_from_an_empty_folder() {
    let mnist = cli::ci::mnist();
    if !cli::ci::require("MNIST (MNIST_DIR)", mnist.is_some()) {
        return;
    }
    // As `cargo install` leaves it: the binary alone, run from a folder with nothing in it.
    let dir = tempfile::tempdir().unwrap();
    let installed = dir.path().join("bin/eval");
    std::fs::create_dir_all(installed.parent().unwrap()).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_eval"), &installed).unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let o = Command::new(&installed)
        .args(["--samples", "200", "--out", "eval.json"])
        .env("MNIST_DIR", mnist.unwrap())
        .current_dir(&empty)
        .output()
        .unwrap();
    let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    println!("{out}{err}");
    assert!(o.status.success(), "exit {:?}: {err}", o.status.code());
    assert!(err.contains("classifier the built-in models/classifier.safetensors"), "{err}");
    assert!(out.contains("the built-in models/gen.onnx"), "{out}");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(empty.join("eval.json")).unwrap()).unwrap();
    assert!(json["generator"]["frechet"].as_f64().is_some_and(f64::is_finite), "{json}");
}

/// `--seeds K`: a row per seed, each the one `--seed S` alone gives, and their mean and
/// standard deviation, computed here again from the rows.
#[test]
fn seeds_gives_a_row_per_seed_and_their_spread() {
    /// Same binary, same seed, same samples: only the printing differs.
    const SAME_RUN: f64 = 1e-9;
    let Some(mnist) = cli::ci::mnist() else {
        cli::ci::require("MNIST (MNIST_DIR)", false);
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let eval = |args: &[&str], out: &str| -> serde_json::Value {
        let o = Command::new(env!("CARGO_BIN_EXE_eval"))
            .args(["--samples", "300", "--out", out])
            .args(args)
            .env("MNIST_DIR", &mnist)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(o.status.success(), "eval {args:?}: {}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(out)).unwrap()).unwrap()
    };
    let many = eval(&["--seed", "7", "--seeds", "3"], "many.json");
    let rows = many["seeds"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let alone = eval(&["--seed", "8"], "alone.json");
    for figure in ["frechet", "frechet_report", "confidence"] {
        let (one, two) = (alone["generator"][figure].as_f64().unwrap(), rows[1][figure].as_f64().unwrap());
        println!("{figure}: --seed 8 alone {one:.6}, second of --seed 7 --seeds 3 {two:.6} (tolerance {SAME_RUN:e})");
        assert!((one - two).abs() <= SAME_RUN);
        let values: Vec<f64> = rows.iter().map(|r| r[figure].as_f64().unwrap()).collect();
        let mean = values.iter().sum::<f64>() / 3.0;
        let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 2.0).sqrt();
        let stated = (many["spread"][figure]["mean"].as_f64().unwrap(), many["spread"][figure]["sd"].as_f64().unwrap());
        println!("{figure}: {values:.4?} -> mean {mean:.6} sd {sd:.6}; eval says {stated:.6?}");
        assert!((stated.0 - mean).abs() <= SAME_RUN && (stated.1 - sd).abs() <= SAME_RUN);
        assert!(sd > 0.0, "three seeds give three different samples");
    }
    assert_eq!(many["generator"], rows[0], "`generator` stays the first seed's row");
}

/// A conditional model's label accuracy comes with the mark real digits reach: the
/// classifier's own accuracy on MNIST test, per digit, which must add up to the test
/// accuracy recorded in the classifier's file.
#[test]
fn a_conditional_model_is_read_against_real_digits_label_accuracy() {
    /// The file records the test accuracy to four decimals.
    const RECORDED: f64 = 5e-5;
    let Some(mnist) = cli::ci::mnist() else {
        cli::ci::require("MNIST (MNIST_DIR)", false);
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_eval"))
        .arg("--onnx")
        .arg(models().join("gen-cond.onnx"))
        .args(["--samples", "200", "--out", "eval.json"])
        .env("MNIST_DIR", &mnist)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("the classifier on MNIST test's real digits (what they reach), per digit: 0: "), "{out}");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("eval.json")).unwrap()).unwrap();
    let classifier = &json["classifier"];
    let (recorded, real) = (classifier["test_accuracy"].as_f64().unwrap(), &classifier["test_label_accuracy"]);
    let per_digit: Vec<f64> = real["per_digit"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    // MNIST test's digits per class, to weigh the per-digit figures back into the whole.
    let counts = [980.0, 1135.0, 1032.0, 1010.0, 982.0, 892.0, 958.0, 1028.0, 974.0, 1009.0];
    let weighed = per_digit.iter().zip(counts).map(|(a, n)| a * n).sum::<f64>() / 10000.0;
    println!(
        "real test digits: per digit {per_digit:.4?}, weighed {weighed:.5}; recorded {recorded} (tolerance {RECORDED:e})"
    );
    assert!((weighed - recorded).abs() <= RECORDED && (real["overall"].as_f64().unwrap() - recorded).abs() <= RECORDED);
}
