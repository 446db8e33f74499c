//! The training loop: one D step then one G step per batch, a checkpoint per epoch.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use dcgan::arch::{IMAGE_PIXELS, IMAGE_SIDE, LATENT_DIM};
use dcgan::{DISCRIMINATOR, GENERATOR, SplitMix64, TrainConfig};
use indicatif::{ProgressBar, ProgressStyle};
use tch::{Device, Kind, Reduction, Tensor};

use crate::adam::Adam;
use crate::artifacts::{self, LossRow};
use crate::checkpoint::{self, Progress, State};
use crate::data::{self, Split};
use crate::model::Net;
use crate::options::{self, Options};
use crate::{Error, download, io_err};

/// Steps per row of `losses.csv` (the last row of an epoch may hold fewer).
pub const LOG_EVERY: i64 = 100;

/// What a finished run reports.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The run folder.
    pub out: PathBuf,
    /// Epochs completed in total.
    pub epochs: usize,
    /// Epochs trained by this call.
    pub trained: usize,
    /// Mean training throughput of this call.
    pub images_per_s: f64,
    /// The device used.
    pub device: String,
}

/// Parse `auto|cpu|cuda|cuda:N`; CUDA must really be there.
pub fn parse_device(spec: &str) -> Result<Device, Error> {
    let cuda = |i: usize| {
        if tch::Cuda::is_available() && i < tch::Cuda::device_count() as usize {
            Ok(Device::Cuda(i))
        } else {
            Err(Error::BadInput(format!(
                "--device {spec}: CUDA is not available here ({} GPU(s) visible to libtorch); use --device cpu",
                if tch::Cuda::is_available() { tch::Cuda::device_count() } else { 0 }
            )))
        }
    };
    match spec {
        "auto" => Ok(if tch::Cuda::is_available() { Device::Cuda(0) } else { Device::Cpu }),
        "cpu" => Ok(Device::Cpu),
        "cuda" => cuda(0),
        s => match s.strip_prefix("cuda:").and_then(|i| i.parse().ok()) {
            Some(i) => cuda(i),
            None => Err(Error::BadInput(format!("--device {s}: expected auto, cpu, cuda or cuda:N"))),
        },
    }
}

