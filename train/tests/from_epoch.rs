//! Knobs that start at an epoch of their own: `--class-loss-from` (class terms that join
//! a run at a later epoch) and `--lr-decay-from` (a decay that starts late). The epochs
//! before it train bit for bit as a run without the knob, so a resume may add it while it
//! is still to come, and the run that makes is the run the same flags make from the
//! start. Once a knob has started it is locked like every other setting.

#![allow(clippy::unwrap_used)] // helpers of tests: a panic is the failure report

mod common;

use std::path::Path;

use common::{checkpoint, ok, train};

/// The shipped conditional recipe (a projection D: the class terms need its table).
const CONDITIONAL: [&str; 6] = ["--recipe", "improved", "--loss", "bce", "--conditional", "projection"];
/// The class terms, joining at epoch 2.
const TERMS: [&str; 6] = ["--class-loss", "1", "--class-loss-g", "0.5", "--class-loss-from", "2"];

/// `train` on `out` with `flags` must refuse (exit 2), saying each of `needles`.
fn refused(out: &Path, flags: &[&[&str]], needles: &[&str]) {
    let flags = flags.concat();
    let o = train(out, &flags).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{flags:?}: {err}");
    for needle in needles {
        assert!(err.contains(needle), "{flags:?}: no {needle:?} in {err}");
    }
}

/// Largest |Δ| over every tensor of two checkpoints, and whether their metadata (epoch,
/// step, RNG, Adam steps, config digest) agree.
fn difference(a: &Path, b: &Path) -> (f32, bool) {
    let ((ta, ma), (tb, mb)) = (checkpoint(a), checkpoint(b));
    assert_eq!(ta.len(), tb.len());
    let worst = ta.iter().map(|(k, v)| v.max_abs_diff(&tb[k])).fold(0.0, f32::max);
    (worst, ma == mb)
}

#[test]
fn class_terms_join_a_run_only_after_its_checkpoint_and_then_match_a_run_with_them_from_the_start() {
    need_mnist!();
    let dir = tempfile::tempdir().unwrap();
    let (joined, from_start, plain) =
        (dir.path().join("joined"), dir.path().join("from-start"), dir.path().join("plain"));
    ok(train(&joined, &[&CONDITIONAL[..], &["--epochs", "1"]].concat()));
    let o = ok(train(&from_start, &[&CONDITIONAL[..], &TERMS, &["--epochs", "1"]].concat()));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("no epoch trains with the class terms until --epochs is raised past 1")
    );

    // Terms still to come change nothing trained: epoch 1 is the plain run's, bit for bit.
    let (worst, same_meta) = difference(&joined, &from_start);
    println!("epoch 1, terms from epoch 2 vs none: max |Δ| {worst:e} over the checkpoint (required: 0)");
    assert!(worst == 0.0 && same_meta, "terms still to come changed epoch 1 (max |Δ| {worst:e})");

    // Terms that would act on epoch 1 are refused, saying from when they may join.
    for terms in [&["--class-loss", "1"][..], &["--class-loss", "1", "--class-loss-from", "1"]] {
        refused(&joined, &[&["--resume", "--epochs", "2"], terms], &["cannot resume", "from epoch 2 on"]);
    }

    // Joined on resume, the run is the one the flags make from the start.
    ok(train(&joined, &[&["--resume", "--epochs", "2"], &TERMS[..]].concat()));
    ok(train(&from_start, &["--resume", "--epochs", "2"]));
    ok(train(&plain, &[&CONDITIONAL[..], &["--epochs", "2"]].concat()));
    let (worst, same_meta) = difference(&joined, &from_start);
    let (acted, _) = difference(&joined, &plain);
    println!(
        "epoch 2: terms joined on resume vs from the start: max |Δ| {worst:e} (required: 0); vs no terms: {acted:e} (required: > 0)"
    );
    assert!(worst == 0.0 && same_meta, "joining on resume is not the run with the terms from the start");
    assert!(acted > 0.0, "the terms did not act in epoch 2");
    let config = |run: &Path| std::fs::read_to_string(run.join(dcgan::run::CONFIG)).unwrap();
    assert_eq!(config(&joined), config(&from_start));

    // Once they have acted, they are locked.
    for (flag, value) in [("--class-loss", "2"), ("--class-loss-g", "0.7"), ("--class-loss-from", "3")] {
        refused(
            &joined,
            &[&["--resume", "--epochs", "3", flag, value]],
            &[&format!("{flag} is {value}"), "cannot resume"],
        );
    }
}

/// A decay from epoch 2 trains epochs 1 and 2 at the full rates and epoch 3 at half.
const DECAY: [&str; 4] = ["--lr-decay", "0.5", "--lr-decay-from", "2"];

#[test]
fn a_decay_joins_a_run_only_after_its_checkpoint_and_then_matches_a_run_with_it_from_the_start() {
    need_mnist!();
    let dir = tempfile::tempdir().unwrap();
    let (joined, from_start, plain) =
        (dir.path().join("joined"), dir.path().join("from-start"), dir.path().join("plain"));
    ok(train(&joined, &["--epochs", "1"]));
    ok(train(&from_start, &[&DECAY[..], &["--epochs", "1"]].concat()));
    let (worst, same_meta) = difference(&joined, &from_start);
    println!("epoch 1, decay from epoch 2 vs none: max |Δ| {worst:e} over the checkpoint (required: 0)");
    assert!(worst == 0.0 && same_meta, "a decay still to come changed epoch 1 (max |Δ| {worst:e})");

    // A decay from epoch 1 would have acted on the trained epoch (so do --lr-decay-from 1 or no --lr-decay-from).
    for decay in [&["--lr-decay", "0.5"][..], &["--lr-decay", "0.5", "--lr-decay-from", "1"]] {
        refused(&joined, &[&["--resume", "--epochs", "3"], decay], &["cannot resume", "--lr-decay-from 2"]);
    }
    // And it says so when given without a decay to start.
    refused(&joined, &[&["--resume", "--epochs", "3", "--lr-decay-from", "2"]], &["--lr-decay-from needs --lr-decay"]);

    let o = ok(train(&joined, &[&["--resume", "--epochs", "3"], &DECAY[..]].concat()));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("the learning-rate decay now --lr-decay 0.5 --lr-decay-from 2")
    );
    // Epoch 2, the decay's first, trains at the full rates: the plain run's, bit for bit.
    ok(train(&from_start, &["--resume", "--epochs", "2"]));
    ok(train(&plain, &["--epochs", "2"]));
    let (worst, _) = difference(&from_start, &plain);
    println!("epoch 2, decay from epoch 2 vs none: max |Δ| {worst:e} over the checkpoint (required: 0)");
    assert!(worst == 0.0, "the decay's first epoch is not at the full rates (max |Δ| {worst:e})");
    ok(train(&from_start, &["--resume", "--epochs", "3"]));
    ok(train(&plain, &["--resume", "--epochs", "3"]));
    let (worst, same_meta) = difference(&joined, &from_start);
    let (acted, _) = difference(&joined, &plain);
    println!(
        "epoch 3: decay joined on resume vs from the start: max |Δ| {worst:e} (required: 0); vs no decay: {acted:e} (required: > 0)"
    );
    assert!(worst == 0.0 && same_meta, "joining on resume is not the run with the decay from the start");
    assert!(acted > 0.0, "the decay did not act in epoch 3");

    for (flag, value) in [("--lr-decay", "0.6"), ("--lr-decay-from", "3")] {
        refused(
            &joined,
            &[&["--resume", "--epochs", "4", flag, value]],
            &[&format!("{flag} is {value}"), "cannot resume"],
        );
    }
}
