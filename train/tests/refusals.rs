//! What `train` refuses, at once and in one line: resumes that would alter the
//! optimisation, folders that hold another run or none, missing data, CUDA where there
//! is none, bad flags, unwritable folders and corrupt checkpoints; and what `--help` says.

#![allow(clippy::unwrap_used)] // helpers of tests: a panic is the failure report

mod common;

use std::process::Command;

use common::{IMAGES, mnist, ok, train};
use dcgan::run;

#[test]
fn resume_refuses_a_change_that_alters_the_optimisation() {
    need_mnist!();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    ok(train(&out, &["--epochs", "1"]));
    // Every locked setting (the one list, `dcgan::config::LOCKED`), each with a value
    // other than the run's: a new locked setting fails here until it is given one.
    let other_value = |field: &str| match field {
        "dataset" => "fashion-mnist",
        "limit" => "300",
        "batch_size" => "50",
        "lr" | "lr_d" | "lr_g" => "0.001",
        "beta1_d" | "beta1_g" => "0.3",
        "beta2" => "0.99",
        "weight_decay" => "0.01",
        "seed" => "9",
        "loss" => "hinge",
        "ema" => "0.99",
        "r1" => "1",
        "label_smoothing" => "0.1",
        "conditional" => "projection",
        "augment" => "cutout",
        other => panic!("locked setting `{other}` has no other value in this test"),
    };
    // Scheduled knobs may still join a run: tests/from_epoch.rs.
    let scheduled = |f: &str| dcgan::config::Scheduled::ALL.iter().any(|k| k.fields().contains(&f));
    let fields: Vec<&str> = dcgan::TrainConfig::locked_flags().filter(|f| !scheduled(f)).collect();
    for field in &fields {
        let flag = field.replace('_', "-");
        let value = other_value(field);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_train"));
        cmd.args(["--limit", IMAGES, "--threads", "1", "--out"]).arg(&out).args([
            "--resume",
            "--epochs",
            "2",
            &format!("--{flag}"),
            value,
        ]);
        let o = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "--{flag} {value}: {err}");
        assert!(err.contains(&format!("--{flag} is ")) && err.contains("cannot resume"), "--{flag} {value}: {err}");
    }
    println!("--resume refused a changed value of each of the {} locked settings", fields.len());
    // A value is shown as typed (`--limit 300`, not `Some(300)`).
    let o = train(&out, &["--resume", "--epochs", "2", "--limit", "300"]).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--limit is 300") && !err.contains("Some("), "{err}");
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
fn help_says_every_default_and_what_resume_may_change() {
    let o = Command::new(env!("CARGO_BIN_EXE_train")).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&o.stdout).split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "projection, the default when the flag has no value",
        "0 < F ≤ 1 [default: 1, no decay]",
        "--keep-best, and class terms or a decay still to come (--class-loss-from, --lr-decay-from);",
        "and a folder that holds no run (exit 2)",
        "[default: the built-in models/classifier.safetensors, compiled into train]",
        "--cuda-graphs",
    ] {
        assert!(help.contains(needle), "train --help lacks {needle:?}:\n{help}");
    }
}

#[test]
fn resume_of_a_folder_with_no_run_is_refused_at_once() {
    // No MNIST needed: the folder is checked before the data is read.
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("runs/typo");
    for out in [typo.clone(), dir.path().to_path_buf()] {
        let started = std::time::Instant::now();
        let o = train(&out, &["--resume"]).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        println!("--resume --out {}: exit {:?}: {}", out.display(), o.status.code(), err.trim());
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(&out.display().to_string()) && err.contains("holds no run (no config.json)"), "{err}");
        assert!(started.elapsed().as_secs() < 10, "refused before any work");
    }
    assert!(!typo.exists(), "the mistyped folder was created");
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
        eprintln!("this machine has CUDA: the refusal cannot be tested here");
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

/// `--out` on a folder that is not a run is refused (it would overwrite the user's
/// config.json and losses.csv); a leftover of an interrupted write is removed, and said.
#[test]
fn foreign_folders_are_refused_and_leftovers_removed() {
    need_mnist!();
    let dir = tempfile::tempdir().unwrap();
    let foreign = dir.path().join("mine");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("config.json"), "{\"my\": \"settings\"}").unwrap();
    let o = train(&foreign, &["--epochs", "1"]).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("not a run folder"), "{err}");
    assert_eq!(std::fs::read_to_string(foreign.join("config.json")).unwrap(), "{\"my\": \"settings\"}");

    let out = dir.path().join("r");
    ok(train(&out, &["--epochs", "1"]));
    let stale = out.join(".checkpoint.safetensors.tmp4000000"); // no such process
    std::fs::write(&stale, b"half a checkpoint").unwrap();
    let o = ok(train(&out, &["--epochs", "2", "--resume"]));
    assert!(!stale.exists());
    assert!(String::from_utf8_lossy(&o.stderr).contains("left by an interrupted write"));
}

