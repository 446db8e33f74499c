//! `train --trace-steps K --trace FILE`: the first K steps of a run (across epochs when
//! one has fewer), exactly as
//! [`crate::step::EpochLoop::train`] takes them, with everything a reimplementation
//! needs to repeat them — the initial weights, each step's real batch, labels and
//! latents — and the trainer's losses and weights after each step. Any recipe and either
//! conditional head can be traced. `tests/python/trainer_vs_torch.py` replays them in
//! PyTorch and compares (the trainer is the reference every runtime is checked against,
//! so it must itself be right).
//!
//! Names in the file: `g0.NAME`, `d0.NAME` (before step 1); per step s ≥ 1: `sS.epoch`
//! (the epoch it belongs to, counted from 1, as float32), `sS.x`,
//! `sS.z_d` (D's step), `sS.z_g` (G's step), `sS.loss_d`, `sS.loss_g`, `sS.g.NAME`,
//! `sS.d.NAME`; conditional runs add `sS.y` (the real batch's labels), `sS.label_d` and
//! `sS.label_g` (the fake labels), as float32 class numbers; `--augment` runs add
//! `sS.shift_P` and `sS.cut_P` for P in `real`, `fake_d`, `fake_g` (each image's shift,
//! cutout centre, `[B,2]`, as float32; see train/src/augment.rs); runs with an EMA add
//! `sS.ema.NAME` (its trainable tensors) and, after the last step, the epoch-end
//! BatchNorm refresh: `bn.z` (its latents, [`crate::ema::BN_BATCHES`] batches one after
//! another), `bn.label` (conditional) and `bn.ema.NAME` (the statistics it set).
//! Metadata `config` (the run's config.json).

use std::collections::HashMap;
use std::path::Path;

use dcgan::{TensorMap, TrainConfig};
use tch::{Device, Tensor};

use crate::Error;
use crate::checkpoint::State;
use crate::model::to_host;

/// Collects a trace in memory.
pub struct Trace {
    tensors: TensorMap,
    steps: usize,
}

impl Trace {
    /// Start with the networks' initial weights.
    pub fn new(state: &State) -> Self {
        let mut tensors = TensorMap::new();
        for (prefix, net) in [("g0", &state.g), ("d0", &state.d)] {
            tensors.extend(net.to_host().into_iter().map(|(k, v)| (format!("{prefix}.{k}"), v)));
        }
        Self { tensors, steps: 0 }
    }

    /// The steps recorded.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// Before step `s` of `epoch`: the batch `x` (labels `y`) and the latents and fake
    /// labels the step drew.
    pub(crate) fn before(&mut self, s: i64, epoch: usize, x: &Tensor, y: Option<&Tensor>, draws: &crate::draws::Draws) {
        self.tensors.insert(format!("s{s}.epoch"), dcgan::Tensor { shape: vec![1], data: vec![epoch as f32] });
        self.insert(format!("s{s}.x"), x);
        if let Some(y) = y {
            self.insert(format!("s{s}.y"), y);
        }
        for (part, z, labels) in [("d", &draws.z_d, &draws.label_d), ("g", &draws.z_g, &draws.label_g)] {
            self.insert(format!("s{s}.z_{part}"), z);
            if let Some(labels) = labels {
                self.insert(format!("s{s}.label_{part}"), labels);
            }
        }
        for (part, aug) in [("real", &draws.aug_real), ("fake_d", &draws.aug_fake_d), ("fake_g", &draws.aug_fake_g)] {
            for (what, t) in [("shift", &aug.shift), ("cut", &aug.cut)] {
                if let Some(t) = t {
                    self.insert(format!("s{s}.{what}_{part}"), t);
                }
            }
        }
    }

    /// After step `s`: its losses (from the step's statistics) and every weight.
    pub fn after(&mut self, s: i64, state: &State, stats: &Tensor) {
        self.steps += 1;
        let stats = to_host(stats);
        for (i, name) in ["loss_d", "loss_g"].into_iter().enumerate() {
            self.tensors.insert(format!("s{s}.{name}"), dcgan::Tensor { shape: vec![1], data: vec![stats.data[i]] });
        }
        for (prefix, net) in [("g", &state.g), ("d", &state.d)] {
            self.tensors.extend(net.to_host().into_iter().map(|(k, v)| (format!("s{s}.{prefix}.{k}"), v)));
        }
        if let Some(ema) = &state.ema {
            for (name, t) in ema.net.trainable() {
                self.insert(format!("s{s}.ema.{name}"), t);
            }
        }
    }

    /// After the last step, for a run with an EMA: the epoch-end refresh of its
    /// BatchNorm statistics, with the batches it ran on.
    pub fn refresh(&mut self, state: &mut State, seed: u64) {
        let Some(ema) = state.ema.as_mut() else { return };
        let batches = crate::ema::bn_batches(ema.net.arch, seed, Device::Cpu);
        let z: Vec<Tensor> = batches.iter().map(|(z, _)| z.shallow_clone()).collect();
        self.insert("bn.z".into(), &Tensor::cat(&z, 0));
        if let Some(labels) =
            batches.iter().map(|(_, l)| l.as_ref().map(Tensor::shallow_clone)).collect::<Option<Vec<_>>>()
        {
            self.insert("bn.label".into(), &Tensor::cat(&labels, 0));
        }
        ema.refresh_bn(seed);
        for (name, t) in ema.net.to_host() {
            if name.contains("running_") {
                self.tensors.insert(format!("bn.ema.{name}"), t);
            }
        }
    }

    fn insert(&mut self, name: String, t: &Tensor) {
        self.tensors.insert(name, to_host(t));
    }

    /// Write the file, with the run's configuration as metadata.
    pub fn write(&self, path: &Path, config: &TrainConfig) -> Result<(), Error> {
        let text = serde_json::to_string(config).map_err(|e| Error::BadInput(e.to_string()))?;
        Ok(dcgan::tensors::write(path, &self.tensors, &HashMap::from([("config".to_string(), text)]))?)
    }
}
