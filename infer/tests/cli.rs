//! The `infer` binary and library on a generator with random weights (exported with
//! `export::to_onnx`, no training needed): output, reproducible latents, both backends,
//! and every bad input refused with one line, exit 2 and no partial file.

#![allow(clippy::unwrap_used)] // helpers of tests: a panic is the failure report

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dcgan::{Arch, DISCRIMINATOR, GENERATOR, SplitMix64, Tensor, TensorMap};
use export::Bn;
use infer::{Backend, Device, Generator};

/// tract against ONNX Runtime on the same file and latents.
const BACKEND_TOLERANCE: f32 = 1e-5;

/// Random weights for `arch`: small uniform values, running variances in [0.5, 1.5].
fn random(arch: &Arch, seed: u64) -> TensorMap {
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

fn model(dir: &Path, arch: &Arch, name: &str) -> PathBuf {
    let path = dir.join(name);
    let meta = export::metadata(arch, None, Some(1), Bn::Folded);
    std::fs::write(&path, export::to_onnx(arch, &random(arch, 9), Bn::Folded, &meta)).unwrap();
    path
}

fn infer(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_infer")).args(args).output().unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn writes_a_near_square_grid_and_says_what_it_did() {
    let dir = tempfile::tempdir().unwrap();
    let onnx = model(dir.path(), &GENERATOR, "gen.onnx");
    let png = dir.path().join("grid.png");
    let o = infer(&["--onnx", s(&onnx), "-n", "25", "--seed", "3", "--out", s(&png), "--scale", "2"]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        stdout.contains("grid.png") && stdout.contains("seed 3") && stdout.contains("Tract") && stdout.contains("ms"),
        "{stdout}"
    );
    let img = image::open(&png).unwrap();
    assert_eq!((img.width(), img.height()), (5 * 58 + 2, 5 * 58 + 2));
    // Without --seed, one is picked and printed.
    let o = infer(&["--onnx", s(&onnx), "-n", "2", "--out", s(&png)]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("seed "));
}

#[test]
fn the_same_seed_gives_the_same_digits_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    let onnx = model(dir.path(), &GENERATOR, "gen.onnx");
    let tract = Generator::from_path(&onnx, Backend::Tract, Device::Cpu).unwrap();
    let ort = Generator::from_path(&onnx, Backend::Ort, Device::Cpu).unwrap().with_batch_size(3);
    let (a, b) = (tract.generate(11, 10).unwrap(), ort.generate(11, 10).unwrap());
    let diff = a.data.iter().zip(&b.data).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
    println!("tract vs ort, seed 11, n 10: max |Δ| = {diff:.2e} (tolerance {BACKEND_TOLERANCE:.0e})");
    assert!(diff <= BACKEND_TOLERANCE);
    // Caller-given z equal to the seed's latents gives the same images.
    let z = infer::latents(11, 10);
    assert_eq!(tract.generate_from_z(&z).unwrap(), a);
}

#[test]
fn raw_each_and_z_files_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let onnx = model(dir.path(), &GENERATOR, "gen.onnx");
    let (raw, each) = (dir.path().join("x.npy"), dir.path().join("each"));
    let o = infer(&[
        "--onnx",
        s(&onnx),
        "-n",
        "7",
        "--seed",
        "4",
        "--raw",
        s(&raw),
        "--each",
        s(&each),
        "--batch-size",
        "3",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read_dir(&each).unwrap().count(), 7);
    assert!(!dir.path().join("samples.png").exists(), "no grid unless asked when --raw/--each are given");
    let npy = npyz::NpyFile::new(std::fs::File::open(&raw).unwrap()).unwrap();
    assert_eq!(npy.shape(), &[7, 1, 28, 28]);
    let images = npy.into_vec::<f32>().unwrap();
    let direct = Generator::from_path(&onnx, Backend::Tract, Device::Cpu).unwrap().generate(4, 7).unwrap();
    assert_eq!(images, direct.data);

    // --z with the same latents reproduces them.
    let zpath = dir.path().join("z.npy");
    let z = infer::latents(4, 7);
    use npyz::WriterBuilder;
    let mut w = npyz::WriteOptions::<f32>::new()
        .default_dtype()
        .shape(&[7, 100])
        .writer(std::fs::File::create(&zpath).unwrap())
        .begin_nd()
        .unwrap();
    w.extend(z).unwrap();
    w.finish().unwrap();
    let raw2 = dir.path().join("y.npy");
    let o = infer(&["--onnx", s(&onnx), "--z", s(&zpath), "--raw", s(&raw2)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read(&raw).unwrap(), std::fs::read(&raw2).unwrap());
}

/// Exit 2, one line on stderr naming the problem, and no output file.
fn refused(args: &[&str], out: &Path, needle: &str) {
    let o = infer(args);
    let err = String::from_utf8_lossy(&o.stderr);
    println!("{args:?} -> {err}");
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(needle), "expected `{needle}` in: {err}");
    assert!(!out.exists(), "no partial output");
}

#[test]
fn bad_input_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let onnx = model(dir.path(), &GENERATOR, "gen.onnx");
    let classifier = model(dir.path(), &DISCRIMINATOR, "disc.onnx");
    let text = dir.path().join("notes.onnx");
    std::fs::write(&text, "this is not a model").unwrap();
    let out = dir.path().join("out.png");
    let o = s(&out);
    refused(&["--onnx", s(&dir.path().join("missing.onnx")), "--out", o], &out, "No such file");
    refused(&["--onnx", s(&text), "--out", o], &out, "not an ONNX model");
    refused(&["--onnx", s(&classifier), "--out", o], &out, "not a DCGAN generator");
    refused(&["--onnx", s(&onnx), "-n", "0", "--out", o], &out, "at least 1");
    let nowhere = dir.path().join("no/such/dir/x.png");
    refused(&["--onnx", s(&onnx), "--out", s(&nowhere)], &nowhere, "cannot write");
    refused(&["--onnx", s(&onnx), "--backend", "tract", "--device", "cuda", "--out", o], &out, "CPU only");
    // This machine's ONNX Runtime is the CPU build: CUDA must fail, not fall back.
    refused(&["--onnx", s(&onnx), "--backend", "ort", "--device", "cuda", "--out", o], &out, "CUDA");
}
