//! The README's Python against the contract's golden vectors (`dcgan/contract.json`,
//! written and checked by `dcgan/tests/golden.rs`; the page's JavaScript is held to the
//! same file by `serve/web/test/contract.test.mjs`).

#![allow(clippy::unwrap_used)] // a test: a panic is the failure report

use std::path::PathBuf;
use std::process::Command;

#[test]
fn the_readme_python_reproduces_the_golden_vectors() {
    let Some(python) = cli::ci::need_python("Python (scripts/setup.sh)") else { return };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new(&python)
        .arg(root.join("tests/python/contract_check.py"))
        .arg(root.join("dcgan/contract.json"))
        .arg(root.join("README.md"))
        .output()
        .expect("running Python");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the README's Python or the plans disagree with dcgan/contract.json");
}