/// Every bad flag or file: exit 2, one line on stderr, no panic, nothing created.
#[test]
fn bad_input_is_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = mnist().unwrap_or_else(|| dir.path().to_path_buf());
    let cases: &[(&[&str], &str)] = &[
        (&["--lr", "-1"], "--lr"),
        (&["--lr", "0"], "--lr"),
        (&["--lr=-1"], "--lr"),
        (&["--beta2", "1"], "--beta2"),
        (&["--beta1-d", "-0.1"], "--beta1-d"),
        (&["--weight-decay", "-1"], "--weight-decay"),
        (&["--threads", "0"], "--threads"),
        (&["--batch-size", "0"], "--batch-size"),
        (&["--epochs", "0"], "--epochs"),
        (&["--seed", "-1"], "--seed"),
        (&["--limit", "0"], "--limit"),
        (&["--ema", "1"], "--ema"),
        (&["--recipe", "magic"], "possible values: tutorial, improved"),
        (&["--conditional", "sideways"], "--conditional"),
        (&["--class-loss", "0", "--conditional"], "--class-loss"),
        (&["--class-loss", "1"], "--conditional projection"),
        (&["--class-loss", "1", "--conditional", "embed"], "--conditional projection"),
        (&["--class-loss-g", "1", "--conditional"], "--class-loss-g needs --class-loss"),
        (&["--class-loss-from", "1", "--conditional"], "--class-loss-from needs --class-loss"),
        (&["--device", "tpu"], "--device"),
        (&["--dataset", "fashion-mnist", "--download"], "apt-get install dataset-fashion-mnist"),
    ];
    let with_data: &[(&[&str], &str)] = &[
        (&["--batch-size", "5000", "--limit", "100"], "fewer than one batch"),
        (&["--label-smoothing", "0.1", "--loss", "hinge"], "--label-smoothing"),
        (&["--keep-best", "--classifier", "/nonexistent/classifier.safetensors"], "classifier"),
    ];
    let cases = [cases, if mnist().is_some() { with_data } else { &[] }].concat();
    for (i, (args, needle)) in cases.iter().enumerate() {
        let out = dir.path().join(format!("run{i}"));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_train"));
        cmd.args(["--threads", "1", "--device", "cpu", "--data"]).arg(&data).arg("--out").arg(&out).args(*args);
        let o = cmd.output().unwrap();
        cli::ci::assert_refused(&format!("{args:?}"), &o, needle);
        assert!(!out.exists(), "{args:?}: nothing is created");
    }
}

/// An --out that cannot be a folder, and a run whose checkpoint is corrupt: exit 2.
#[test]
fn unwritable_folders_and_corrupt_checkpoints_are_refused() {
    need_mnist!();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a folder").unwrap();
    let o = train(&file.join("run"), &["--epochs", "1"]).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    println!("--out under a file -> exit {:?}: {}", o.status.code(), err.trim());
    assert_eq!(o.status.code(), Some(2), "{err}");
    let out = dir.path().join("r");
    ok(train(&out, &["--epochs", "1"]));
    let bytes = std::fs::read(out.join(run::CHECKPOINT)).unwrap();
    std::fs::write(out.join(run::CHECKPOINT), &bytes[..bytes.len() / 3]).unwrap();
    let o = train(&out, &["--epochs", "2", "--resume"]).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    println!("truncated checkpoint -> exit {:?}: {}", o.status.code(), err.trim());
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("checkpoint.safetensors") && err.trim_end().lines().count() == 1, "{err}");
}

/// A checkpoint whose Adam moments or EMA tensors do not fit the networks (a damaged or
/// foreign file) is refused on resume in one line with exit 2, and left as it was.
#[test]
fn a_checkpoint_with_misshapen_moments_is_refused() {
    need_mnist!();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    ok(train(&out, &["--epochs", "1", "--recipe", "improved"]));
    let path = out.join(run::CHECKPOINT);
    let (good, meta) = dcgan::tensors::read(&path).unwrap();
    for (key, needle) in [
        ("adam_g.m.ct1.weight", "G's Adam moments are missing or misshapen"),
        ("adam_d.v.c2.weight", "D's Adam moments are missing or misshapen"),
        ("ema.fc.weight", "the EMA generator is missing or misshapen"),
    ] {
        let mut bent = good.clone();
        assert!(bent.insert(key.into(), dcgan::Tensor::zeros(&[3])).is_some(), "{key} is in the checkpoint");
        dcgan::tensors::write(&path, &bent, &meta).unwrap();
        let o = train(&out, &["--epochs", "2", "--recipe", "improved", "--resume"]).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        println!("{key} of shape [3] -> exit {:?}: {}", o.status.code(), err.trim());
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(needle) && err.trim_end().lines().count() == 1, "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}
