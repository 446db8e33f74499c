//! The binaries as a user installs them: copied into an empty folder with no checkout
//! around it, run from there with no `--onnx` and no `--web-dir`. `infer` must write the
//! README's grid from the generator compiled into it, and `serve`'s page (compiled in,
//! onnxruntime-web included) must draw those digits in Chromium.

#![allow(clippy::unwrap_used)] // a panic is the failure report

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Server, root, s};

/// `infer` and `serve` copied into `dir/bin/`.
fn install(dir: &Path) -> (PathBuf, PathBuf) {
    let bin = dir.join("bin");
    std::fs::create_dir(&bin).unwrap();
    let copy = |from: &Path| {
        let to = bin.join(from.file_name().unwrap());
        std::fs::copy(from, &to).unwrap();
        to
    };
    (copy(&common::infer_exe()), copy(Path::new(env!("CARGO_BIN_EXE_serve"))))
}

/// Run `bin` in `dir` with `args`; its stdout.
fn run_in(dir: &Path, bin: &Path, args: &[&str]) -> String {
    let o = Command::new(bin).args(args).current_dir(dir).env_remove("ORT_DYLIB_PATH").output().unwrap();
    assert!(o.status.success(), "{} {args:?}: {}", bin.display(), String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn installed_infer_writes_the_readme_grid_from_an_empty_folder() {
    let dir = tempfile::tempdir().unwrap();
    let (infer, _) = install(dir.path());
    let said = run_in(dir.path(), &infer, &["-n", "25", "--seed", "0"]);
    print!("{said}");
    assert!(said.contains("the built-in models/gen.onnx"), "the closing line names the model: {said}");
    let wrote = std::fs::read(dir.path().join("samples.png")).unwrap();
    assert!(wrote == std::fs::read(root().join("models/samples.png")).unwrap(), "the README's grid, byte for byte");

    // --digit without --onnx: the shipped conditional model.
    let said = run_in(dir.path(), &infer, &["--digit", "7", "-n", "4", "--out", "sevens.png"]);
    assert!(said.contains("the built-in models/gen-cond.onnx"), "{said}");
}

#[test]
fn installed_serve_draws_digits_in_chromium_from_an_empty_folder() {
    if !common::browser_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (infer, serve) = install(dir.path());
    let (raw, png) = (dir.path().join("x.npy"), dir.path().join("x.png"));
    run_in(dir.path(), &infer, &["--seed", "42", "-n", "16", "--scale", "2", "--raw", s(&raw), "--out", s(&png)]);
    let mut cmd = Command::new(&serve);
    cmd.current_dir(dir.path());
    let server = Server::start_with(cmd, &[]);
    common::page_draws(&server.addr, &raw, &png, "installed", None, None);
}
