//! The training run: set up (options, data, state), then per epoch train, measure,
//! write the artifacts and, last, the checkpoint.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use dcgan::arch::IMAGE_PIXELS;
use dcgan::{SplitMix64, TrainConfig};
use tch::Device;

use crate::adam::Adam;
use crate::artifacts::{self, SampleNoise};
use crate::checkpoint::{self, Checkpoint, Host, Progress, State};
use crate::data::{self, Split};
use crate::device::{device_name, parse_device};
use crate::ema::Ema;
use crate::graphed::Graphs;
use crate::keep_best::{Best, Evaluator};
use crate::losses::{self, LossRow};
use crate::model::Net;
use crate::options::{self, Options};
use crate::progress::{early_samples_note, plural, report_epoch};
use crate::step::EpochLoop;
use crate::tensorboard;
use crate::{Error, download, interrupted, io_err};

/// What a finished run reports.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The run folder.
    pub out: PathBuf,
    /// Epochs completed in total.
    pub epochs: usize,
    /// Epochs trained by this call.
    pub trained: usize,
    /// Images per second of this call's training steps (what each epoch's line says).
    pub images_per_s: f64,
    /// Images per second of this call with sampling, evaluation and checkpoints.
    pub overall_images_per_s: f64,
    /// The device used.
    pub device: String,
    /// The epoch `best/` holds (`--keep-best`).
    pub best: Option<Best>,
}

