//! Helpers shared by the integration tests that run `infer` or Python.

#![allow(dead_code, unused_imports, clippy::unwrap_used)] // each test file uses a part; a panic is the failure report

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub use cli::ci::python;

/// Run `infer` with `args`, asserting success.
pub fn infer(args: &[&str]) {
    let o = Command::new(env!("CARGO_BIN_EXE_infer")).args(args).output().unwrap();
    assert!(o.status.success(), "infer {args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}
