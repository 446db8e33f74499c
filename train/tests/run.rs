//! The `train` binary end to end on a few hundred images: artifacts, determinism,
//! exact resume, refused resumes, signals and SIGKILL at any moment.

#![allow(clippy::unwrap_used)] // helpers of tests: a panic is the failure report

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use dcgan::run;

const IMAGES: &str = "512";

fn mnist() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("MNIST_DIR")?);
    dir.join("train-images-idx3-ubyte.gz").exists().then_some(dir)
}

fn train(out: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_train"));
    cmd.args(["--limit", IMAGES, "--threads", "1", "--device", "cpu", "--seed", "5", "--out"]).arg(out).args(extra);
    cmd
}

fn ok(mut cmd: Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "train failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// losses.csv without the timing columns (seconds, images/s), which differ run to run.
fn loss_columns(run_dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(run_dir.join(run::LOSSES)).unwrap();
    text.lines().map(|l| l.split(',').take(6).collect::<Vec<_>>().join(",")).collect()
}

fn checkpoint(run_dir: &Path) -> (dcgan::TensorMap, std::collections::HashMap<String, String>) {
    dcgan::tensors::read(&run_dir.join(run::CHECKPOINT)).unwrap()
}

macro_rules! need_mnist {
    () => {
        if mnist().is_none() {
            eprintln!("MNIST_DIR not set; skipping (CI sets it)");
            return;
        }
    };
}

#[test]
fn one_epoch_writes_every_artifact() {
    need_mnist!();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = ok(train(&out, &["--epochs", "1"]));
    assert!(String::from_utf8_lossy(&o.stdout).contains("trained 1 epoch"));
    for f in [
        run::CONFIG,
        run::GENERATOR,
        run::DISCRIMINATOR,
        run::CHECKPOINT,
        run::PROBE_GENERATOR,
        run::PROBE_DISCRIMINATOR,
        run::LOSSES,
        run::LOSS_PLOT,
        "samples/epoch_001.png",
    ] {
        assert!(out.join(f).is_file(), "missing {f}");
    }
    let config: dcgan::TrainConfig =
        serde_json::from_str(&std::fs::read_to_string(out.join(run::CONFIG)).unwrap()).unwrap();
    assert_eq!(config.hyper, dcgan::config::Hyper { seed: 5, ..Default::default() });
    assert_eq!(config.dataset_sha256.len(), 64);
    let (g, _) = dcgan::tensors::read(&out.join(run::GENERATOR)).unwrap();
    dcgan::tensors::check_params(&g, &dcgan::GENERATOR, &out).unwrap();
    let samples = image::open(out.join("samples/epoch_001.png")).unwrap();
    assert_eq!(samples.width(), 8 * 30 + 2);
    // No temporary file is left behind.
    let stray: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(stray.is_empty());
}

#[test]
fn the_same_seed_gives_the_same_losses_and_resume_is_exact() {
    need_mnist!();
    let dir = tempfile::tempdir().unwrap();
    let (straight, split, again) = (dir.path().join("a"), dir.path().join("b"), dir.path().join("c"));
    ok(train(&straight, &["--epochs", "2"]));
    ok(train(&again, &["--epochs", "2"]));
    assert_eq!(loss_columns(&straight), loss_columns(&again), "same seed, same CPU: identical losses");

    ok(train(&split, &["--epochs", "1"]));
    let o = ok(train(&split, &["--epochs", "2", "--resume"]));
    assert!(String::from_utf8_lossy(&o.stderr).contains("resuming"));
    let ((a, meta_a), (b, meta_b)) = (checkpoint(&straight), checkpoint(&split));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, t) in &a {
        assert!(t.data == b[name].data, "{name} differs between 2 epochs and 1 + resumed 1");
    }
    for key in ["epoch", "step", "rng_state", "adam_g_step", "adam_d_step"] {
        assert_eq!(meta_a[key], meta_b[key], "{key}");
    }
    assert_eq!(loss_columns(&straight), loss_columns(&split));
}

#[test]
fn resume_refuses_a_change_that_alters_the_optimisation() {
    need_mnist!();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    ok(train(&out, &["--epochs", "1"]));
    for (flag, value, field) in [("--batch-size", "50", "batch-size"), ("--lr", "0.001", "lr"), ("--seed", "9", "seed")]
    {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_train"));
        cmd.args(["--limit", IMAGES, "--threads", "1", "--out"])
            .arg(&out)
            .args(["--resume", "--epochs", "2", flag, value]);
        let o = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(&format!("--{field}")), "the message names the field: {err}");
    }
    // Changing what may change is fine, and an unchanged explicit value is not a change.
    ok(train(&out, &["--epochs", "2", "--resume", "--sample-every", "2", "--batch-size", "100"]));
}

