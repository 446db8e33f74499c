//! The trainer against PyTorch, numerically: the first steps of `train` for each shipped
//! recipe, traced (`--trace-steps`) and replayed by tests/python/trainer_vs_torch.py
//! with PyTorch's own pieces from the same weights, batches, labels and latents. Each
//! replay also runs with deliberate mistakes in the terms that recipe uses, which must
//! land far outside the tolerances (the script's MISTAKE_FACTOR), so a comparison that
//! cannot see a term fails here.

#![allow(clippy::unwrap_used)] // helpers of tests: a panic is the failure report

use std::path::PathBuf;
use std::process::Command;

/// Steps traced and replayed per recipe.
const STEPS: &str = "5";

/// Trace `flags` on 512 MNIST images, replay it in PyTorch, and require the faithful
/// replay to agree and every one of `mistakes` to be caught.
fn replay(flags: &[&str], mistakes: &str) {
    replay_steps(flags, mistakes, "512", STEPS);
}

/// [`replay`] of the first `steps` steps on the first `limit` images.
fn replay_steps(flags: &[&str], mistakes: &str, limit: &str, steps: &str) {
    let mnist = cli::ci::mnist();
    if !cli::ci::require("MNIST (MNIST_DIR)", mnist.is_some()) {
        return;
    }
    let Some(python) = cli::ci::need_python("PyTorch's Python (scripts/setup.sh)") else { return };
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.safetensors");
    let o = Command::new(env!("CARGO_BIN_EXE_train"))
        .args(["--limit", limit, "--threads", "1", "--device", "cpu", "--seed", "5", "--data"])
        .arg(mnist.unwrap())
        .args(flags)
        .args(["--trace-steps", steps, "--trace"])
        .arg(&trace)
        .arg("--out")
        .arg(dir.path().join("r"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/python/trainer_vs_torch.py");
    let o = Command::new(&python).arg(script).arg(&trace).args(["--mistakes", mistakes]).output().unwrap();
    println!("train {}", flags.join(" "));
    print!("{}", String::from_utf8_lossy(&o.stdout));
    eprint!("{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(0), "the trainer and PyTorch disagree, or a mistake went unseen");
}

#[test]
fn the_tutorial_recipe_matches_pytorch() {
    replay(&[], "beta1-d,no-l2");
}

/// The recipe of the shipped `models/gen.onnx`: EMA 0.999, TTUR, R1 γ=1, hinge.
#[test]
fn the_improved_recipe_matches_pytorch() {
    replay(&["--recipe", "improved"], "hinge-margin,ema-warmup,ema-bn");
}

/// R1 where it matters within the traced steps. At the shipped γ = 1 and D's initial
/// weights, the penalty's gradient is so small next to the loss's that Adam's
/// normalisation leaves D's first updates almost unchanged: a wrong sign or factor moves
/// them by only 4–5 times the tolerance (measured), too close to call. At γ = 100 the
/// term dominates and its mistakes land hundreds of times outside.
#[test]
fn the_r1_penalty_matches_pytorch() {
    replay(&["--recipe", "improved", "--r1", "100"], "r1-sign,r1-gamma");
}

/// The base recipe of the shipped `models/gen-cond.onnx` (its epochs 1–22): improved with
/// BCE, projection head.
#[test]
fn the_conditional_projection_recipe_matches_pytorch() {
    replay(&["--recipe", "improved", "--loss", "bce", "--conditional", "projection"], "label-shift,ema-bn");
}

/// The per-digit map head, with a decay small enough to bind within the traced steps
/// (the warm-up caps decay at (1+t)/(10+t) ≤ 0.4 for t ≤ 5, which hides 0.999 vs 0.99).
#[test]
fn the_conditional_embed_head_matches_pytorch() {
    replay(&["--recipe", "improved", "--conditional", "embed", "--ema", "0.2"], "label-shift,ema-decay");
}

/// DiffAugment's translation and cutout on the improved recipe: each image's shift and
/// square, and where they apply (D's real batch, the fakes of D's step and of G's).
#[test]
fn the_augmentations_match_pytorch() {
    replay(&["--recipe", "improved", "--augment", "translation,cutout"], "shift-sign,cutout-fill,augment-g-step");
}

/// `--class-loss` and `--class-loss-g` on the shipped conditional recipe: the projection
/// table's class scores trained as a classifier on real images in D's step and on the
/// asked digits in G's.
/// At W = 1 its mistakes land about 690 (D's term left out) and 40 (G's against the
/// wrong digits) times outside the tolerance (measured).
#[test]
fn the_class_loss_matches_pytorch() {
    replay(&CLASS_LOSS, "class-d-off,class-g-labels");
}

/// The shipped conditional recipe with both class terms at W = 1.
const CLASS_LOSS: [&str; 10] = [
    "--recipe",
    "improved",
    "--loss",
    "bce",
    "--conditional",
    "projection",
    "--class-loss",
    "1",
    "--class-loss-g",
    "1",
];

/// Knobs that start at an epoch of their own, on a trace that crosses epochs (200
/// images: 2 steps an epoch, 6 steps over 3 epochs): the class terms from epoch 2, and a
/// learning-rate decay from epoch 2 that trains epoch 3 at a tenth of the rates, steep
/// enough that a decay one epoch early lands far outside the tolerance (measured: about
/// 3600 times; the class terms one epoch early about 400 times).
#[test]
fn knobs_that_start_at_an_epoch_match_pytorch() {
    let from_2 = ["--class-loss-from", "2", "--lr-decay", "0.1", "--lr-decay-from", "2"];
    replay_steps(&[&CLASS_LOSS[..], &from_2].concat(), "class-from,decay-from", "200", "6");
}
