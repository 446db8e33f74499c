//! The exported generator against the real tools, for each weight precision: the Python
//! `onnx` package's full checker, and Python `onnxruntime`, tract and ONNX Runtime
//! against the trainer's output (the Python packages installed by scripts/setup.sh).

#![allow(clippy::unwrap_used)] // helpers of tests: a panic is the failure report

use std::path::PathBuf;
use std::process::Command;

use dcgan::{Arch, CONDITIONAL_GENERATOR, GENERATOR, latent::latents};
use dcgan_infer::{Backend, Generator};
use dcgan_tests::{labels, random_net, tch_eval};
use export::{Bn, Precision};

/// Python onnxruntime against the trainer (DESIGN.md §2); the script checks it.
const AGREEMENT_TOLERANCE: f32 = 1e-5;

fn f32_file(path: &std::path::Path, values: &[f32]) {
    std::fs::write(path, values.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>()).unwrap();
}

fn check_with_python(arch: &'static Arch) {
    let Some(python) = cli::ci::need_python("Python with onnx and onnxruntime (scripts/setup.sh)") else { return };
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
    for (bn, precision) in [Bn::Folded, Bn::Kept].into_iter().flat_map(|bn| Precision::ALL.map(|p| (bn, p))) {
        let model = dir.path().join(format!("gen-{bn:?}-{}.onnx", precision.name()));
        let meta = export::metadata(arch, None, Some(1), bn);
        let bytes = export::to_onnx_with_precision(arch, &host, bn, &meta, precision);
        std::fs::write(&model, &bytes).unwrap();
        // fp32 is held to the runtimes' agreement; compact weights to their rounding.
        let tolerance = if precision == Precision::Fp32 { AGREEMENT_TOLERANCE } else { precision.tolerance() };
        for backend in [Backend::Tract, Backend::Ort] {
            let got =
                Generator::builder().bytes(&bytes).backend(backend).build().unwrap().run(&z, l.as_deref()).unwrap();
            let diff = dcgan::tensors::max_abs_diff(&got, &want);
            println!(
                "{} BN {bn:?}, {backend:?}: {} bytes, max |Δ| vs tch = {diff:.2e} (tolerance {tolerance:.1e})",
                precision.name(),
                bytes.len()
            );
            assert!(diff <= tolerance);
        }
        let mut cmd = Command::new(&python);
        cmd.arg(&script)
            .arg(&model)
            .arg(dir.path().join("z.f32"))
            .arg(dir.path().join("want.f32"))
            .arg(n.to_string())
            .arg(tolerance.to_string());
        if l.is_some() {
            cmd.arg(dir.path().join("labels.i64"));
        }
        let out = cmd.output().expect("running Python (scripts/setup.sh installs it)");
        print!("{}", String::from_utf8_lossy(&out.stdout));
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "conformance script failed for BN {bn:?}, {}", precision.name());
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
