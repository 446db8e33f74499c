//! One epoch of training: per batch one D step (real against G(z), G held fixed) then
//! one G step (fresh z), as the tutorial does, with the recipe's options.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use cli::progress::Progress;
use dcgan::TrainConfig;
use dcgan::arch::{IMAGE_PIXELS, IMAGE_SIDE};
use dcgan::config::Loss;
use tch::{Device, Kind, Reduction, Tensor};

use crate::checkpoint::State;
use crate::draws::Draws;
use crate::graphed::Graphs;
use crate::losses::LossRow;
use crate::model::Net;
use crate::window::Window;
use crate::{Error, interrupted};

/// Steps per row of `losses.csv` (the last row of an epoch may hold fewer).
pub const LOG_EVERY: i64 = 100;
/// Steps between divergence checks (each waits for the device, so not every step).
const CHECK_EVERY: i64 = 10;
/// A loss beyond this means D's logits have saturated by hundreds: the run has diverged
/// (healthy BCE and hinge losses stay below 10).
pub const DIVERGED_LOSS: f64 = 1e3;

/// What stays fixed from epoch to epoch: the data on the device, targets, options.
pub struct EpochLoop<'a> {
    real: Tensor,
    /// Class of every training image (conditional runs).
    labels: Option<Tensor>,
    ones: Tensor,
    zeros: Tensor,
    /// D's target for real images (1 − label smoothing).
    real_target: Tensor,
    config: &'a TrainConfig,
    /// When this call started, and the training seconds of the epochs before it.
    pub started: Instant,
    seconds_before: f64,
    stop: &'a AtomicUsize,
    /// Replay the step from a CUDA graph (`--cuda-graphs`).
    graphs: Option<Graphs>,
}

impl<'a> EpochLoop<'a> {
    /// Move the data (`scaled`, row-major `[count,784]`) and its `labels` to `device`.
    pub fn new(
        config: &'a TrainConfig,
        scaled: &[f32],
        labels: &[u8],
        device: Device,
        seconds_before: f64,
        stop: &'a AtomicUsize,
    ) -> Self {
        let side = IMAGE_SIDE as i64;
        let count = (scaled.len() / IMAGE_PIXELS) as i64;
        let batch = config.hyper.batch_size as i64;
        let ones = Tensor::ones([batch, 1], (Kind::Float, device));
        let smoothing = config.hyper.recipe.label_smoothing.unwrap_or(0.0);
        Self {
            real: Tensor::from_slice(scaled).view([count, 1, side, side]).to_device(device),
            labels: config.conditional.map(|_| {
                Tensor::from_slice(&labels.iter().map(|&l| i64::from(l)).collect::<Vec<_>>()).to_device(device)
            }),
            real_target: if smoothing > 0.0 { &ones * (1.0 - smoothing) } else { ones.shallow_clone() },
            ones,
            zeros: Tensor::zeros([batch, 1], (Kind::Float, device)),
            config,
            started: Instant::now(),
            seconds_before,
            stop,
            graphs: None,
        }
    }

    /// Replay the step from a CUDA graph after a warm-up (`--cuda-graphs`); `None`: eager.
    pub fn with_graphs(mut self, graphs: Option<Graphs>) -> Self {
        self.graphs = graphs;
        self
    }

    fn seconds(&self) -> f64 {
        self.seconds_before + self.started.elapsed().as_secs_f64()
    }

    /// One pass over the shuffled data in whole batches, appending a row to `rows` every
    /// [`LOG_EVERY`] steps; returns the images trained on. Stops with an error on a
    /// signal (after the current step) or when the losses diverge.
    pub fn train(&self, state: &mut State, rows: &mut Vec<LossRow>, epoch: usize) -> Result<usize, Error> {
        let device = self.real.device();
        let count = self.real.size()[0];
        let batch = self.config.hyper.batch_size;
        let steps = count as usize / batch;
        let progress = Progress::new(steps as u64, &format!("steps of epoch {epoch}/{}", self.config.epochs), false);
        let order = self.begin_epoch(state, epoch);
        let mut window = Window::new(device);
        for (i, chunk) in order.chunks_exact(batch).enumerate() {
            let (x, y, draws) = self.gather(state, chunk);
            let stats = match &self.graphs {
                Some(graphs) => graphs.step(self, state, &x, y.as_ref(), &draws)?,
                None => self.step(state, &x, y.as_ref(), &draws),
            };
            window.add(&stats, batch);
            state.progress.step += 1;
            let step = state.progress.step;
            if step % CHECK_EVERY == 0 || i + 1 == steps {
                check_diverged(&stats, epoch, step, self.config)?;
            }
            if step % LOG_EVERY == 0 {
                let row = window.finish(epoch, step, self.seconds())?;
                progress.message(format!(
                    "{:.0} img/s  loss_d {:.3}  loss_g {:.3}",
                    row.images_per_s, row.loss_d, row.loss_g
                ));
                rows.push(row);
                window = Window::new(device);
            }
            progress.set(i as u64 + 1);
            if let signal @ 1.. = self.stop.load(Ordering::SeqCst) {
                progress.abandon();
                return Err(interrupted(signal, epoch));
            }
        }
        // An epoch whose length is not a multiple of LOG_EVERY ends with a partial window.
        if window.steps > 0 {
            rows.push(window.finish(epoch, state.progress.step, self.seconds())?);
        }
        progress.finish();
        Ok(steps * batch)
    }

