//! The end-of-epoch checkpoint: both networks, both optimisers, step, epoch and RNG in one
//! safetensors file, so that a run killed at any instant leaves one whole state behind.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use dcgan::{SplitMix64, TensorMap, TrainConfig, run};
use tch::Device;

use crate::Error;
use crate::adam::Adam;
use crate::ema::Ema;
use crate::model::Net;

/// Identifies the checkpoint layout.
const FORMAT: &str = "dcgan-checkpoint-1";

/// Where training stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Epochs completed.
    pub epoch: usize,
    /// Global steps completed.
    pub step: i64,
    /// The run's RNG (shuffling, latents, fake labels, augmentations).
    pub rng: SplitMix64,
}

/// The trainable state of a run.
pub struct State {
    /// The generator.
    pub g: Net,
    /// The discriminator.
    pub d: Net,
    /// G's optimiser.
    pub opt_g: Adam,
    /// D's optimiser.
    pub opt_d: Adam,
    /// The average of G's weights (`--ema`), when the recipe keeps one.
    pub ema: Option<Ema>,
    /// Counters and RNG.
    pub progress: Progress,
}

impl State {
    /// The generator that is sampled, probed and exported: the EMA when there is one.
    pub fn sampled(&self) -> &Net {
        self.ema.as_ref().map_or(&self.g, |e| &e.net)
    }
}

/// The networks copied to the host once per epoch end.
pub struct Host {
    /// G as trained.
    pub g: TensorMap,
    /// D.
    pub d: TensorMap,
    /// The sampled generator (the EMA's when there is one, else a copy of `g`).
    pub sampled: TensorMap,
}

impl Host {
    /// Copy `state`'s networks to the host.
    pub fn of(state: &State) -> Self {
        let g = state.g.to_host();
        let sampled = state.ema.as_ref().map_or_else(|| g.clone(), |e| e.net.to_host());
        Self { g, d: state.d.to_host(), sampled }
    }
}

/// Metadata of `generator.safetensors`: its epoch, the config digest (config.json's, as
/// the exported ONNX file records it), and `ema` (the decay) when the file holds the average.
pub fn weights_meta(epoch: usize, config: &TrainConfig, ema: Option<f64>) -> HashMap<String, String> {
    let mut meta =
        HashMap::from([("epoch".to_string(), epoch.to_string()), ("config_digest".to_string(), config.digest())]);
    if let Some(decay) = ema {
        meta.insert("ema".to_string(), decay.to_string());
    }
    meta
}

/// Save `state` to `checkpoint.safetensors`, plus the two weight files the exporter reads
/// (`generator.safetensors` holds the sampled generator).
pub fn save(dir: &Path, state: &State, host: &Host, config: &TrainConfig) -> Result<(), Error> {
    let mut all = TensorMap::new();
    all.extend(host.g.iter().map(|(k, v)| (format!("g.{k}"), v.clone())));
    all.extend(host.d.iter().map(|(k, v)| (format!("d.{k}"), v.clone())));
    if let Some(ema) = &state.ema {
        ema.to_host(&mut all);
    }
    state.opt_g.to_host(&state.g, "adam_g", &mut all);
    state.opt_d.to_host(&state.d, "adam_d", &mut all);
    let p = state.progress;
    let meta = HashMap::from([
        ("format".to_string(), FORMAT.to_string()),
        ("epoch".to_string(), p.epoch.to_string()),
        ("step".to_string(), p.step.to_string()),
        ("rng_state".to_string(), p.rng.state.to_string()),
        ("adam_g_step".to_string(), state.opt_g.step.to_string()),
        ("adam_d_step".to_string(), state.opt_d.step.to_string()),
        // What has trained these weights: class terms still to come are not in it, so
        // that a resume may still change them (TrainConfig::as_of).
        ("config_digest".to_string(), config.as_of(p.epoch).digest()),
    ]);
    // The checkpoint goes last: the weight files never run ahead of a resumable state
    // by more than the epoch being written.
    let ema = state.ema.as_ref().map(|e| e.decay);
    dcgan::tensors::write(&dir.join(run::GENERATOR), &host.sampled, &weights_meta(p.epoch, config, ema))?;
    dcgan::tensors::write(&dir.join(run::DISCRIMINATOR), &host.d, &weights_meta(p.epoch, config, None))?;
    dcgan::tensors::write(&dir.join(run::CHECKPOINT), &all, &meta)?;
    Ok(())
}

