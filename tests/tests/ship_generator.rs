//! `scripts/ship-generator.sh`, checked against what is shipped: a run folder made of the
//! shipped generators' own files (their weights, probe and config as `best/`, their
//! progress GIF, losses plot and sample grid) ships into an empty repository the same
//! ONNX files and pictures byte for byte, and the same `eval.json` figures, for the
//! unconditional and the conditional model. A new generator then ships by one command.

#![allow(clippy::unwrap_used)] // a test: a panic is the failure report

use std::path::{Path, PathBuf};
use std::process::Command;

/// `eval.json`'s figures against the shipped ones: float reordering between machines
/// moves them by ~1e-6 (the README states three decimals).
const EVAL_TOLERANCE: f64 = 1e-4;

/// A `train --keep-best` run folder whose best epoch, `epoch`, is the generator in `shipped`.
fn run_of(shipped: &Path, epoch: u32, grid: Option<&Path>, run: &Path) {
    std::fs::create_dir_all(run.join("best")).unwrap();
    std::fs::create_dir_all(run.join("samples")).unwrap();
    for f in ["generator.safetensors", "probe_generator.safetensors", "config.json"] {
        std::fs::copy(shipped.join(f), run.join("best").join(f)).unwrap();
    }
    std::fs::write(run.join("best/best.json"), format!("{{\n  \"epoch\": {epoch}\n}}\n")).unwrap();
    std::fs::copy(shipped.join("losses.png"), run.join("losses.png")).unwrap();
    std::fs::copy(shipped.join("progress.gif"), run.join("samples/progress.gif")).unwrap();
    if let Some(grid) = grid {
        std::fs::copy(grid, run.join(format!("samples/epoch_{epoch:03}.png"))).unwrap();
    }
}

fn figures(eval: &Path) -> Vec<f64> {
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(eval).unwrap()).unwrap();
    ["frechet", "frechet_report", "coverage", "confidence"]
        .iter()
        .map(|k| json["generator"][k].as_f64().unwrap())
        .collect()
}

#[test]
fn shipping_the_shipped_runs_again_changes_nothing() {
    let mnist = cli::ci::mnist();
    if !cli::ci::require("MNIST (MNIST_DIR)", mnist.is_some()) {
        return;
    }
    let bin = Path::new(env!("CARGO_BIN_EXE_ort-device-check")).parent().unwrap().to_path_buf();
    for name in ["export", "eval", "infer"] {
        assert!(
            bin.join(name).exists(),
            "{} is not built (cargo test --workspace builds it)",
            bin.join(name).display()
        );
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let models = root.join("models");
    let dir = tempfile::tempdir().unwrap();
    let (repo, runs) = (dir.path().join("repo"), dir.path().join("runs"));
    std::fs::create_dir_all(repo.join("models")).unwrap();
    run_of(&models, 43, Some(&models.join("samples_8x8.png")), &runs.join("improved"));
    run_of(&models.join("cond"), 19, None, &runs.join("cond"));
    for run in ["improved", "cond"] {
        let o = Command::new("bash")
            .arg(root.join("scripts/ship-generator.sh"))
            .arg(runs.join(run))
            .env("DCGAN_BIN", &bin)
            .env("DCGAN_SHIP_ROOT", &repo)
            .env("MNIST_DIR", mnist.as_ref().unwrap())
            .output()
            .unwrap();
        eprintln!("{}", String::from_utf8_lossy(&o.stderr));
        assert!(o.status.success(), "scripts/ship-generator.sh {run} failed: {}", o.status);
    }
    let same = [
        "gen.onnx",
        "gen.int8.onnx",
        "gen-cond.onnx",
        "samples.png",
        "samples-cond.png",
        "samples_8x8.png",
        "generator.safetensors",
        "cond/generator.safetensors",
        "cond/probe_generator.safetensors",
        "losses.png",
        "cond/progress.gif",
    ];
    for file in same {
        let (ours, shipped) =
            (std::fs::read(repo.join("models").join(file)).unwrap(), std::fs::read(models.join(file)).unwrap());
        assert!(ours == shipped, "models/{file} shipped again differs from the one in the repository");
    }
    println!("{} files shipped again byte for byte: {}", same.len(), same.join(", "));
    for eval in ["eval.json", "cond/eval.json"] {
        let (ours, shipped) = (figures(&repo.join("models").join(eval)), figures(&models.join(eval)));
        let worst = ours.iter().zip(&shipped).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        println!(
            "models/{eval}: Fréchet (test, odd half), coverage, confidence {ours:.6?}: max |Δ| {worst:.1e} to the shipped (tolerance {EVAL_TOLERANCE:e})"
        );
        assert!(worst <= EVAL_TOLERANCE);
    }
}
