//! `bench/ship-candidates.sh`, dry-run on the CPU: the long runs a GPU session starts
//! after the GPU check (issue "Quality") must work before a device is lent, since that
//! session has one call for them. Small: 300 images, one epoch, 200 samples per
//! evaluation.

#![allow(clippy::unwrap_used)] // a test: a panic is the failure report

use std::path::{Path, PathBuf};
use std::process::Command;

/// The script's runs (its `runs` list).
const RUNS: [&str; 4] = ["improved-decay99", "improved-decay99-seed1", "improved-decay99-translation", "cond-decay99"];
/// What each run brings back beside its log, laid out as in its run folder (the dry run
/// trains one epoch, so the best epoch's grid is epoch 1's).
const KEPT: [&str; 8] = [
    "best/generator.safetensors",
    "best/probe_generator.safetensors",
    "best/best.json",
    "config.json",
    "losses.csv",
    "losses.png",
    "samples/progress.gif",
    "samples/epoch_001.png",
];

#[test]
fn the_ship_candidates_dry_run_on_the_cpu() {
    let mnist = cli::ci::mnist();
    if !cli::ci::require("MNIST (MNIST_DIR)", mnist.is_some()) {
        return;
    }
    let Some(python) = cli::ci::need_python("the project's Python (scripts/setup.sh)") else { return };
    let bin = Path::new(env!("CARGO_BIN_EXE_train")).parent().unwrap().to_path_buf();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile::tempdir().unwrap();
    let (work, keep) = (dir.path().join("work"), dir.path().join("keep"));
    let o = Command::new("bash")
        .arg(root.join("bench/ship-candidates.sh"))
        .args(["cpu".as_ref(), work.as_os_str(), keep.as_os_str(), "300".as_ref(), "1".as_ref()])
        .current_dir(&root)
        .env("DCGAN_BIN", &bin)
        .env("DCGAN_PYTHON", &python)
        .env("MNIST_DIR", mnist.as_ref().unwrap())
        .env("DCGAN_TRAIN_FLAGS", "--limit 300 --eval-samples 200")
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&o.stdout);
    println!("{table}");
    eprintln!("{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "bench/ship-candidates.sh failed: {}", o.status);
    // The script's own list, this test's and the README's count agree.
    let script = std::fs::read_to_string(root.join("bench/ship-candidates.sh")).unwrap();
    let listed = script.split("runs=(").nth(1).unwrap().split("\n)").next().unwrap();
    let count = listed.lines().filter(|l| l.trim_start().starts_with('"')).count();
    let word = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight"].get(count).unwrap();
    let readme = std::fs::read_to_string(cli::ci::repo_root().join("README.md")).unwrap();
    let readme = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    println!("bench/ship-candidates.sh lists {count} runs");
    assert_eq!(count, RUNS.len(), "the script's runs are not this test's");
    assert!(readme.contains(&format!("long, {word} at once")), "the README does not say {word} runs at once");
    for run in RUNS {
        assert!(table.contains(&format!("| {run} |")), "the table has no row for {run}");
        for file in KEPT {
            assert!(keep.join(run).join(file).is_file(), "{run}/{file} was not kept");
        }
        let config = std::fs::read_to_string(keep.join(run).join("config.json")).unwrap();
        assert!(config.contains("\"lr_decay\": 0.99"), "{run} is not the decaying recipe: {config}");
    }
    // What it keeps is a run folder scripts/ship-generator.sh takes: every file that
    // script needs is there, so the dry run's --limit is its one refusal.
    let o = Command::new("bash")
        .arg(root.join("scripts/ship-generator.sh"))
        .arg(keep.join(RUNS[0]))
        .env("DCGAN_BIN", &bin)
        .env("DCGAN_SHIP_ROOT", dir.path())
        .env("MNIST_DIR", mnist.unwrap())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    println!("scripts/ship-generator.sh on what was kept of {}: {err}", RUNS[0]);
    assert!(o.status.code() == Some(2) && err.contains("--limit"), "{err}");
}
