//! The exported generator against the real tools: the Python `onnx` package's full
//! checker, and Python `onnxruntime` against the trainer's output (both installed by
//! scripts/setup.sh from PyPI).

#![allow(clippy::unwrap_used)] // helpers of tests: a panic is the failure report

use std::path::PathBuf;
use std::process::Command;

use dcgan::{GENERATOR, latent::latents};
use dcgan_tests::{random_generator, tch_eval};
use export::Bn;

/// Python onnxruntime against the trainer (DESIGN.md §2); the script checks it.
const AGREEMENT_TOLERANCE: f32 = 1e-5;

fn python() -> PathBuf {
    PathBuf::from(option_env!("DCGAN_PYTHON").unwrap_or("python3"))
}

fn f32_file(path: &std::path::Path, values: &[f32]) {
    std::fs::write(path, values.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>()).unwrap();
}

#[test]
fn python_onnx_checker_and_onnxruntime_accept_the_export() {
    let dir = tempfile::tempdir().unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/conformance.py");
    let (g, host) = random_generator(21);
    let n = 9;
    let z = latents(1, n);
    let want = tch_eval(&g, &z, &[n, 100], None);
    f32_file(&dir.path().join("z.f32"), &z);
    f32_file(&dir.path().join("want.f32"), &want);
    for bn in [Bn::Folded, Bn::Kept] {
        let model = dir.path().join(format!("gen-{bn:?}.onnx"));
        let meta = export::metadata(&GENERATOR, None, Some(1), bn);
        std::fs::write(&model, export::to_onnx(&GENERATOR, &host, bn, &meta)).unwrap();
        let out = Command::new(python())
            .arg(&script)
            .arg(&model)
            .arg(dir.path().join("z.f32"))
            .arg(dir.path().join("want.f32"))
            .arg(n.to_string())
            .arg(AGREEMENT_TOLERANCE.to_string())
            .output()
            .expect("running Python (scripts/setup.sh installs it)");
        print!("{}", String::from_utf8_lossy(&out.stdout));
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "conformance script failed for BN {bn:?}");
    }
}
