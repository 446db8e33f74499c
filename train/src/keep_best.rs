//! `--eval-every` and `--keep-best`: the quality of the sampled generator at an epoch
//! end, and `best/` — the generator (with its probe and config) of the epoch with the
//! lowest Fréchet distance to the *choosing* half of MNIST test. The *reporting* half's
//! distance is recorded beside it and is the figure to publish (see [`crate::quality`]).

use std::path::{Path, PathBuf};

use dcgan::arch::LATENT_DIM;
use dcgan::{SplitMix64, TensorMap, TrainConfig, run};
use serde::{Deserialize, Serialize};
use tch::{Device, Tensor};

use crate::classifier::Classifier;
use crate::data::{self, Dataset, Split};
use crate::ema::cycling_labels;
use crate::model::{Net, to_host};
use crate::quality::{Quality, Reference};
use crate::{Error, io_err};

/// Samples per evaluation by default (1000 per digit for a conditional generator).
pub const EVAL_SAMPLES: usize = 10_000;
/// The sub-folder of a run that `--keep-best` fills.
pub const BEST: &str = "best";
/// What `best/` holds besides the generator, probe and config.
pub const BEST_JSON: &str = "best.json";

/// The classifier, the test set's features and fixed latents (and labels).
pub struct Evaluator {
    classifier: Classifier,
    reference: Reference,
    z: Tensor,
    labels: Option<Vec<i64>>,
}

impl Evaluator {
    /// Load `classifier` (`None`: the built-in one) onto `device` and embed `dataset`'s
    /// test split from `dir`.
    pub fn new(
        classifier: Option<&Path>,
        dir: &Path,
        dataset: Dataset,
        seed: u64,
        conditional: bool,
        samples: usize,
        device: Device,
    ) -> Result<Self, Error> {
        let (classifier, _) = Classifier::load(classifier, device)?;
        let test = data::load(dir, dataset, Split::Test)?;
        let reference = Reference::new(&classifier, &test);
        let z = SplitMix64::new(seed ^ 0x4556_414C).latents(samples, LATENT_DIM); // "EVAL"
        let z = Tensor::from_slice(&z).view([samples as i64, LATENT_DIM as i64]);
        let labels =
            conditional.then(|| Vec::<i64>::try_from(cycling_labels(samples, Device::Cpu)).unwrap_or_default());
        Ok(Self { classifier, reference, z, labels })
    }

    /// Quality of `g`'s eval-mode samples on the fixed latents.
    pub fn measure(&self, g: &Net) -> Quality {
        let device = g.params[0].1.device();
        let labels = self.labels.as_ref().map(|l| Tensor::from_slice(l).to_device(device));
        let images = to_host(&g.eval(&self.z.to_device(device), labels.as_ref()));
        crate::quality::quality("generator", &self.classifier, &images.data, self.labels.as_deref(), &self.reference)
    }
}

/// `best/best.json`: which epoch `best/` holds and how good it is.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Best {
    /// The epoch.
    pub epoch: usize,
    /// Fréchet distance to the choosing half (what picked it).
    pub frechet_choose: f64,
    /// Fréchet distance to the reporting half (what to publish).
    pub frechet_report: f64,
    /// Class coverage of its samples.
    pub coverage: f64,
    /// Mean top-class confidence.
    pub confidence: f64,
    /// Label accuracy (conditional generators).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_accuracy: Option<f64>,
}

impl Best {
    fn path(run_dir: &Path) -> PathBuf {
        run_dir.join(BEST).join(BEST_JSON)
    }

    /// The best so far of a run resumed after `epoch` (a `best/` written by an epoch the
    /// resume redoes is ignored: that epoch will be measured again).
    pub fn read(run_dir: &Path, epoch: usize) -> Option<Self> {
        let text = std::fs::read_to_string(Self::path(run_dir)).ok()?;
        serde_json::from_str::<Self>(&text).ok().filter(|b| b.epoch <= epoch)
    }

    /// Whether `q` beats this.
    pub fn beaten_by(this: Option<&Self>, q: &Quality) -> bool {
        this.is_none_or(|b| q.frechet_choose < b.frechet_choose)
    }

    /// Write `best/`: the sampled generator's weights, its probe, the run's config, and
    /// this file last (so a reader that finds best.json finds the rest whole).
    pub fn write(
        run_dir: &Path,
        epoch: usize,
        q: &Quality,
        g: &Net,
        weights: &TensorMap,
        config: &TrainConfig,
        meta: &std::collections::HashMap<String, String>,
    ) -> Result<Self, Error> {
        let dir = run_dir.join(BEST);
        std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        dcgan::tensors::write(&dir.join(run::GENERATOR), weights, meta)?;
        let probe = crate::artifacts::generator_probe(g.arch, weights);
        dcgan::tensors::write(&dir.join(run::PROBE_GENERATOR), &probe, &Default::default())?;
        crate::options::write_config(&dir, config)?;
        let best = Self {
            epoch,
            frechet_choose: q.frechet_choose,
            frechet_report: q.frechet_report,
            coverage: q.coverage,
            confidence: q.confidence,
            label_accuracy: q.label_accuracy.as_ref().map(|a| a.overall),
        };
        let path = Self::path(run_dir);
        let text = serde_json::to_string_pretty(&best).map_err(|e| Error::BadInput(e.to_string()))?;
        dcgan::output::write_atomic(&path, text.as_bytes()).map_err(io_err(&path))?;
        Ok(best)
    }
}
