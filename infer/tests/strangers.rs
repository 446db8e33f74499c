//! ONNX files from strangers, made by tests/python/strangers.py with the `onnx` package
//! from the shipped generator: each is refused by `infer` on both backends with exit 2
//! and one line naming what is wrong, before any runtime reads it — external data even
//! when the file it names sits in the caller's working folder.

#![allow(clippy::unwrap_used)] // helpers of tests: a panic is the failure report

mod common;

use std::process::Command;

/// (file, what the one line must say)
const STRANGERS: [(&str, &str); 6] = [
    ("external.onnx", "refused: tensor `fc.weight` keeps its data in an external file (`w.bin`)"),
    ("if.onnx", "refused: node `If` (If) carries a subgraph"),
    ("function.onnx", "refused: it defines functions (`Twice`)"),
    ("domain.onnx", "refused: node `Frob` uses operator domain `com.example`"),
    ("lying.onnx", "refused: tensor `fc.weight` declares 819200 values"),
    ("unknown-op.onnx", "Frobnicate"),
];

#[test]
fn models_that_reach_past_their_bytes_are_refused() {
    let python = common::python();
    if !cli::ci::require("Python with onnx (scripts/setup.sh)", python.is_some()) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = common::root().join("tests/python/strangers.py");
    let o = Command::new(python.unwrap())
        .arg(script)
        .arg(common::root().join("models/gen.onnx"))
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for (file, needle) in STRANGERS {
        for backend in ["tract", "ort"] {
            let out = dir.path().join("out.png");
            // The working folder holds w.bin: ONNX Runtime would resolve it there.
            let o = Command::new(env!("CARGO_BIN_EXE_infer"))
                .current_dir(dir.path())
                .args(["--onnx", file, "--backend", backend, "-n", "1", "--out"])
                .arg(&out)
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&o.stderr);
            println!("{file} ({backend}) -> exit {:?}: {}", o.status.code(), err.trim());
            assert_eq!(o.status.code(), Some(2), "{err}");
            assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
            assert!(err.contains(needle), "expected `{needle}` in: {err}");
            assert!(!out.exists(), "nothing written");
        }
    }
}
