//! The `train` binary end to end on a few hundred images: artifacts, determinism,
//! exact resume (of every recipe and the conditional model), the Fréchet distance
//! recorded per epoch.

#![allow(clippy::unwrap_used)] // helpers of tests: a panic is the failure report

mod common;

use common::{IMAGES, checkpoint, loss_columns, mnist, ok, train};
use dcgan::run;

#[test]
fn one_epoch_writes_every_artifact() {
    need_mnist!();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = ok(train(&out, &["--epochs", "1"]));
    let (said, log) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(said.contains("trained 1 epoch"));
    // The epoch's line and the closing line give the same training throughput.
    let epoch_rate =
        log.lines().find(|l| l.starts_with("epoch 1/1")).and_then(|l| l.split("  ").find(|f| f.ends_with(" img/s")));
    let closing_rate = said.split(" at ").nth(1).and_then(|r| r.split(" images/s").next());
    println!("epoch line: {epoch_rate:?}; closing line: {closing_rate:?}");
    assert_eq!(epoch_rate.map(|r| r.trim_end_matches(" img/s")), closing_rate, "{log}{said}");
    // The first epoch says its pictures start as noise, and when digits appear.
    assert!(log.contains("start as grey noise or blobs; digit shapes take about 1200 steps"), "{log}");
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
        "samples/progress.gif",
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
    for file in [run::GENERATOR, run::DISCRIMINATOR, run::CHECKPOINT] {
        let same = std::fs::read(straight.join(file)).unwrap() == std::fs::read(again.join(file)).unwrap();
        assert!(same, "{file}: two identical runs write identical bytes");
    }

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

/// `--resume` without `--epochs` keeps the run's planned epochs (a finished run stays
/// finished, config.json unchanged); `--epochs` changes them, and says so.
#[test]
fn resume_keeps_the_planned_epochs_unless_told() {
    need_mnist!();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    ok(train(&out, &["--epochs", "1"]));
    let config = std::fs::read(out.join(run::CONFIG)).unwrap();
    let o = ok(train(&out, &["--resume"]));
    let said = String::from_utf8_lossy(&o.stderr);
    println!("resume without --epochs: {}", said.trim());
    assert!(said.contains("already trained for 1 epoch (--epochs 1)"), "{said}");
    assert_eq!(std::fs::read(out.join(run::CONFIG)).unwrap(), config, "config.json is unchanged");
    let o = ok(train(&out, &["--resume", "--epochs", "2"]));
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(said.contains("planned epochs changed from 1 to 2 (--epochs)"), "{said}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("trained 1 epoch"));
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
    let c = path.to_str().unwrap();
    ok(train(&out, &["--epochs", "2", "--eval-every", "2", "--eval-samples", "500", "--classifier", c]));
    let text = std::fs::read_to_string(out.join(run::LOSSES)).unwrap();
    let last: Vec<&str> = text.lines().collect();
    assert!(last[0].starts_with("epoch,step,") && last[0].contains(",frechet,frechet_report,"));
    assert_eq!(last[1].split(',').nth(8), Some(""), "epoch 1 is not evaluated");
    let distance: f64 = last[2].split(',').nth(8).unwrap().parse().unwrap();
    println!("Fréchet distance after 2 epochs on {IMAGES} images: {distance:.2}");
    assert!(distance.is_finite() && distance > 0.0);

    // --keep-best: best/ holds the generator of the best epoch, which exports and
    // self-checks like any run.
    let best = dir.path().join("b");
    ok(train(&best, &["--epochs", "2", "--keep-best", "--eval-samples", "500", "--classifier", c]));
    let chosen: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(best.join("best/best.json")).unwrap()).unwrap();
    println!(
        "best/ holds epoch {} (choose half {:.2}, report half {:.2})",
        chosen["epoch"], chosen["frechet_choose"], chosen["frechet_report"]
    );
    let report =
        export::export(&best.join("best"), &dir.path().join("best.onnx"), export::What::Generator, export::Bn::Folded)
            .unwrap();
    println!("export --run best/: self-check max |Δ| = {:.2e}", report.max_diff);
    // A resume without --keep-best says that best/ stops following the run.
    let o = ok(train(&best, &["--epochs", "3", "--resume"]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("keeps its best epoch in best/") && err.contains("no --keep-best"), "{err}");
}

/// The recipe's state (the EMA generator, R1, two learning rates, and here the BCE loss
/// with label smoothing, a decaying rate instead of the hinge loss, and both
/// augmentations, whose draws come from the run's RNG) resumes bit for bit, like the
/// tutorial's.
#[test]
fn a_recipe_run_resumes_exactly() {
    need_mnist!();
    let dir = tempfile::tempdir().unwrap();
    let (straight, split) = (dir.path().join("a"), dir.path().join("b"));
    let recipe = [
        "--recipe",
        "improved",
        "--loss",
        "bce",
        "--lr-decay",
        "0.9",
        "--label-smoothing",
        "0.1",
        "--augment",
        "cutout,translation",
    ];
    ok(train(&straight, &[&recipe[..], &["--epochs", "2"]].concat()));
    ok(train(&split, &[&recipe[..], &["--epochs", "1"]].concat()));
    ok(train(&split, &["--epochs", "2", "--resume"]));
    let ((a, _), (b, _)) = (checkpoint(&straight), checkpoint(&split));
    assert!(a.keys().any(|k| k.starts_with("ema.")), "the EMA generator is checkpointed");
    for (name, t) in &a {
        assert!(t.data == b[name].data, "{name} differs between 2 epochs and 1 + resumed 1");
    }
    assert_eq!(loss_columns(&straight), loss_columns(&split));
    let config: dcgan::TrainConfig =
        serde_json::from_str(&std::fs::read_to_string(straight.join(run::CONFIG)).unwrap()).unwrap();
    assert_eq!(
        (config.hyper.recipe.ema, config.hyper.recipe.r1, config.recipe.as_deref()),
        (Some(0.999), Some(1.0), Some("improved"))
    );
    // A set, recorded in the order the step applies it.
    assert_eq!(config.hyper.recipe.augment, [dcgan::config::Augment::Translation, dcgan::config::Augment::Cutout]);
    // The flags a recipe stands for are locked like any other.
    let o = train(&split, &["--epochs", "3", "--resume", "--ema", "0.99"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--ema"));
    // generator.safetensors holds the EMA, and the export says so.
    let onnx = dir.path().join("g.onnx");
    export::export(&straight, &onnx, export::What::Generator, export::Bn::Folded).unwrap();
    let info = dcgan_infer::model_check::check(&std::fs::read(&onnx).unwrap()).unwrap();
    assert_eq!(info.metadata.get("weights").map(String::as_str), Some("ema(0.999)"));
}

/// `--conditional`: a 10×10 sample grid (row r = digit r), a resume that needs no flag,
/// and an export whose self-check feeds the probe's labels.
#[test]
fn a_conditional_run_trains_resumes_and_exports() {
    need_mnist!();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("c");
    ok(train(&out, &["--epochs", "1", "--conditional"]));
    ok(train(&out, &["--epochs", "2", "--resume"]));
    let o = train(&out, &["--epochs", "3", "--resume", "--conditional", "embed"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--conditional"), "{}", String::from_utf8_lossy(&o.stderr));
    let grid = image::open(out.join("samples/epoch_002.png")).unwrap();
    let caption = train::artifacts::CAPTION_HEIGHT;
    assert_eq!((grid.width(), grid.height()), (10 * 30 + 2, 10 * 30 + 2 + caption), "a captioned 10×10 grid");
    // The progress GIF: one frame per epoch, each the captioned grid of its epoch.
    use image::AnimationDecoder;
    let gif = std::io::BufReader::new(std::fs::File::open(out.join("samples/progress.gif")).unwrap());
    let frames = image::codecs::gif::GifDecoder::new(gif).unwrap().into_frames().collect_frames().unwrap();
    println!("progress.gif: {} frames", frames.len());
    assert_eq!(frames.len(), 2, "a frame per epoch");
    for (i, frame) in frames.iter().enumerate() {
        let png = image::open(out.join(format!("samples/epoch_{:03}.png", i + 1))).unwrap().to_luma8();
        let first = image::DynamicImage::ImageRgba8(frame.buffer().clone()).to_luma8();
        assert!(first == png, "frame {i} is not epoch {}'s captioned picture", i + 1);
    }
    let onnx = dir.path().join("c.onnx");
    let r = export::export(&out, &onnx, export::What::Generator, export::Bn::Folded).unwrap();
    println!("conditional export: self-check max |Δ| = {:.2e}", r.max_diff);
    let g = dcgan_infer::Generator::builder().onnx(&onnx).backend(dcgan_infer::Backend::Tract).build().unwrap();
    assert_eq!(g.info().num_classes, Some(10));
    assert_eq!(g.info().metadata.get("conditional").map(String::as_str), Some("true"));
    assert!(g.generate_digits(dcgan_infer::Seed(1), &[3, 1, 4]).is_ok());
    assert!(g.generate_digits(dcgan_infer::Seed(1), &[10]).is_err());
}
