//! The page (serve/web/) in a real browser: Debian's Chromium, driven by Playwright,
//! loads it from `serve`, runs models/gen.onnx (and the int8 file) with onnxruntime-web and must draw what
//! `infer` draws (tests/python/web_test.py); and the page's JavaScript SplitMix64 against
//! the README's test vector (Node's test runner).

#![allow(clippy::unwrap_used)] // a panic is the failure report

mod common;

use std::process::Command;

use common::{Server, infer, root, s};

/// The page served with `model` (a conditional one with its digit buttons asked for
/// `digit`) must draw what `infer` draws.
fn check_in_chromium(model: &str, digit: Option<u8>) {
    if !common::browser_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let onnx = root().join(model);
    let (raw, png) = (dir.path().join("x.npy"), dir.path().join("x.png"));
    let digit_text = digit.map(|d| d.to_string());
    let mut args =
        vec!["--onnx", s(&onnx), "--seed", "42", "-n", "16", "--scale", "2", "--raw", s(&raw), "--out", s(&png)];
    if let Some(d) = &digit_text {
        args.extend(["--digit", d.as_str()]);
    }
    infer(&args);
    let server = Server::start(&["--onnx", s(&onnx)]);
    let name = std::path::Path::new(model).file_stem().unwrap().to_string_lossy().into_owned();
    // A compact file names its storage in its metadata (gen.int8.onnx: `int8`).
    let precision = name.rsplit_once('.').map(|(_, p)| p);
    common::page_draws(&server.addr, &raw, &png, &name, digit, precision);
}

#[test]
fn the_page_draws_what_infer_draws() {
    check_in_chromium("models/gen.onnx", None);
}

/// The shipped compact file (int8 weights, DequantizeLinear): onnxruntime-web runs it as
/// tract does, to the same tolerance.
#[test]
fn the_page_runs_the_int8_file() {
    check_in_chromium("models/gen.int8.onnx", None);
}

#[test]
fn the_page_draws_the_digit_asked_for() {
    check_in_chromium("models/gen-cond.onnx", Some(7));
}

#[test]
fn the_javascript_latents_match_the_readme() {
    if !cli::ci::require("node (Node.js)", Command::new("node").arg("--version").output().is_ok()) {
        return;
    }
    let web = root().join("serve/web");
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