/// Whether `dir` holds a checkpoint.
pub fn exists(dir: &Path) -> bool {
    dir.join(run::CHECKPOINT).is_file()
}

/// A run folder's checkpoint as read from disk, before the networks it restores exist:
/// read once, for its epoch (which a resume's checks need) and then to [`load`].
pub struct Checkpoint {
    path: PathBuf,
    all: TensorMap,
    meta: HashMap<String, String>,
}

impl Checkpoint {
    /// Read `dir`'s checkpoint (refusing another program's file); `None` when there is none yet.
    pub fn read(dir: &Path) -> Result<Option<Self>, Error> {
        if !exists(dir) {
            return Ok(None);
        }
        let path = dir.join(run::CHECKPOINT);
        let (all, meta) = dcgan::tensors::read(&path)?;
        let checkpoint = Self { path, all, meta };
        if checkpoint.meta.get("format").map(String::as_str) != Some(FORMAT) {
            return Err(checkpoint.bad("not a checkpoint of this trainer"));
        }
        Ok(Some(checkpoint))
    }

    /// The epoch it ends.
    pub fn epoch(&self) -> Result<usize, Error> {
        Ok(self.num("epoch")? as usize)
    }

    fn bad(&self, why: &str) -> Error {
        Error::BadInput(format!("{}: {why}; it cannot be resumed", self.path.display()))
    }

    fn num(&self, key: &str) -> Result<u64, Error> {
        self.meta.get(key).and_then(|v| v.parse().ok()).ok_or_else(|| self.bad(&format!("no `{key}`")))
    }
}

/// Restore `state` (freshly built with the run's configuration `config`) from `checkpoint`.
pub fn load(checkpoint: &Checkpoint, state: &mut State, config: &TrainConfig, device: Device) -> Result<(), Error> {
    let Checkpoint { path, all, meta } = checkpoint;
    let (bad, num) = (|why: &str| checkpoint.bad(why), |key: &str| checkpoint.num(key));
    let digest = config.as_of(checkpoint.epoch()?).digest();
    if meta.get("config_digest") != Some(&digest) {
        return Err(bad("its config digest does not match config.json"));
    }
    let strip = |prefix: &str| -> TensorMap {
        all.iter().filter_map(|(k, v)| k.strip_prefix(prefix).map(|k| (k.to_string(), v.clone()))).collect()
    };
    let (g, d) = (strip("g."), strip("d."));
    dcgan::tensors::check_params(&g, state.g.arch, path)?;
    dcgan::tensors::check_params(&d, state.d.arch, path)?;
    state.g = Net::from_host(state.g.arch, &g, device, true);
    state.d = Net::from_host(state.d.arch, &d, device, true);
    let step = num("step")? as i64;
    if let Some(decay) = state.ema.as_ref().map(|e| e.decay) {
        state.ema = Some(
            Ema::from_saved(&state.g, decay, all, step, device)
                .ok_or_else(|| bad("the EMA generator is missing or misshapen"))?,
        );
    }
    state
        .opt_g
        .load_host(&state.g, "adam_g", all, num("adam_g_step")? as i64, device)
        .ok_or_else(|| bad("G's Adam moments are missing or misshapen"))?;
    state
        .opt_d
        .load_host(&state.d, "adam_d", all, num("adam_d_step")? as i64, device)
        .ok_or_else(|| bad("D's Adam moments are missing or misshapen"))?;
    state.progress = Progress { epoch: num("epoch")? as usize, step, rng: SplitMix64::new(num("rng_state")?) };
    Ok(())
}
