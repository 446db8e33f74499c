//! Helpers shared by the tests that run the `train` binary on a few hundred images.

#![allow(dead_code, clippy::unwrap_used)] // each test file uses a part; a panic is the failure report

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dcgan::run;

/// Training images per test run (`--limit`): seconds per epoch on one thread.
pub const IMAGES: &str = "512";

pub fn mnist() -> Option<PathBuf> {
    cli::ci::mnist()
}

pub fn train(out: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_train"));
    cmd.args(["--limit", IMAGES, "--threads", "1", "--device", "cpu", "--seed", "5", "--out"]).arg(out).args(extra);
    cmd
}

pub fn ok(mut cmd: Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "train failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// losses.csv without the timing columns (seconds, images/s), which differ run to run.
pub fn loss_columns(run_dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(run_dir.join(run::LOSSES)).unwrap();
    text.lines().map(|l| l.split(',').take(6).collect::<Vec<_>>().join(",")).collect()
}

pub fn checkpoint(run_dir: &Path) -> (dcgan::TensorMap, std::collections::HashMap<String, String>) {
    dcgan::tensors::read(&run_dir.join(run::CHECKPOINT)).unwrap()
}

/// Return from a test when MNIST is missing (fail instead when `CI` is set).
#[macro_export]
macro_rules! need_mnist {
    () => {
        if !cli::ci::require("MNIST (MNIST_DIR)", $crate::common::mnist().is_some()) {
            return;
        }
    };
}