    /// The start of `epoch`: the learning rates it trains at, the CUDA graph captured
    /// again where the step changes, and the order of its images (shuffled from the
    /// run's RNG).
    fn begin_epoch(&self, state: &mut State, epoch: usize) -> Vec<i64> {
        let (hyper, recipe) = (&self.config.hyper, &self.config.hyper.recipe);
        state.opt_d.set_lr(hyper.lr_d() * recipe.lr_factor(epoch));
        state.opt_g.set_lr(hyper.lr_g() * recipe.lr_factor(epoch));
        let mut order: Vec<i64> = (0..self.real.size()[0]).collect();
        state.progress.rng.shuffle(&mut order);
        if let Some(graphs) =
            self.graphs.as_ref().filter(|_| recipe.class_terms(epoch) != recipe.class_terms(epoch - 1))
        {
            // --class-loss-from: the step gains ops, so the graph of the last epoch's is stale.
            graphs.recapture();
        }
        order
    }

    /// The images `x` `[B,1,28,28]` and labels `y` `[B]` at the indices `chunk`, and the
    /// step's draws from the run's RNG.
    fn gather(&self, state: &mut State, chunk: &[i64]) -> (Tensor, Option<Tensor>, Draws) {
        let device = self.real.device();
        let index = Tensor::from_slice(chunk).to_device(device);
        let x = self.real.index_select(0, &index);
        let y = self.labels.as_ref().map(|l| l.index_select(0, &index));
        let augment = &self.config.hyper.recipe.augment;
        let draws = Draws::new(&mut state.progress.rng, chunk.len(), y.is_some(), augment, device);
        (x, y, draws)
    }

    /// The run's next `steps` steps, as [`EpochLoop::train`] takes them, from epoch to
    /// epoch where one has fewer (so a trace of a small `--limit` shows the schedules) up
    /// to the run's last, recorded for `train --trace-steps` (see [`crate::trace`]).
    pub fn trace(&self, state: &mut State, steps: usize) -> Result<crate::trace::Trace, Error> {
        let batch = self.config.hyper.batch_size;
        let mut trace = crate::trace::Trace::new(state);
        let mut left = steps;
        while left > 0 && state.progress.epoch < self.config.epochs {
            let epoch = state.progress.epoch + 1;
            let order = self.begin_epoch(state, epoch);
            for chunk in order.chunks_exact(batch).take(left) {
                let (x, y, draws) = self.gather(state, chunk);
                let s = state.progress.step + 1;
                trace.before(s, epoch, &x, y.as_ref(), &draws);
                let stats = self.step(state, &x, y.as_ref(), &draws);
                state.progress.step = s;
                trace.after(s, state, &stats);
                left -= 1;
            }
            state.progress.epoch = epoch;
        }
        trace.refresh(state, self.config.hyper.seed);
        Ok(trace)
    }

