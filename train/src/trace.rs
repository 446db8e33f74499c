//! `train --trace-steps K --trace FILE`: the first K steps of a run, exactly as
//! [`crate::step::EpochLoop::train`] takes them, with everything a reimplementation
//! needs to repeat them — the initial weights, each step's real batch and latents — and
//! the trainer's losses and weights after each step. `tests/python/trainer_vs_torch.py`
//! replays them in PyTorch and compares (the trainer is the reference every runtime is
//! checked against, so it must itself be right).
//!
//! Names in the file: `g0.NAME`, `d0.NAME` (before step 1); per step s ≥ 1: `sS.x`,
//! `sS.z_d` (D's step), `sS.z_g` (G's step), `sS.loss_d`, `sS.loss_g`, `sS.g.NAME`,
//! `sS.d.NAME`; metadata `config` (the run's config.json).

use std::collections::HashMap;
use std::path::Path;

use dcgan::arch::LATENT_DIM;
use dcgan::{TensorMap, TrainConfig};
use tch::Tensor;

use crate::Error;
use crate::checkpoint::State;
use crate::model::to_host;

/// Collects a trace in memory.
pub struct Trace {
    tensors: TensorMap,
}

impl Trace {
    /// Start with the networks' initial weights.
    pub fn new(state: &State) -> Self {
        let mut tensors = TensorMap::new();
        for (prefix, net) in [("g0", &state.g), ("d0", &state.d)] {
            tensors.extend(net.to_host().into_iter().map(|(k, v)| (format!("{prefix}.{k}"), v)));
        }
        Self { tensors }
    }

    /// Before step `s`: the batch and the latents the step will draw (the RNG is copied,
    /// not advanced).
    pub fn before(&mut self, s: i64, state: &State, x: &Tensor, batch: usize) {
        let mut rng = state.progress.rng;
        let z_d = rng.latents(batch, LATENT_DIM);
        let z_g = rng.latents(batch, LATENT_DIM);
        let shape = vec![batch, LATENT_DIM];
        self.tensors.insert(format!("s{s}.x"), to_host(x));
        self.tensors.insert(format!("s{s}.z_d"), dcgan::Tensor { shape: shape.clone(), data: z_d });
        self.tensors.insert(format!("s{s}.z_g"), dcgan::Tensor { shape, data: z_g });
    }

    /// After step `s`: its losses (from the step's statistics) and every weight.
    pub fn after(&mut self, s: i64, state: &State, stats: &Tensor) {
        let stats = to_host(stats);
        for (i, name) in ["loss_d", "loss_g"].into_iter().enumerate() {
            self.tensors.insert(format!("s{s}.{name}"), dcgan::Tensor { shape: vec![1], data: vec![stats.data[i]] });
        }
        for (prefix, net) in [("g", &state.g), ("d", &state.d)] {
            self.tensors.extend(net.to_host().into_iter().map(|(k, v)| (format!("s{s}.{prefix}.{k}"), v)));
        }
    }

    /// Write the file, with the run's configuration as metadata.
    pub fn write(&self, path: &Path, config: &TrainConfig) -> Result<(), Error> {
        let text = serde_json::to_string(config).map_err(|e| Error::BadInput(e.to_string()))?;
        Ok(dcgan::tensors::write(path, &self.tensors, &HashMap::from([("config".to_string(), text)]))?)
    }
}
