//! The exported generator against the real tools: the Python `onnx` package's full
//! checker, and Python `onnxruntime` against the trainer's output (both installed by
//! scripts/setup.sh from PyPI).

#![allow(clippy::unwrap_used)] // helpers of tests: a panic is the failure report

use std::path::PathBuf;
use std::process::Command;

use dcgan::{Arch, CONDITIONAL_GENERATOR, GENERATOR, latent::latents};
use dcgan_tests::{labels, random_net, tch_eval};
use export::Bn;

/// Python onnxruntime against the trainer (DESIGN.md §2); the script checks it.
const AGREEMENT_TOLERANCE: f32 = 1e-5;

fn python() -> PathBuf {
    PathBuf::from(option_env!("DCGAN_PYTHON").unwrap_or("python3"))
}

fn f32_file(path: &std::path::Path, values: &[f32]) {
    std::fs::write(path, values.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>()).unwrap();
}

fn check_with_python(arch: &'static Arch) {
    if !cli::ci::require("Python with onnx and onnxruntime (scripts/setup.sh)", python().exists()) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/conformance.py");
    let g = random_net(arch, 21);
    let host = g.to_host();
    let n = 9;
    let z = latents(1, n);
    let l = arch.condition.map(|_| labels(n, 5));
    let want = tch_eval(&g, &z, &[n, 100], l.as_deref());
    f32_file(&dir.path().join("z.f32"), &z);
    f32_file(&dir.path().join("want.f32"), &want);
    if let Some(l) = &l {
        std::fs::write(dir.path().join("labels.i64"), l.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>())
            .unwrap();
    }
    for bn in [Bn::Folded, Bn::Kept] {
        let model = dir.path().join(format!("gen-{bn:?}.onnx"));
        let meta = export::metadata(arch, None, Some(1), bn);
        std::fs::write(&model, export::to_onnx(arch, &host, bn, &meta)).unwrap();
        let mut cmd = Command::new(python());
        cmd.arg(&script)
            .arg(&model)
            .arg(dir.path().join("z.f32"))
            .arg(dir.path().join("want.f32"))
            .arg(n.to_string())
            .arg(AGREEMENT_TOLERANCE.to_string());
        if l.is_some() {
            cmd.arg(dir.path().join("labels.i64"));
        }
        let out = cmd.output().expect("running Python (scripts/setup.sh installs it)");
        print!("{}", String::from_utf8_lossy(&out.stdout));
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "conformance script failed for BN {bn:?}");
    }
}

#[test]
fn python_onnx_checker_and_onnxruntime_accept_the_export() {
    check_with_python(&GENERATOR);
}

#[test]
fn python_onnx_checker_and_onnxruntime_accept_the_conditional_export() {
    check_with_python(&CONDITIONAL_GENERATOR);
}
