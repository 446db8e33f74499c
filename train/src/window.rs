//! A logging window of the training loop: per-step statistics summed on the device,
//! read back once per `losses.csv` row.

use std::time::Instant;

use tch::{Device, Kind, Tensor};

use crate::Error;
use crate::losses::LossRow;

/// Sums of per-step statistics over a logging window, on the device so that the loop
/// does not wait for the GPU after every step.
pub(crate) struct Window {
    sums: Tensor,
    /// Steps added so far.
    pub(crate) steps: i64,
    started: Instant,
    images: usize,
}

impl Window {
    /// An empty window starting now.
    pub(crate) fn new(device: Device) -> Self {
        Self { sums: Tensor::zeros([4], (Kind::Float, device)), steps: 0, started: Instant::now(), images: 0 }
    }

    /// Add one step's statistics `[4]` (see [`crate::step`]) over `images` images.
    pub(crate) fn add(&mut self, stats: &Tensor, images: usize) {
        self.sums += stats;
        self.steps += 1;
        self.images += images;
    }

    /// The window's means as a `losses.csv` row (no quality figures yet).
    pub(crate) fn finish(&self, epoch: usize, step: i64, seconds: f64) -> Result<LossRow, Error> {
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
            frechet_report: None,
            coverage: None,
            confidence: None,
            label_accuracy: None,
        })
    }
}
