//! The `train` binary end to end on a few hundred images: artifacts, determinism,
//! exact resume, refused resumes, signals and SIGKILL at any moment.

#![allow(clippy::unwrap_used)] // helpers of tests: a panic is the failure report

use std::path::{Path, PathBuf};

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use dcgan::run;

const IMAGES: &str = "512";

fn mnist() -> Option<PathBuf> {
    cli::ci::mnist()
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
        if !cli::ci::require("MNIST (MNIST_DIR)", mnist().is_some()) {
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
        "lr_decay" => "0.9",
        "conditional" => "projection",
        other => panic!("locked setting `{other}` has no other value in this test"),
    };
    let fields: Vec<&str> = dcgan::TrainConfig::locked_flags().collect();
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
        "--sample-every, --eval-every, --keep-best;",
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

fn signal(child: &std::process::Child, sig: &str) {
    let status = Command::new("kill").args([sig, &child.id().to_string()]).status().unwrap();
    assert!(status.success());
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
    signal(&child, "-INT");
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
    signal(&child, "-TERM");
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
}

/// The recipe's state (the EMA generator, R1, two learning rates, and here the BCE loss
/// with label smoothing and a decaying rate instead of the hinge loss) resumes bit for
/// bit, like the tutorial's.
#[test]
fn a_recipe_run_resumes_exactly() {
    need_mnist!();
    let dir = tempfile::tempdir().unwrap();
    let (straight, split) = (dir.path().join("a"), dir.path().join("b"));
    let recipe = ["--recipe", "improved", "--loss", "bce", "--lr-decay", "0.9", "--label-smoothing", "0.1"];
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
