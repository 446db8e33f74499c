//! Helpers shared by the integration tests that run `infer` or Python.

#![allow(dead_code, unused_imports, clippy::unwrap_used)] // each test file uses a part; a panic is the failure report

use std::process::Command;

pub use cli::ci::{arg as s, python, repo_root as root};

/// Run `infer` with `args`, asserting success.
pub fn infer(args: &[&str]) {
    let o = Command::new(env!("CARGO_BIN_EXE_infer")).args(args).output().unwrap();
    assert!(o.status.success(), "infer {args:?}: {}", String::from_utf8_lossy(&o.stderr));
}