/// Train as `opts` says, leaving a run folder in `opts.out`.
///
/// `stop` is set to a signal number (SIGINT, SIGTERM) by the caller's handler; the loop
/// checks it after every step and between the epoch-end phases, and on a stop returns
/// [`Error::Interrupted`] with the last epoch checkpoint whole.
pub fn run(opts: &Options, stop: &AtomicUsize) -> Result<Summary, Error> {
    let Setup { opts, device, dir, config, scaled, labels, mut state, mut rows, graphs } = setup(opts, stop)?;
    let out = &opts.out;
    let title = out.file_name().map_or_else(|| out.display().to_string(), |n| n.to_string_lossy().into_owned());
    let first_epoch = state.progress.epoch;
    if first_epoch >= config.epochs {
        eprintln!(
            "{}: already trained for {} (--epochs {})",
            out.display(),
            plural(first_epoch, "epoch"),
            config.epochs
        );
    } else if first_epoch > 0 {
        eprintln!("resuming {} after epoch {first_epoch}", out.display());
    }
    let evaluator = (opts.eval_every > 0)
        .then(|| {
            let conditional = config.conditional.is_some();
            Evaluator::new(
                opts.classifier.as_deref(),
                &dir,
                opts.dataset,
                config.hyper.seed,
                conditional,
                opts.eval_samples,
                device,
            )
        })
        .transpose()?;
    let kept = Best::read(out, first_epoch);
    if let Some(kept) = kept.as_ref().filter(|_| !opts.keep_best && first_epoch < config.epochs) {
        // Evaluation settings are not part of the run: say so rather than let best/ go stale.
        eprintln!(
            "note: {} keeps its best epoch in best/ (now epoch {}), but this resume has no --keep-best; add it (with the run's --classifier and --eval-samples, if any) to go on choosing",
            out.display(),
            kept.epoch
        );
    }
    let mut best = kept.filter(|_| opts.keep_best);
    let noise = SampleNoise::new(state.g.arch, config.hyper.seed, device);
    let epoch_loop = EpochLoop::new(&config, &scaled, &labels, device, rows.last().map_or(0.0, |r| r.seconds), stop)
        .with_graphs(graphs);
    let check_stop = |epoch| match stop.load(Ordering::SeqCst) {
        0 => Ok(()),
        signal => Err(interrupted(signal, epoch)),
    };
    if let Some((steps, path)) = &opts.trace {
        let trace = epoch_loop.trace(&mut state, *steps)?;
        trace.write(path, &config)?;
        eprintln!("traced the first {} into {}", plural(trace.steps(), "step"), path.display());
        return Ok(Summary {
            out: out.clone(),
            epochs: 0,
            trained: 0,
            images_per_s: 0.0,
            overall_images_per_s: 0.0,
            device: device_name(device),
            best: None,
        });
    }
    let (mut trained_images, mut training_seconds) = (0usize, 0f64);

    for epoch in first_epoch + 1..=config.epochs {
        let epoch_started = Instant::now();
        let images = epoch_loop.train(&mut state, &mut rows, epoch)?;
        let seconds = epoch_started.elapsed().as_secs_f64().max(1e-9);
        (trained_images, training_seconds) = (trained_images + images, training_seconds + seconds);
        state.progress.epoch = epoch;
        if let Some(ema) = state.ema.as_mut() {
            ema.refresh_bn(config.hyper.seed);
        }
        // Everything else first, the checkpoint last: a kill in between leaves the
        // previous checkpoint, and a resume redoes this epoch and rewrites these files.
        let host = Host::of(&state);
        if let Some(ev) = evaluator.as_ref().filter(|_| epoch % opts.eval_every == 0) {
            check_stop(epoch)?;
            let q = ev.measure(state.sampled());
            if let Some(last) = rows.last_mut() {
                (last.frechet, last.frechet_report) = (Some(q.frechet_choose), Some(q.frechet_report));
                (last.coverage, last.confidence) = (Some(q.coverage), Some(q.confidence));
                last.label_accuracy = q.label_accuracy.as_ref().map(|a| a.overall);
            }
            let accuracy =
                q.label_accuracy.as_ref().map_or(String::new(), |a| format!(", label accuracy {:.4}", a.overall));
            eprintln!(
                "epoch {epoch}: Fréchet distance {:.3} (choose half) / {:.3} (report half), coverage {:.4}, confidence {:.4}{accuracy}",
                q.frechet_choose, q.frechet_report, q.coverage, q.confidence
            );
            if opts.keep_best && Best::beaten_by(best.as_ref(), &q) {
                let meta = checkpoint::weights_meta(epoch, &config, state.ema.as_ref().map(|e| e.decay));
                best = Some(Best::write(out, epoch, &q, state.sampled(), &host.sampled, &config, &meta)?);
            }
        }
        check_stop(epoch)?;
        losses::write_losses(out, &rows, &title)?;
        artifacts::write_probes(out, (state.g.arch, &host.sampled), (state.d.arch, &host.d), &scaled)?;
        let sampled = epoch % config.sample_every == 0 || epoch == config.epochs;
        if sampled {
            artifacts::write_samples(out, state.sampled(), &noise, epoch)?;
        }
        let grid = artifacts::samples_png(out, epoch);
        let events = tensorboard::path(out, epoch);
        tensorboard::write_epoch(out, epoch, &rows, sampled.then_some(grid.as_path())).map_err(io_err(&events))?;
        check_stop(epoch)?;
        checkpoint::save(out, &state, &host, &config)?;
        report_epoch(&rows, epoch, config.epochs, images as f64 / seconds, epoch_loop.started);
        if epoch == 1 {
            eprintln!("{}", early_samples_note(images / config.hyper.batch_size));
        }
    }
    let trained = config.epochs.saturating_sub(first_epoch);
    Ok(Summary {
        out: out.clone(),
        epochs: config.epochs.max(first_epoch),
        trained,
        images_per_s: trained_images as f64 / training_seconds.max(1e-9),
        overall_images_per_s: trained_images as f64 / epoch_loop.started.elapsed().as_secs_f64().max(1e-9),
        device: device_name(device),
        best,
    })
}

/// A run ready to train: options merged with a resumed run's config, the data, and
/// the networks and optimisers (from the checkpoint when resuming).
struct Setup {
    opts: Options,
    device: Device,
    /// The dataset's folder.
    dir: PathBuf,
    config: TrainConfig,
    /// Training images scaled to `[-1, 1]`, row-major `[count, 784]`.
    scaled: Vec<f32>,
    /// Their classes.
    labels: Vec<u8>,
    state: State,
    /// `losses.csv` rows up to the checkpoint's epoch.
    rows: Vec<LossRow>,
    /// `--cuda-graphs`.
    graphs: Option<Graphs>,
}

