//! `scripts/ship-generator.sh`, checked against what is shipped: a run folder made of the
//! shipped generators' own files (their weights, probe and config as `best/`, their
//! progress GIF, losses plot and sample grid) ships into an empty repository the same
//! ONNX files and pictures, byte for byte, and the same `eval.json`, for the
//! unconditional and the conditional model; and a run that cannot ship is refused
//! before anything is written. A new generator then ships by one command. Needs the
//! workspace's `export`, `eval` and `infer` (`cargo test --workspace` builds them).

#![allow(clippy::unwrap_used)] // a test: a panic is the failure report

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// `eval.json`'s numbers against the shipped ones: float reordering between machines
/// moves them by ~1e-6 (the README states three decimals).
const EVAL_TOLERANCE: f64 = 1e-4;

/// A `train --keep-best` run folder whose best epoch, `epoch`, is the generator in `shipped`.
fn run_of(shipped: &Path, epoch: usize, grid: Option<&Path>, run: &Path) {
    std::fs::create_dir_all(run.join("best")).unwrap();
    std::fs::create_dir_all(run.join("samples")).unwrap();
    for f in ["generator.safetensors", "probe_generator.safetensors", "config.json"] {
        std::fs::copy(shipped.join(f), run.join("best").join(f)).unwrap();
    }
    std::fs::write(run.join("best/best.json"), format!("{{\n  \"epoch\": {epoch}\n}}\n")).unwrap();
    std::fs::copy(shipped.join("losses.png"), run.join("losses.png")).unwrap();
    std::fs::copy(shipped.join("progress.gif"), run.join("samples/progress.gif")).unwrap();
    if let Some(grid) = grid {
        std::fs::copy(grid, train::artifacts::samples_png(run, epoch)).unwrap();
    }
}

/// The largest difference between two `eval.json` values' numbers; their keys, strings
/// and counts must be equal.
fn worst_difference(ours: &Value, shipped: &Value, at: &str) -> f64 {
    match (ours, shipped) {
        (Value::Object(a), Value::Object(b)) => {
            assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>(), "{at}: other keys");
            a.iter().map(|(k, v)| worst_difference(v, &b[k], &format!("{at}.{k}"))).fold(0.0, f64::max)
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{at}: another length");
            a.iter().zip(b).map(|(x, y)| worst_difference(x, y, at)).fold(0.0, f64::max)
        }
        (Value::Number(a), Value::Number(b)) if a.is_f64() || b.is_f64() => {
            (a.as_f64().unwrap() - b.as_f64().unwrap()).abs()
        }
        _ => {
            assert_eq!(ours, shipped, "{at}");
            0.0
        }
    }
}

fn ship(run: &Path, repo: &Path, bin: &Path, mnist: &Path) -> Output {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let o = Command::new("bash")
        .arg(root.join("scripts/ship-generator.sh"))
        .arg(run)
        .env("DCGAN_BIN", bin)
        .env("DCGAN_SHIP_ROOT", repo)
        .env("MNIST_DIR", mnist)
        .output()
        .unwrap();
    eprintln!("{}", String::from_utf8_lossy(&o.stderr));
    o
}

#[test]
fn shipping_the_shipped_runs_again_changes_nothing() {
    let mnist = cli::ci::mnist();
    if !cli::ci::require("MNIST (MNIST_DIR)", mnist.is_some()) {
        return;
    }
    let mnist = mnist.unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_ort-device-check")).parent().unwrap().to_path_buf();
    for name in ["export", "eval", "infer"] {
        assert!(
            bin.join(name).exists(),
            "{} is not built (cargo test --workspace builds it)",
            bin.join(name).display()
        );
    }
    let models = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models");
    let dir = tempfile::tempdir().unwrap();
    let (repo, runs) = (dir.path().join("repo"), dir.path().join("runs"));
    std::fs::create_dir_all(repo.join("models")).unwrap();
    run_of(&models, 43, Some(&models.join("samples_8x8.png")), &runs.join("improved"));
    run_of(&models.join("cond"), 19, None, &runs.join("cond"));

    // Refused, with nothing written: a folder that holds no run, and a --limit smoke run.
    std::fs::create_dir_all(runs.join("empty")).unwrap();
    run_of(&models, 43, Some(&models.join("samples_8x8.png")), &runs.join("smoke"));
    let config = std::fs::read_to_string(runs.join("smoke/best/config.json")).unwrap();
    std::fs::write(runs.join("smoke/best/config.json"), config.replace("\"limit\": null", "\"limit\": 300")).unwrap();
    for (run, why) in [("empty", "best/generator.safetensors is missing"), ("smoke", "--limit")] {
        let o = ship(&runs.join(run), &repo, &bin, &mnist);
        assert_eq!(o.status.code(), Some(2), "{run}: {}", String::from_utf8_lossy(&o.stderr));
        assert!(String::from_utf8_lossy(&o.stderr).contains(why), "{run}: the refusal does not say {why:?}");
        assert_eq!(std::fs::read_dir(repo.join("models")).unwrap().count(), 0, "{run}: something was written");
    }

    for run in ["improved", "cond"] {
        let o = ship(&runs.join(run), &repo, &bin, &mnist);
        assert!(o.status.success(), "scripts/ship-generator.sh {run} failed: {}", o.status);
    }
    // Made by the script; the rest it copies, checked to be where they belong.
    let made = ["gen.onnx", "gen.int8.onnx", "gen-cond.onnx", "samples.png", "samples-cond.png"];
    let copied = [
        "generator.safetensors",
        "samples_8x8.png",
        "losses.png",
        "cond/probe_generator.safetensors",
        "cond/progress.gif",
    ];
    for file in made.iter().chain(&copied) {
        let ours = std::fs::read(repo.join("models").join(file)).unwrap();
        assert!(ours == std::fs::read(models.join(file)).unwrap(), "models/{file} shipped again differs");
    }
    println!("made again byte for byte: {}; copied into place: {}", made.join(", "), copied.join(", "));
    for eval in ["eval.json", "cond/eval.json"] {
        let read = |p: &Path| serde_json::from_slice::<Value>(&std::fs::read(p).unwrap()).unwrap();
        let worst = worst_difference(&read(&repo.join("models").join(eval)), &read(&models.join(eval)), eval);
        println!(
            "models/{eval}: every key, string and count equal, numbers within {worst:.1e} of the shipped (tolerance {EVAL_TOLERANCE:e})"
        );
        assert!(worst <= EVAL_TOLERANCE);
    }
}
