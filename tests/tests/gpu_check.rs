//! `scripts/gpu-check.sh cpu`: the GPU check's dry run on the CPU, so that the one script
//! a GPU session runs is known to work before a device is lent (issue "GPU, the day a
//! device is lent"). Small: 1000 training images, ONNX Runtime's CPU provider.

#![allow(clippy::unwrap_used)] // a test: a panic is the failure report

use std::path::{Path, PathBuf};
use std::process::Command;

/// Rows the dry run's table must have (the CUDA-only rows are absent on the CPU).
const ROWS: [&str; 11] = [
    "| ONNX Runtime provider | CPU |",
    "| gen.onnx on cpu vs trainer (tch, CPU), N=64, max \\|Δ\\|",
    "| gen-cond.onnx on cpu vs trainer (tch, CPU), N=7, max \\|Δ\\|",
    "| gen.int8.onnx on cpu vs ONNX Runtime (CPU), N=1, max \\|Δ\\|",
    "| ONNX Runtime on cpu, gen.onnx, batch 4096, images/s |",
    "| ONNX Runtime on cpu, bound to CPU tensors (on a GPU: CUDA graph), gen.onnx, batch 256, images/s |",
    "| PyTorch G on cpu, batch 256, images/s |",
    "| train-eager / PyTorch eager, cpu, batch 100 |",
    "| train (eager): 1 epoch, 1000 images, cpu |",
    "| --device cuda with a CPU-only ONNX Runtime | exit 2:",
    "| train --cuda-graphs on the CPU | exit 2:",
];

#[test]
fn the_gpu_check_dry_runs_on_the_cpu() {
    let mnist = cli::ci::mnist();
    if !cli::ci::require("MNIST (MNIST_DIR)", mnist.is_some()) {
        return;
    }
    let Some(python) = cli::ci::need_python("Python with torch (scripts/setup.sh)") else { return };
    // The workspace's binaries sit beside this package's own.
    let bin = Path::new(env!("CARGO_BIN_EXE_ort-device-check")).parent().unwrap().to_path_buf();
    for name in ["train", "infer", "ort-device-check"] {
        assert!(
            bin.join(name).exists(),
            "{} is not built (cargo test --workspace builds it)",
            bin.join(name).display()
        );
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = tempfile::tempdir().unwrap();
    let o = Command::new("bash")
        .arg(root.join("scripts/gpu-check.sh"))
        .args(["cpu".as_ref(), out.path().as_os_str()])
        .current_dir(&root)
        .env("DCGAN_BIN", &bin)
        .env("DCGAN_PYTHON", &python)
        .env("MNIST_DIR", mnist.unwrap())
        .env("GPU_CHECK_LIMIT", "1000")
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&o.stdout);
    println!("{table}");
    eprintln!("{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "scripts/gpu-check.sh cpu failed: {}", o.status);
    for row in ROWS {
        assert!(table.contains(row), "the table has no row starting {row:?}");
    }
    assert!(!table.contains("FAILED"), "a part of the check failed");
}