fn setup(opts: &Options, stop: &AtomicUsize) -> Result<Setup, Error> {
    let mut opts = opts.clone();
    let (device, why) = parse_device(&opts.device)?;
    if let Some(n) = opts.threads {
        tch::set_num_threads(n as i32);
    }
    // Refused before any folder or data is touched.
    let graphs = opts.cuda_graphs.then(|| Graphs::new(device)).transpose()?;
    if let Device::Cuda(_) = device {
        // Fast convolution algorithms for the fixed shapes of training (as the PyTorch
        // comparison script does); agreement figures are measured on the CPU.
        tch::Cuda::cudnn_set_benchmark(true);
    }
    if let Some(path) = opts.classifier.as_ref().filter(|p| opts.eval_every > 0 && !p.is_file()) {
        return Err(Error::BadInput(format!(
            "--eval-every and --keep-best need the classifier {}; run `eval --classifier {0}` once to train it, or drop --classifier to use the built-in one",
            path.display()
        )));
    }
    let out = opts.out.clone();
    let saved = opts.resume.then(|| crate::resume::read_saved(&out)).transpose()?;
    let resumed = if saved.is_some() { Checkpoint::read(&out)? } else { None };
    match &saved {
        Some(saved) => {
            crate::resume::apply_saved(&mut opts, saved, resumed.as_ref().map_or(Ok(0), Checkpoint::epoch)?)?
        }
        None => {
            options::check_fresh_out(&out)?;
            options::check_combinations(&opts)?;
        }
    }

    let dir = opts.dataset.resolve_dir(opts.data.as_deref());
    if opts.download {
        download::fetch_missing(&dir, &opts.mirror)?;
    }
    let mut images = data::load(&dir, opts.dataset, Split::Train)?;
    if let Some(n) = opts.limit {
        images.truncate(n);
    }
    if images.count < opts.hyper.batch_size {
        return Err(Error::BadInput(format!(
            "{} images is fewer than one batch of {}; lower --batch-size or raise --limit",
            images.count, opts.hyper.batch_size
        )));
    }
    let digest = images.digest();
    if let Some(saved) = &saved
        && saved.dataset_sha256 != digest
    {
        return Err(Error::BadInput(format!(
            "cannot resume {}: the data in {} (SHA-256 {}…) is not what the run was trained on ({}…); point --data at the original files",
            out.display(),
            dir.display(),
            &digest[..12],
            saved.dataset_sha256.get(..12).unwrap_or("?")
        )));
    }
    if stop.load(Ordering::SeqCst) != 0 {
        return Err(interrupted(stop.load(Ordering::SeqCst), 1));
    }
    let config = opts.to_config(digest);
    std::fs::create_dir_all(&out).map_err(io_err(&out))?;
    options::remove_leftovers(&out);
    options::write_config(&out, &config)?;

    // Model and optimisers; libtorch's RNG is used for the initial weights only.
    let h = &config.hyper;
    tch::manual_seed(h.seed as i64);
    let g_arch = config.generator().ok_or_else(|| Error::BadInput("unknown generator architecture".into()))?;
    let d_arch = config.conditional.map_or(&dcgan::DISCRIMINATOR, |head| head.arch());
    let g = Net::init(g_arch, device);
    let d = Net::init(d_arch, device);
    let mut state = State {
        opt_g: Adam::new(&g, h.lr_g(), h.beta1_g, h.beta2),
        opt_d: Adam::new(&d, h.lr_d(), h.beta1_d, h.beta2),
        ema: h.recipe.ema.map(|decay| Ema::new(&g, decay, 0)),
        g,
        d,
        progress: Progress { epoch: 0, step: 0, rng: SplitMix64::new(h.seed) },
    };
    if let Some(resumed) = &resumed {
        checkpoint::load(resumed, &mut state, &config, device)?;
    }
    if let Some(saved) = saved.as_ref().filter(|s| s.epochs != config.epochs) {
        eprintln!("{}: planned epochs changed from {} to {} (--epochs)", out.display(), saved.epochs, config.epochs);
    }
    eprintln!(
        "training on {} ({why}): {} images of {}, batch {}, {}{}{}",
        device_name(device),
        images.count,
        config.dataset,
        config.hyper.batch_size,
        plural(config.epochs, "epoch"),
        config.recipe.as_ref().map_or(String::new(), |r| format!(", recipe {r}")),
        config.conditional.map_or(String::new(), |h| format!(", conditional ({} D)", h.name()))
    );

    let rows = losses::read_losses(&out, state.progress.epoch);
    let scaled = images.scaled();
    debug_assert_eq!(scaled.len(), images.count * IMAGE_PIXELS);
    Ok(Setup { opts, device, dir, config, scaled, labels: images.labels, state, rows, graphs })
}
