//! `train` interrupted: SIGINT and SIGTERM stop after the step with 130 / 143, SIGKILL at
//! any moment leaves a checkpoint that resumes to the same result, and a diverging run
//! stops at once.

#![allow(clippy::unwrap_used)] // helpers of tests: a panic is the failure report

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{checkpoint, loss_columns, ok, train};
use dcgan::run;

/// Start a 3-epoch run and wait until its first checkpoint exists.
fn start_and_wait_for_checkpoint(out: &Path) -> std::process::Child {
    let child = train(out, &["--epochs", "3"]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    wait_for_checkpoint(out);
    child
}

fn wait_for_checkpoint(out: &Path) {
    // Generous: one epoch takes seconds, but a loaded machine can starve the child.
    let deadline = Instant::now() + Duration::from_secs(600);
    while !out.join(run::CHECKPOINT).exists() {
        assert!(Instant::now() < deadline, "no checkpoint after 600 s");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn sigint_stops_after_the_step_and_says_what_resume_redoes() {
    need_mnist!();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    // 200 epochs of 512 images cannot finish before the signal: the test cannot pass
    // without having interrupted a run.
    let child = train(&out, &["--epochs", "200"]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    wait_for_checkpoint(&out);
    assert!(cli::ci::send_signal(child.id(), "-INT"));
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert!(err.contains("SIGINT") && err.contains("--resume` will redo epoch"), "{err}");
    dcgan::tensors::read(&out.join(run::CHECKPOINT)).expect("the checkpoint is whole");
}

#[test]
fn sigterm_stops_with_status_143() {
    need_mnist!();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let child = train(&out, &["--epochs", "200"]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    wait_for_checkpoint(&out);
    assert!(cli::ci::send_signal(child.id(), "-TERM"));
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(143), "{err}");
    assert!(err.contains("SIGTERM"), "{err}");
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

/// `--lr 1` used to make losses of 1e10 and then hang in the loss plot, deaf to signals.
#[test]
fn a_diverging_run_stops_at_once_with_a_clear_message() {
    need_mnist!();
    let dir = tempfile::tempdir().unwrap();
    for lr in ["1", "10", "1e30"] {
        let started = Instant::now();
        let o = train(&dir.path().join(format!("r{lr}")), &["--epochs", "3", "--lr", lr]).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        println!(
            "--lr {lr}: exit {:?} after {:.1} s: {}",
            o.status.code(),
            started.elapsed().as_secs_f64(),
            err.trim()
        );
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains("diverged") && err.contains("learning rate") && err.contains("--lr"), "{err}");
        assert!(!err.contains("panicked"));
        assert!(started.elapsed() < Duration::from_secs(120), "it stopped at once");
    }
}
