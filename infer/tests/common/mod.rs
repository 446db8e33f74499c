//! Helpers shared by the integration tests that run `infer` or Python.

#![allow(dead_code, unused_imports, clippy::unwrap_used)] // each test file uses a part; a panic is the failure report

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dcgan::{Arch, SplitMix64, Tensor, TensorMap};
use export::Bn;

pub use cli::ci::{arg as s, python, repo_root as root};

/// Run `infer` with `args`, asserting success.
pub fn infer(args: &[&str]) {
    let o = run_infer(args);
    assert!(o.status.success(), "infer {args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

/// Random weights for `arch`: small uniform values, running variances in `[0.5, 1.5]`.
pub fn random(arch: &Arch, seed: u64) -> TensorMap {
    let mut rng = SplitMix64::new(seed);
    arch.params()
        .into_iter()
        .map(|p| {
            let n = p.shape.iter().product();
            let mut data = rng.latents(n, 1).into_iter().map(|v| v * 0.05).collect::<Vec<f32>>();
            if p.name.ends_with("running_var") || (p.name.starts_with("bn") && p.name.ends_with("weight")) {
                data.iter_mut().for_each(|v| *v = 1.0 + *v * 10.0);
            }
            (p.name, Tensor { shape: p.shape, data })
        })
        .collect()
}

/// A generator ONNX of `arch` with [`random`] weights (seed 9), written as `dir/name`.
pub fn model(dir: &Path, arch: &Arch, name: &str) -> PathBuf {
    let path = dir.join(name);
    let meta = export::metadata(arch, None, Some(1), Bn::Folded);
    std::fs::write(&path, export::to_onnx(arch, &random(arch, 9), Bn::Folded, &meta)).unwrap();
    path
}

/// Run `infer` with `args`, whatever its exit status.
pub fn run_infer(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_infer")).args(args).output().unwrap()
}

/// Exit 2, one line on stderr naming the problem, no panic, and no output file.
pub fn refused(args: &[&str], out: &Path, needle: &str) {
    let started = std::time::Instant::now();
    let o = run_infer(args);
    cli::ci::assert_refused(&format!("{args:?}"), &o, needle);
    assert!(!out.exists(), "no partial output");
    assert!(started.elapsed().as_secs() < 30, "refused before any long work");
}

/// A float32 .npy of shape `[rows, cols]` in C order, or in Fortran order (column-major).
pub fn write_npy(path: &Path, values: &[f32], rows: u64, cols: u64, fortran: bool) {
    use npyz::WriterBuilder;
    let order = if fortran { npyz::Order::Fortran } else { npyz::Order::C };
    let data: Vec<f32> = if fortran {
        (0..values.len()).map(|k| values[(k % rows as usize) * cols as usize + k / rows as usize]).collect()
    } else {
        values.to_vec()
    };
    let mut w = npyz::WriteOptions::<f32>::new()
        .default_dtype()
        .order(order)
        .shape(&[rows, cols])
        .writer(std::fs::File::create(path).unwrap())
        .begin_nd()
        .unwrap();
    w.extend(data).unwrap();
    w.finish().unwrap();
}
