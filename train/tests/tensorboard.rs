//! `train`'s TensorBoard event files, read back with TensorBoard's own reader
//! (tests/python/tensorboard_events.py): every `losses.csv` value under its tag at its
//! step, each sample grid as an image, and a resumed run without duplicates.

#![allow(clippy::unwrap_used)] // a panic is the failure report

use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};
use train::losses;
use train::tensorboard::{SAMPLES, SCALARS};

/// What losses.csv's rounding leaves of each tag's value (half its last printed place:
/// 6 decimals for the losses and D's outputs, 1 for images/s, 4 for quality figures);
/// TensorBoard holds the unrounded value as float32, which adds [`F32_RELATIVE`].
const CSV_ROUNDING: [f64; 10] = [5e-7, 5e-7, 5e-7, 5e-7, 0.05, 5e-5, 5e-5, 5e-5, 5e-5, 5e-5];
/// float32's relative rounding.
const F32_RELATIVE: f64 = 6e-8;

fn train_cmd(mnist: &Path, out: &Path, epochs: &str, extra: &[&str]) {
    let o = Command::new(env!("CARGO_BIN_EXE_train"))
        .args(["--limit", "256", "--threads", "1", "--device", "cpu", "--seed", "5", "--data"])
        .arg(mnist)
        .args(["--epochs", epochs, "--out"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(o.status.success(), "train failed: {}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn tensorboard_reads_every_logged_value_and_grid() {
    let mnist = cli::ci::mnist();
    if !cli::ci::require("MNIST (MNIST_DIR)", mnist.is_some()) {
        return;
    }
    let Some(python) = cli::ci::need_python("TensorBoard's Python package (scripts/setup.sh)") else { return };
    let (mnist, dir) = (mnist.unwrap(), tempfile::tempdir().unwrap());
    let out = dir.path().join("r");
    // 1 epoch, then a resume to 2 (with a quality measurement each epoch): the resumed
    // run must add epoch 2 only.
    let eval = ["--eval-every", "1", "--eval-samples", "200"];
    train_cmd(&mnist, &out, "1", &eval);
    train_cmd(&mnist, &out, "2", &[&["--resume"], &eval[..]].concat());

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/python/tensorboard_events.py");
    let o = Command::new(&python).arg(script).arg(&out).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let read: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();

    let rows = losses::read_losses(&out, 2);
    let mut worst = 0f64;
    for (i, tag) in SCALARS.iter().enumerate() {
        let csv: Vec<(i64, f64)> = rows
            .iter()
            .filter_map(|r| {
                let v = [r.loss_d, r.loss_g, r.d_real, r.d_fake, r.images_per_s].map(Some);
                let measured = [r.frechet, r.frechet_report, r.coverage, r.confidence, r.label_accuracy];
                v.into_iter().chain(measured).nth(i).flatten().map(|v| (r.step, v))
            })
            .collect();
        let events: Vec<(i64, f64)> = read["scalars"][tag]
            .as_array()
            .map(|a| a.iter().map(|e| (e[0].as_i64().unwrap(), e[1].as_f64().unwrap())).collect())
            .unwrap_or_default();
        let steps = |v: &[(i64, f64)]| v.iter().map(|(s, _)| *s).collect::<Vec<_>>();
        assert_eq!(steps(&events), steps(&csv), "`{tag}`: the steps of losses.csv, once each");
        for ((_, a), (_, b)) in events.iter().zip(&csv) {
            // In units of the tolerance: ≤ 1 passes.
            worst = worst.max((a - b).abs() / (CSV_ROUNDING[i] + F32_RELATIVE * b.abs()));
        }
    }
    let tags = read["scalars"].as_object().map_or(0, |t| t.len());
    println!(
        "{} rows, {tags} scalar tags: worst |Δ| vs losses.csv {worst:.2} of its tolerance \
         (CSV rounding {CSV_ROUNDING:?} + float32 {F32_RELATIVE:.0e}·|v|)",
        rows.len()
    );
    assert!(worst <= 1.0);

    let images = read["images"][SAMPLES].as_array().unwrap();
    assert_eq!(images.len(), 2, "one grid per epoch");
    for (epoch, image) in (1..=2).zip(images) {
        let png = std::fs::read(train::artifacts::samples_png(&out, epoch)).unwrap();
        let (w, h) = image::image_dimensions(train::artifacts::samples_png(&out, epoch)).unwrap();
        let last_step = rows.iter().filter(|r| r.epoch == epoch).map(|r| r.step).max().unwrap();
        assert_eq!(image[0].as_i64(), Some(last_step));
        assert_eq!((image[1].as_u64(), image[2].as_u64()), (Some(w.into()), Some(h.into())));
        assert_eq!(
            image[3].as_str().unwrap(),
            format!("{:x}", Sha256::digest(&png)),
            "epoch {epoch}'s grid, byte for byte"
        );
    }
}
