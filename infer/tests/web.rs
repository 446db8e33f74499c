//! The page (infer/web/) in a real browser: Debian's Chromium, driven by Playwright,
//! loads it from `serve`, runs models/gen.onnx with onnxruntime-web and must draw what
//! `infer` draws (tests/python/web_test.py); and the page's JavaScript SplitMix64 against
//! the README's test vector (Node's test runner).

#![allow(clippy::unwrap_used)] // a panic is the failure report

mod common;

use std::process::Command;

use common::{Server, infer, python, root, s};

fn ready() -> bool {
    let web = root().join("infer/web/node_modules/onnxruntime-web/dist");
    let chromium = std::path::Path::new("/usr/bin/chromium").exists();
    dcgan::ci::require(
        "Chromium, onnxruntime-web and Playwright (scripts/setup-web.sh)",
        chromium && web.is_dir() && python().is_some(),
    )
}

#[test]
fn the_page_draws_what_infer_draws() {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let onnx = root().join("models/gen.onnx");
    let (raw, png) = (dir.path().join("x.npy"), dir.path().join("x.png"));
    infer(&["--onnx", s(&onnx), "--seed", "42", "-n", "16", "--scale", "2", "--raw", s(&raw), "--out", s(&png)]);
    let server = Server::start(&["--onnx", s(&onnx)]);
    // Screenshots stay where the test's output goes (target/tmp/web).
    let out = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("web");
    let o = Command::new(python().unwrap())
        .arg(root().join("tests/python/web_test.py"))
        .args(["--url", &format!("http://{}/", server.addr), "--raw", s(&raw), "--png", s(&png)])
        .args(["--seed", "42", "--n", "16", "--scale", "2", "--out", s(&out)])
        .output()
        .unwrap();
    print!("{}", String::from_utf8_lossy(&o.stdout));
    eprint!("{}", String::from_utf8_lossy(&o.stderr));
    println!("screenshot: {}", out.join("page.png").display());
    assert!(o.status.success(), "the browser test failed");
}

#[test]
fn the_javascript_latents_match_the_readme() {
    if !dcgan::ci::require("node (Node.js)", Command::new("node").arg("--version").output().is_ok()) {
        return;
    }
    let web = root().join("infer/web");
    let tests: Vec<String> = std::fs::read_dir(web.join("test"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".test.mjs"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let o = Command::new("node").arg("--test").args(&tests).current_dir(&web).output().unwrap();
    print!("{}", String::from_utf8_lossy(&o.stdout));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}