    /// One D step and one G step on real batch `x` `[B,1,28,28]` (labels `y` `[B]`) with the
    /// step's latents, fake labels and augmentations `draws`; per-step statistics, kept
    /// on the device: [loss_d, loss_g, D(x), D(G(z))]. It reads nothing back from the
    /// device and copies nothing to it, so that it can be captured as a CUDA graph
    /// ([`crate::graphed`]).
    pub(crate) fn step(&self, state: &mut State, x: &Tensor, y: Option<&Tensor>, draws: &Draws) -> Tensor {
        let recipe = &self.config.hyper.recipe;
        // The epoch in training: `progress.epoch` counts those done.
        let (class_loss, class_loss_g) = recipe.class_terms(state.progress.epoch + 1);
        let State { g, d, opt_g, opt_d, ema, .. } = state;

        // D step: real against G(z), G held fixed.
        let (z, fake_labels) = (&draws.z_d, draws.label_d.as_ref());
        let fake = tch::no_grad(|| g.forward(z, fake_labels, true));
        let x = if recipe.r1.is_some() { x.detach().set_requires_grad(true) } else { x.shallow_clone() };
        let (d_real, class_d) = discriminate(d, &draws.aug_real.apply(&x), y, class_loss);
        let d_fake = d.forward(&draws.aug_fake_d.apply(&fake), fake_labels, true);
        let loss_d = match recipe.loss {
            Loss::Bce => {
                d_real.binary_cross_entropy_with_logits::<Tensor>(&self.real_target, None, None, Reduction::Mean)
                    + d_fake.binary_cross_entropy_with_logits::<Tensor>(&self.zeros, None, None, Reduction::Mean)
            }
            Loss::Hinge => (-&d_real + 1.0).relu().mean(Kind::Float) + (&d_fake + 1.0).relu().mean(Kind::Float),
        };
        let mut total_d = match d.l2_penalty() {
            Some(l2) if self.config.hyper.weight_decay != 0.0 => &loss_d + l2 * self.config.hyper.weight_decay,
            _ => loss_d.shallow_clone(),
        };
        // --class-loss: D learns to name the digits of real images only, so that what it
        // teaches G is MNIST's classes, not its own guesses about fakes.
        if let Some(term) = class_d {
            total_d = total_d.g_add(&term);
        }
        if let Some(gamma) = recipe.r1 {
            // R1: γ/2 · E‖∇ₓ D(x)‖², differentiated again for D's update; with --augment,
            // D(x) is D of the augmented batch and ∇ₓ is still to the real images (as
            // StyleGAN2-ADA takes it).
            let grad = Tensor::run_backward(&[d_real.sum(Kind::Float)], &[&x], true, true).remove(0);
            let penalty = grad.square().sum_dim_intlist([1, 2, 3].as_slice(), false, Kind::Float).mean(Kind::Float);
            total_d = total_d.g_add(&(penalty * (gamma / 2.0)));
        }
        total_d.backward();
        opt_d.step(d);

        // G step: fresh z; D's weights need no gradients here.
        let (z, fake_labels) = (&draws.z_g, draws.label_g.as_ref());
        d.set_trainable(false);
        let fake = draws.aug_fake_g.apply(&g.forward(z, fake_labels, true));
        let (logits, class_g) = discriminate(d, &fake, fake_labels, class_loss_g);
        let loss_g = match recipe.loss {
            Loss::Bce => logits.binary_cross_entropy_with_logits::<Tensor>(&self.ones, None, None, Reduction::Mean),
            Loss::Hinge => -logits.mean(Kind::Float),
        };
        match class_g {
            Some(term) => (&loss_g + term).backward(),
            None => loss_g.backward(),
        }
        opt_g.step(g);
        d.set_trainable(true);
        if let Some(ema) = ema {
            ema.update(g);
        }

        tch::no_grad(|| {
            Tensor::stack(
                &[
                    loss_d.detach(),
                    loss_g.detach(),
                    d_real.detach().sigmoid().mean(Kind::Float),
                    d_fake.sigmoid().mean(Kind::Float),
                ],
                0,
            )
        })
    }
}

/// D's train-mode logits of `x` `[B,1,28,28]` and, with a class weight (`--class-loss` in
/// D's step, `--class-loss-g` in G's), that weight · the cross-entropy of D's class scores
/// `[B,10]` against `labels` `[B]`; the scores are computed only then.
fn discriminate(d: &Net, x: &Tensor, labels: Option<&Tensor>, class_weight: Option<f64>) -> (Tensor, Option<Tensor>) {
    let (Some(weight), Some(labels)) = (class_weight, labels) else {
        return (d.forward(x, labels, true), None);
    };
    let (logits, scores) = d.forward_scored(x, Some(labels), true);
    (logits, scores.map(|s| s.cross_entropy_for_logits(labels) * weight))
}

/// Stop on a non-finite or saturated loss, naming the likely cause.
fn check_diverged(stats: &Tensor, epoch: usize, step: i64, config: &TrainConfig) -> Result<(), Error> {
    let values = Vec::<f32>::try_from(stats.to_device(Device::Cpu))?;
    for (what, value) in [("loss_d", values[0]), ("loss_g", values[1])] {
        let value = f64::from(value);
        if !value.is_finite() || value.abs() > DIVERGED_LOSS {
            let h = &config.hyper;
            return Err(Error::Diverged {
                what,
                value,
                epoch,
                step,
                checkpoint: crate::progress::last_checkpoint(epoch - 1),
                cause: format!(
                    "the learning rates (D {}, G {}) are the likely cause: the tutorial's 2e-4 trains; try --lr 2e-4",
                    h.lr_d(),
                    h.lr_g()
                ),
            });
        }
    }
    Ok(())
}