#[test]
fn a_fresh_run_never_overwrites_an_existing_one() {
    need_mnist!();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    ok(train(&out, &["--epochs", "1"]));
    let o = train(&out, &["--epochs", "1"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--resume"));
}

#[test]
fn missing_data_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let o = train(&dir.path().join("r"), &["--data"]).arg(dir.path()).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("not found") && err.contains("--download"), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}

#[test]
fn cuda_where_there_is_none_is_refused() {
    need_mnist!();
    if tch::Cuda::is_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_train"));
    cmd.args(["--limit", IMAGES, "--device", "cuda", "--out"]).arg(dir.path().join("r"));
    let o = cmd.output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("CUDA is not available"), "{err}");
}

#[test]
fn a_diverging_run_stops_with_a_clear_message() {
    need_mnist!();
    let dir = tempfile::tempdir().unwrap();
    let o = train(&dir.path().join("r"), &["--epochs", "2", "--lr", "1e30"]).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("diverged") && err.contains("--lr"), "{err}");
}

/// Start a 3-epoch run and wait until its first checkpoint exists.
fn start_and_wait_for_checkpoint(out: &Path) -> std::process::Child {
    let child = train(out, &["--epochs", "3"]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    // Generous: one epoch takes seconds, but a loaded machine can starve the child.
    let deadline = Instant::now() + Duration::from_secs(600);
    while !out.join(run::CHECKPOINT).exists() {
        assert!(Instant::now() < deadline, "no checkpoint after 600 s");
        std::thread::sleep(Duration::from_millis(5));
    }
    child
}

fn signal(child: &std::process::Child, sig: &str) {
    let status = Command::new("kill").args([sig, &child.id().to_string()]).status().unwrap();
    assert!(status.success());
}

#[test]
fn sigint_stops_after_the_step_and_says_what_resume_redoes() {
    need_mnist!();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let child = start_and_wait_for_checkpoint(&out);
    signal(&child, "-INT");
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    if o.status.code() == Some(0) {
        return; // the run finished before the signal landed
    }
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert!(err.contains("SIGINT") && err.contains("--resume` will redo epoch"), "{err}");
    dcgan::tensors::read(&out.join(run::CHECKPOINT)).expect("the checkpoint is whole");
}

#[test]
fn a_run_killed_at_any_moment_resumes_to_the_same_result() {
    need_mnist!();
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("reference");
    ok(train(&reference, &["--epochs", "3"]));
    // Kill at a few different moments after the first checkpoint, then resume.
    for delay_ms in [0u64, 37, 400] {
        let out = dir.path().join(format!("killed-{delay_ms}"));
        let mut child = start_and_wait_for_checkpoint(&out);
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL
        let _ = child.wait();
        ok(train(&out, &["--epochs", "3", "--resume"]));
        let ((a, _), (b, _)) = (checkpoint(&reference), checkpoint(&out));
        for (name, t) in &a {
            assert!(t.data == b[name].data, "{name} differs after kill at +{delay_ms} ms and resume");
        }
        assert_eq!(loss_columns(&reference), loss_columns(&out));
    }
}

#[test]
fn eval_every_records_the_frechet_distance() {
    need_mnist!();
    let dir = tempfile::tempdir().unwrap();
    let mnist = mnist().unwrap();
    // A quickly trained classifier is enough to exercise the path.
    let mut small = train::data::load(&mnist, train::Dataset::Mnist, train::data::Split::Train).unwrap();
    small.truncate(1000);
    let test = train::data::load(&mnist, train::Dataset::Mnist, train::data::Split::Test).unwrap();
    let (classifier, accuracy) = train::classifier::Classifier::train(&small, &test, 1, 0, tch::Device::Cpu);
    println!("1-epoch classifier on 1000 images: test accuracy {accuracy:.3}");
    let path = dir.path().join("classifier.safetensors");
    classifier.save(&path, accuracy).unwrap();
    let out = dir.path().join("r");
    ok(train(&out, &["--epochs", "2", "--eval-every", "2", "--classifier", path.to_str().unwrap()]));
    let text = std::fs::read_to_string(out.join(run::LOSSES)).unwrap();
    let last: Vec<&str> = text.lines().collect();
    assert!(last[0].ends_with(",frechet"));
    assert_eq!(last[1].split(',').nth(8), Some(""), "epoch 1 is not evaluated");
    let distance: f64 = last[2].split(',').nth(8).unwrap().parse().unwrap();
    println!("Fréchet distance after 2 epochs on {IMAGES} images: {distance:.2}");
    assert!(distance.is_finite() && distance > 0.0);
}
