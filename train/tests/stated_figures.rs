//! The quality figures the README and the model card state about the shipped files are
//! what `eval` measures of them now (10000 samples of seed 0, the figures' own
//! settings, and of seeds 0–4 for the card's spreads: about 100 s on 2 cores), and what
//! `models/eval.json` and `models/cond/eval.json` recorded. Shipping a new generator
//! without new figures fails here.

#![allow(clippy::unwrap_used)] // a panic is the failure report

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// How far a figure may move between machines: tract's float32 sums run in another
/// order on other SIMD widths (a fresh `eval` here differs from the recorded JSON by
/// about 5e-7).
const MEASURE_TOLERANCE: f64 = 1e-4;

fn models() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models")
}

/// `eval --onnx models/NAME` with its defaults and `extra`, as its JSON.
fn measure(mnist: &Path, dir: &Path, name: &str, extra: &[&str]) -> Value {
    let out = dir.join(format!("{name}.json"));
    let o = Command::new(env!("CARGO_BIN_EXE_eval"))
        .args(["--onnx", cli::ci::arg(&models().join(name)), "--out", cli::ci::arg(&out)])
        .args(extra)
        .env("MNIST_DIR", mnist)
        .output()
        .unwrap();
    assert!(o.status.success(), "eval {name}: {}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap()
}

fn figure(json: &Value, path: &[&str]) -> f64 {
    path.iter().fold(json, |v, key| &v[key]).as_f64().unwrap_or_else(|| panic!("no number at {path:?}"))
}

/// At every place `prefix` stands in `text` (whitespace-normalised), the first `count`
/// numbers after it, each with half a unit of its last printed digit: "**1.951**,"
/// gives (1.951, 0.0005).
fn stated(text: &str, prefix: &str, count: usize) -> Vec<Vec<(f64, f64)>> {
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let places: Vec<Vec<(f64, f64)>> = words
        .match_indices(prefix)
        .map(|(at, _)| {
            let numbers: Vec<(f64, f64)> = words[at + prefix.len()..]
                .split(' ')
                .map(|w| w.trim_matches(|c: char| "*()%,;:|`".contains(c)).trim_end_matches('.'))
                .filter_map(cli::ci::stated_number)
                .take(count)
                .collect();
            assert_eq!(numbers.len(), count, "`{prefix}` is followed by fewer than {count} numbers");
            numbers
        })
        .collect();
    assert!(!places.is_empty(), "`{prefix}` is not in the text any more");
    places
}

#[test]
fn the_stated_quality_figures_are_what_eval_measures() {
    let mnist = cli::ci::mnist();
    if !cli::ci::require("MNIST (MNIST_DIR)", mnist.is_some()) {
        return;
    }
    let (mnist, dir) = (mnist.unwrap(), tempfile::tempdir().unwrap());
    // Five seeds for the card's spreads; the first is seed 0, eval's default.
    let seeds = ["--seeds", "5"];
    let fp32 = measure(&mnist, dir.path(), "gen.onnx", &seeds);
    let int8 = measure(&mnist, dir.path(), "gen.int8.onnx", &[]);
    let cond = measure(&mnist, dir.path(), "gen-cond.onnx", &seeds);

    let kept = [["generator", "frechet"], ["generator", "frechet_report"], ["generator", "coverage"]];
    let kept = kept.iter().chain(&[["generator", "confidence"], ["floor", "frechet_report"]]);
    for (fresh, file) in [(&fp32, "eval.json"), (&cond, "cond/eval.json")] {
        let recorded: Value = serde_json::from_slice(&std::fs::read(models().join(file)).unwrap()).unwrap();
        for path in kept.clone() {
            let (now, then) = (figure(fresh, path), figure(&recorded, path));
            println!(
                "models/{file} {path:?}: recorded {then:.6}, measured {now:.6} (tolerance {MEASURE_TOLERANCE:.0e})"
            );
            assert!((now - then).abs() <= MEASURE_TOLERANCE, "models/{file} {path:?}: {then} recorded, {now} measured");
        }
    }

    let read = |file: &str| std::fs::read_to_string(models().join(file)).unwrap();
    let (readme, card) = (read("../README.md"), read("MODEL_CARD.md"));
    let g = |json: &Value, key: &str| figure(json, &["generator", key]);
    let floor = |key: &str| figure(&fp32, &["floor", key]);
    let accuracy = 100.0 * figure(&fp32, &["classifier", "test_accuracy"]);
    #[rustfmt::skip]
    let mut claims: Vec<(&str, &str, Vec<f64>)> = vec![
        ("README", "On the other half its Fréchet distance is", vec![g(&fp32, "frechet_report"), floor("frechet_report")]),
        ("README", "shipped generator in int8: its Fréchet distance on the odd half is", vec![g(&int8, "frechet_report"), g(&fp32, "frechet_report")]),
        ("README", "compiled into `eval` (", vec![accuracy]),
        ("MODEL_CARD", "(a small CNN,", vec![accuracy]),
        ("MODEL_CARD", "| **`gen.onnx`** (improved recipe, epoch 43) |",
            vec![g(&fp32, "frechet"), g(&fp32, "frechet_report"), g(&fp32, "coverage"), g(&fp32, "confidence")]),
        ("MODEL_CARD", "| `gen.onnx` (unconditional, improved recipe) |",
            vec![g(&fp32, "frechet"), g(&fp32, "frechet_report"), g(&fp32, "coverage"), g(&fp32, "confidence")]),
        ("MODEL_CARD", "| MNIST train (floor) |",
            vec![floor("frechet"), floor("frechet_report"), floor("coverage"), floor("confidence")]),
        ("MODEL_CARD", "10000 samples, odd half: Fréchet",
            vec![g(&int8, "frechet_report"), g(&fp32, "frechet_report"), g(&int8, "coverage"), g(&int8, "confidence"), g(&fp32, "confidence")]),
        ("MODEL_CARD", "| **`gen-cond.onnx`** (epoch 26) |",
            vec![g(&cond, "frechet"), g(&cond, "frechet_report"), g(&cond, "coverage"), g(&cond, "confidence"),
                 figure(&cond, &["generator", "label_accuracy", "overall"])]),
    ];
    let spread =
        |json: &Value, key: &str| [figure(json, &["spread", key, "mean"]), figure(json, &["spread", key, "sd"])];
    let mut seed_to_seed = spread(&fp32, "frechet").to_vec();
    seed_to_seed.extend(spread(&fp32, "frechet_report").into_iter().chain(spread(&cond, "frechet_report")));
    claims.push(("MODEL_CARD", "Over latent seeds 0–4 (`eval --seeds 5`), mean ± standard deviation:", seed_to_seed));
    // The sample counts the README gives for eval's and --keep-best's measurements.
    let (count, real) = (g(&fp32, "count"), floor("count"));
    let per_digit = g(&cond, "count") / 10.0;
    let keep_best = train::keep_best::EVAL_SAMPLES as f64;
    claims.extend([
        ("README", "--onnx models/gen.onnx ``` draws", vec![count]),
        ("README", "top-class confidence, beside the same numbers for", vec![real]),
        ("README", "label accuracy, overall and per digit (", vec![per_digit]),
        ("README", "measures the sampled generator after every epoch (", vec![keep_best]),
    ]);
    // Per-digit lines, "0: 1.000, 1: 0.997, …; 98.95% overall": digit, figure, …, percent.
    let digits = |accuracy: &Value| -> Vec<f64> {
        let per = accuracy["per_digit"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap());
        let mut numbers: Vec<f64> = per.enumerate().flat_map(|(d, v)| [d as f64, v]).collect();
        numbers.push(100.0 * accuracy["overall"].as_f64().unwrap());
        numbers
    };
    claims.extend([
        (
            "MODEL_CARD",
            "Label accuracy per asked digit (1000 samples each, seed 0):",
            digits(&cond["generator"]["label_accuracy"]),
        ),
        (
            "MODEL_CARD",
            "Real MNIST test digits, read by the same classifier, reach",
            digits(&cond["classifier"]["test_label_accuracy"]),
        ),
    ]);
    for (file, prefix, measured) in &claims {
        let text = if *file == "README" { &readme } else { &card };
        for ((value, half_unit), now) in
            stated(text, prefix, measured.len()).into_iter().flat_map(|p| p.into_iter().zip(measured))
        {
            let tolerance = half_unit + MEASURE_TOLERANCE;
            println!(
                "{file} `{prefix}` {value}: measured {now:.6}, |Δ| {:.1e} (tolerance {tolerance:.1e})",
                (value - now).abs()
            );
            assert!((value - now).abs() <= tolerance, "{file} states {value} after `{prefix}`; eval measures {now:.6}");
        }
    }
}
