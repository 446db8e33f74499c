//! ONNX files from strangers, made by tests/python/strangers.py with the `onnx` package
//! from the shipped generator: each is refused by `infer` on both backends with exit 2
//! and one line naming what is wrong, before any runtime reads it — external data even
//! when the file it names sits in the caller's working folder — and tiny files that
//! declare or compute huge tensors, with bounded memory: each run is under an
//! address-space limit (`ulimit -v`) that an allocation for the huge tensor would pass.

#![allow(clippy::unwrap_used)] // helpers of tests: a panic is the failure report

mod common;

use std::process::Command;

/// (file, what the one line must say)
const STRANGERS: [(&str, &str); 17] = [
    ("external.onnx", "refused: tensor `fc.weight` keeps its data in an external file (`w.bin`)"),
    ("if.onnx", "refused: node `If` (If) carries a subgraph"),
    ("function.onnx", "refused: it defines functions (`Twice`)"),
    ("domain.onnx", "refused: node `Frob` uses operator domain `com.example`"),
    ("lying.onnx", "refused: tensor `fc.weight` declares 819200 values"),
    ("unknown-op.onnx", "is a `Frobnicate`, not one of the operators a generator is made of"),
    // Tiny files that declare or compute huge tensors (without the latent metadata).
    ("wide-z-2e31.onnx", "input `z` declares 2147483648 values per row (at most 65536)"),
    ("wide-z-max.onnx", "input `z` declares 9223372036854775807 values per row (at most 65536)"),
    ("constant-of-shape.onnx", "is a `ConstantOfShape`, not one of the operators a generator is made of"),
    ("expand.onnx", "is a `Expand`, not one of the operators a generator is made of"),
    ("broadcast.onnx", "computes up to 68719476736 values from constants alone (at most 16777216)"),
    ("matmul.onnx", "computes up to 68719476736 values from constants alone"),
    ("gather.onnx", "computes up to 68719476736 values from constants alone"),
    ("folded-conv.onnx", "computes up to 38656278544 values from constants alone"),
    ("stride.onnx", "has attribute `strides` = 1073741824 (at most ±65536)"),
    (
        "wide-plan.onnx",
        "node `ct1` (ConvTranspose) makes up to 19339937792 values per row of the batch (at most 4194304)",
    ),
    ("sparse.onnx", "refused: it holds sparse initializers (`sparse_values`)"),
];

/// The address space `infer` may map (4 GiB): room for the program and ONNX Runtime,
/// far less than any of the huge tensors (8 GiB and up) these files declare or compute.
const ADDRESS_SPACE_KIB: u64 = 4 << 20;

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
            let o = Command::new("sh")
                .current_dir(dir.path())
                .args(["-c", &format!("ulimit -v {ADDRESS_SPACE_KIB} && exec \"$0\" \"$@\"")])
                .arg(env!("CARGO_BIN_EXE_infer"))
                .args(["--onnx", file, "--backend", backend, "-n", "1", "--out"])
                .arg(&out)
                .output()
                .unwrap();
            cli::ci::assert_refused(&format!("{file} ({backend})"), &o, needle);
            assert!(!out.exists(), "nothing written");
        }
    }
}