/// Train as `opts` says, leaving a run folder in `opts.out`.
///
/// `stop` is set to a signal number (SIGINT, SIGTERM) by the caller's handler; the loop
/// checks it after every step, and on a stop returns [`Error::Interrupted`] with the
/// last epoch checkpoint whole.
pub fn run(opts: &Options, stop: &Arc<AtomicUsize>) -> Result<Summary, Error> {
    let Setup { opts, device, dir, config, config_digest, scaled, mut state, mut rows } = setup(opts)?;
    let out = &opts.out;
    let first_epoch = state.progress.epoch;
    if first_epoch >= config.epochs {
        eprintln!("{}: already trained for {first_epoch} epochs (--epochs {})", out.display(), config.epochs);
    } else if first_epoch > 0 {
        eprintln!("resuming {} after epoch {first_epoch}", out.display());
    }
    eprintln!(
        "training on {} ({} images of {}, batch {}, {} epochs)",
        device_name(device),
        scaled.len() / IMAGE_PIXELS,
        config.dataset,
        config.hyper.batch_size,
        config.epochs
    );

    let evaluator = (opts.eval_every > 0)
        .then(|| Evaluator::new(&opts.classifier, &dir, opts.dataset, config.hyper.seed))
        .transpose()?;
    let noise = artifacts::sample_noise(config.hyper.seed, device);
    let epoch_loop = EpochLoop::new(&config, &scaled, device, rows.last().map_or(0.0, |r| r.seconds), stop);
    let mut trained_images = 0usize;

    for epoch in first_epoch + 1..=config.epochs {
        trained_images += epoch_loop.train(&mut state, &mut rows, epoch)?;
        state.progress.epoch = epoch;
        // Everything else first, the checkpoint last: a kill in between leaves the
        // previous checkpoint, and a resume redoes this epoch and rewrites these files.
        if let Some(ev) = evaluator.as_ref().filter(|_| epoch % opts.eval_every == 0) {
            let distance = ev.frechet(&state.g);
            if let Some(last) = rows.last_mut() {
                last.frechet = Some(distance);
            }
            eprintln!("epoch {epoch}: Fréchet distance to MNIST test {distance:.3}");
        }
        artifacts::write_losses(out, &rows)?;
        let (g_host, d_host) = (state.g.to_host(), state.d.to_host());
        artifacts::write_probes(out, &g_host, &d_host, &scaled)?;
        if epoch % config.sample_every == 0 || epoch == config.epochs {
            artifacts::write_samples(out, &state.g, &noise, epoch)?;
        }
        checkpoint::save(out, &state, &g_host, &d_host, &config_digest)?;
        report_epoch(&rows, epoch, config.epochs, epoch_loop.started);
    }
    let trained = config.epochs.saturating_sub(first_epoch);
    Ok(Summary {
        out: out.clone(),
        epochs: config.epochs.max(first_epoch),
        trained,
        images_per_s: trained_images as f64 / epoch_loop.started.elapsed().as_secs_f64().max(1e-9),
        device: device_name(device),
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
    config_digest: String,
    /// Training images scaled to [-1, 1], row-major [count, 784].
    scaled: Vec<f32>,
    state: State,
    /// `losses.csv` rows up to the checkpoint's epoch.
    rows: Vec<LossRow>,
}

fn setup(opts: &Options) -> Result<Setup, Error> {
    let mut opts = opts.clone();
    let device = parse_device(&opts.device)?;
    if let Some(n) = opts.threads {
        tch::set_num_threads(n as i32);
    }
    let out = opts.out.clone();
    let saved =
        (opts.resume && out.join(dcgan::run::CONFIG).is_file()).then(|| options::read_config(&out)).transpose()?;
    if let Some(saved) = &saved {
        options::apply_saved(&mut opts, saved)?;
    } else if checkpoint::exists(&out) {
        return Err(Error::BadInput(format!(
            "{} already holds a run; pass --resume to continue it, or choose another --out",
            out.display()
        )));
    }
    if opts.hyper.batch_size == 0 || opts.epochs == 0 || opts.sample_every == 0 {
        return Err(Error::BadInput("--batch-size, --epochs and --sample-every must be at least 1".into()));
    }

    // Data.
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
    let config = opts.to_config(digest);
    let config_digest = config.digest();
    std::fs::create_dir_all(&out).map_err(io_err(&out))?;
    options::write_config(&out, &config)?;

    // Model and optimisers; libtorch's RNG is used for the initial weights only.
    tch::manual_seed(config.hyper.seed as i64);
    let g = Net::init(&GENERATOR, device);
    let d = Net::init(&DISCRIMINATOR, device);
    let mut state = State {
        opt_g: Adam::new(&g, config.hyper.lr, config.hyper.beta1_g, config.hyper.beta2),
        opt_d: Adam::new(&d, config.hyper.lr, config.hyper.beta1_d, config.hyper.beta2),
        g,
        d,
        progress: Progress { epoch: 0, step: 0, rng: SplitMix64::new(config.hyper.seed) },
    };
    if saved.is_some() && checkpoint::exists(&out) {
        checkpoint::load(&out, &mut state, &config_digest, device)?;
    }
    let rows = artifacts::read_losses(&out, state.progress.epoch);
    Ok(Setup { opts, device, dir, config, config_digest, scaled: images.scaled(), state, rows })
}

/// What stays fixed from epoch to epoch: the data on the device, the BCE targets and the clock.
struct EpochLoop<'a> {
    real: Tensor,
    ones: Tensor,
    zeros: Tensor,
    batch: usize,
    epochs: usize,
    weight_decay: f64,
    /// When this call started, and the training seconds of the epochs before it.
    started: Instant,
    seconds_before: f64,
    stop: &'a AtomicUsize,
}

impl<'a> EpochLoop<'a> {
    fn new(config: &TrainConfig, scaled: &[f32], device: Device, seconds_before: f64, stop: &'a AtomicUsize) -> Self {
        let side = IMAGE_SIDE as i64;
        let count = (scaled.len() / IMAGE_PIXELS) as i64;
        let batch = config.hyper.batch_size;
        Self {
            real: Tensor::from_slice(scaled).view([count, 1, side, side]).to_device(device),
            ones: Tensor::ones([batch as i64, 1], (Kind::Float, device)),
            zeros: Tensor::zeros([batch as i64, 1], (Kind::Float, device)),
            batch,
            epochs: config.epochs,
            weight_decay: config.hyper.weight_decay,
            started: Instant::now(),
            seconds_before,
            stop,
        }
    }

    fn seconds(&self) -> f64 {
        self.seconds_before + self.started.elapsed().as_secs_f64()
    }

    /// One pass over the shuffled data in whole batches, appending a row to `rows` every
    /// [`LOG_EVERY`] steps; returns the images trained on.
    fn train(&self, state: &mut State, rows: &mut Vec<LossRow>, epoch: usize) -> Result<usize, Error> {
        let device = self.real.device();
        let count = self.real.size()[0];
        let steps = count as usize / self.batch;
        let bar = progress_bar(steps, epoch, self.epochs);
        let mut order: Vec<i64> = (0..count).collect();
        state.progress.rng.shuffle(&mut order);
        let mut window = Window::new(device);
        for chunk in order.chunks_exact(self.batch) {
            let x = self.real.index_select(0, &Tensor::from_slice(chunk).to_device(device));
            let stats = train_step(state, &x, &self.ones, &self.zeros, self.weight_decay, self.batch);
            window.add(&stats, self.batch);
            state.progress.step += 1;
            if state.progress.step % LOG_EVERY == 0 {
                let row = window.finish(epoch, state.progress.step, self.seconds())?;
                check_finite(&row, epoch - 1)?;
                bar.set_message(format!(
                    "{:.0} img/s  loss_d {:.3}  loss_g {:.3}",
                    row.images_per_s, row.loss_d, row.loss_g
                ));
                rows.push(row);
                window = Window::new(device);
            }
            bar.inc(1);
            if let signal @ 1.. = self.stop.load(Ordering::SeqCst) {
                bar.abandon();
                let name = if signal == signal_hook::consts::SIGINT as usize { "SIGINT" } else { "SIGTERM" };
                return Err(Error::Interrupted {
                    signal: signal as i32,
                    name,
                    epoch,
                    checkpoint: last_checkpoint(epoch - 1),
                });
            }
        }
        // An epoch whose length is not a multiple of LOG_EVERY ends with a partial window.
        if window.steps > 0 {
            let row = window.finish(epoch, state.progress.step, self.seconds())?;
            check_finite(&row, epoch - 1)?;
            rows.push(row);
        }
        bar.finish_and_clear();
        Ok(steps * self.batch)
    }
}

/// One line per epoch: the means of its `losses.csv` rows.
fn report_epoch(rows: &[LossRow], epoch: usize, epochs: usize, started: Instant) {
    let epoch_rows: Vec<&LossRow> = rows.iter().filter(|r| r.epoch == epoch).collect();
    let mean = |f: fn(&LossRow) -> f64| epoch_rows.iter().map(|r| f(r)).sum::<f64>() / epoch_rows.len().max(1) as f64;
    eprintln!(
        "epoch {epoch}/{epochs}  loss_d {:.4}  loss_g {:.4}  D(x) {:.3}  D(G(z)) {:.3}  {:.0} img/s  {:.1} s",
        mean(|r| r.loss_d),
        mean(|r| r.loss_g),
        mean(|r| r.d_real),
        mean(|r| r.d_fake),
        mean(|r| r.images_per_s),
        started.elapsed().as_secs_f64()
    );
}

/// Per-step statistics, kept on the device: [loss_d, loss_g, D(x), D(G(z))].
fn train_step(state: &mut State, x: &Tensor, ones: &Tensor, zeros: &Tensor, weight_decay: f64, batch: usize) -> Tensor {
    let device = x.device();
    let State { g, d, opt_g, opt_d, progress } = state;

    // D step: real against G(z), G held fixed.
    let z = latents(&mut progress.rng, batch, device);
    let fake = tch::no_grad(|| g.forward(&z, true));
    let d_real = d.forward(x, true);
    let d_fake = d.forward(&fake, true);
    let loss_d = d_real.binary_cross_entropy_with_logits::<Tensor>(ones, None, None, Reduction::Mean)
        + d_fake.binary_cross_entropy_with_logits::<Tensor>(zeros, None, None, Reduction::Mean);
    let total_d = match d.l2_penalty() {
        Some(l2) if weight_decay != 0.0 => &loss_d + l2 * weight_decay,
        _ => loss_d.shallow_clone(),
    };
    total_d.backward();
    opt_d.step(d);

    // G step: fresh z, non-saturating loss; D's weights need no gradients here.
    let z = latents(&mut progress.rng, batch, device);
    d.set_trainable(false);
    let logits = d.forward(&g.forward(&z, true), true);
    let loss_g = logits.binary_cross_entropy_with_logits::<Tensor>(ones, None, None, Reduction::Mean);
    loss_g.backward();
    opt_g.step(g);
    d.set_trainable(true);

    tch::no_grad(|| {
        Tensor::stack(
            &[loss_d.detach(), loss_g.detach(), d_real.sigmoid().mean(Kind::Float), d_fake.sigmoid().mean(Kind::Float)],
            0,
        )
    })
}

fn latents(rng: &mut SplitMix64, n: usize, device: Device) -> Tensor {
    Tensor::from_slice(&rng.latents(n, LATENT_DIM)).view([n as i64, LATENT_DIM as i64]).to_device(device)
}

/// Sums of per-step statistics over a logging window, on the device so that the loop
/// does not wait for the GPU after every step.
struct Window {
    sums: Tensor,
    steps: i64,
    started: Instant,
    images: usize,
}

impl Window {
    fn new(device: Device) -> Self {
        Self { sums: Tensor::zeros([4], (Kind::Float, device)), steps: 0, started: Instant::now(), images: 0 }
    }

    fn add(&mut self, stats: &Tensor, images: usize) {
        self.sums += stats;
        self.steps += 1;
        self.images += images;
    }

    fn finish(&self, epoch: usize, step: i64, seconds: f64) -> Result<LossRow, Error> {
        let sums = Vec::<f32>::try_from(self.sums.to_device(Device::Cpu))?;
        let n = self.steps.max(1) as f64;
        let mean = |i: usize| f64::from(sums[i]) / n;
        let elapsed = self.started.elapsed().as_secs_f64().max(1e-9);
        Ok(LossRow {
            epoch,
            step,
            loss_d: mean(0),
            loss_g: mean(1),
            d_real: mean(2),
            d_fake: mean(3),
            seconds,
            images_per_s: self.images as f64 / elapsed,
            frechet: None,
        })
    }
}

/// `--eval-every`: the classifier, the MNIST test set's features and fixed latents.
struct Evaluator {
    classifier: crate::classifier::Classifier,
    reference: Tensor,
    z: Tensor,
}

/// Samples per evaluation.
const EVAL_SAMPLES: usize = 10_000;

impl Evaluator {
    fn new(
        classifier: &std::path::Path,
        dir: &std::path::Path,
        dataset: data::Dataset,
        seed: u64,
    ) -> Result<Self, Error> {
        if !classifier.is_file() {
            return Err(Error::BadInput(format!(
                "--eval-every needs the classifier {}; run `eval` once to train it, or pass --classifier",
                classifier.display()
            )));
        }
        let (classifier, _) = crate::classifier::Classifier::load(classifier, Device::Cpu)?;
        let test = data::load(dir, dataset, Split::Test)?;
        let (reference, _) = classifier.embed(&test.scaled());
        let z = SplitMix64::new(seed ^ 0x4556_414C).latents(EVAL_SAMPLES, LATENT_DIM); // "EVAL"
        let z = Tensor::from_slice(&z).view([EVAL_SAMPLES as i64, LATENT_DIM as i64]);
        Ok(Self { classifier, reference, z })
    }

    /// Fréchet distance of G's eval-mode samples on the fixed latents.
    fn frechet(&self, g: &Net) -> f64 {
        let images = crate::model::to_host(&g.eval(&self.z.to_device(g.params[0].1.device())));
        let (features, _) = self.classifier.embed(&images.data);
        crate::eval::frechet(&features, &self.reference)
    }
}

fn check_finite(row: &LossRow, last_good: usize) -> Result<(), Error> {
    for (what, value) in [("loss_d", row.loss_d), ("loss_g", row.loss_g)] {
        if !value.is_finite() {
            return Err(Error::NonFinite {
                what,
                value,
                epoch: row.epoch,
                step: row.step,
                checkpoint: last_checkpoint(last_good),
            });
        }
    }
    Ok(())
}

fn last_checkpoint(epoch: usize) -> String {
    if epoch == 0 {
        "no epoch had completed, so there is no checkpoint yet".into()
    } else {
        format!("the checkpoint of epoch {epoch} is whole")
    }
}

fn device_name(device: Device) -> String {
    match device {
        Device::Cpu => format!("cpu ({} threads)", tch::get_num_threads()),
        Device::Cuda(i) => format!("cuda:{i}"),
        other => format!("{other:?}"),
    }
}

/// A bar with images/s and ETA on a terminal; hidden otherwise (one line per epoch then).
fn progress_bar(steps: usize, epoch: usize, epochs: usize) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(steps as u64);
    let style = ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} steps  {msg}  eta {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_prefix(format!("{epoch}/{epochs}"));
    bar
}
