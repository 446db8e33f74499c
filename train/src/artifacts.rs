//! What a run writes besides its checkpoint: sample grids, losses, the loss plot, probes.

use std::collections::HashMap;
use std::path::Path;

use dcgan::arch::{IMAGE_PIXELS, IMAGE_SIDE, LATENT_DIM};
use dcgan::{DISCRIMINATOR, GENERATOR, SplitMix64, TensorMap, run};
use image::{Rgb, RgbImage};
use infer::grid;
use tch::{Device, Tensor};

use crate::model::{Net, to_host};
use crate::{Error, io_err};

/// Samples in a grid: 8×8 from fixed noise.
pub const SAMPLE_COUNT: usize = 64;
/// Samples in a probe.
pub const PROBE_COUNT: usize = 16;
/// Salt of the SplitMix64 stream of the sample grids' fixed noise.
const SAMPLE_SALT: u64 = 0x5A4D_504C_4553; // "SAMPLES"
/// Seed of the probe latents (independent of the run, so probes are comparable).
const PROBE_SEED: u64 = 0x50_524F_4245; // "PROBE"

/// The fixed latents of a run's sample grids, [64, 100].
pub fn sample_noise(seed: u64, device: Device) -> Tensor {
    let z = SplitMix64::new(seed ^ SAMPLE_SALT).latents(SAMPLE_COUNT, LATENT_DIM);
    Tensor::from_slice(&z).view([SAMPLE_COUNT as i64, LATENT_DIM as i64]).to_device(device)
}

/// `samples/epoch_NNN.png`: G in eval mode on the fixed noise, 8×8.
pub fn write_samples(dir: &Path, g: &Net, noise: &Tensor, epoch: usize) -> Result<(), Error> {
    let images = to_host(&g.eval(noise));
    let png = grid::grid(&images.data, SAMPLE_COUNT, IMAGE_SIDE, 8, 1);
    let folder = dir.join(run::SAMPLES);
    std::fs::create_dir_all(&folder).map_err(io_err(&folder))?;
    let path = folder.join(format!("epoch_{epoch:03}.png"));
    grid::save_png(&path, &png).map_err(io_err(&path))
}

/// The probes: fixed inputs and the eval-mode outputs of the saved weights, computed on
/// the CPU in float32 whatever device trains, so exported files can check themselves.
pub fn write_probes(dir: &Path, g: &TensorMap, d: &TensorMap, real: &[f32]) -> Result<(), Error> {
    let z = SplitMix64::new(PROBE_SEED).latents(PROBE_COUNT, LATENT_DIM);
    let z = Tensor::from_slice(&z).view([PROBE_COUNT as i64, LATENT_DIM as i64]);
    let image = Net::from_host(&GENERATOR, g, Device::Cpu, false).eval(&z);
    let n = PROBE_COUNT.min(real.len() / IMAGE_PIXELS);
    let side = IMAGE_SIDE as i64;
    let x = Tensor::from_slice(&real[..n * IMAGE_PIXELS]).view([n as i64, 1, side, side]);
    let logit = Net::from_host(&DISCRIMINATOR, d, Device::Cpu, false).eval(&x);
    let meta = HashMap::new();
    let probe_g = TensorMap::from([("z".into(), to_host(&z)), ("image".into(), to_host(&image))]);
    let probe_d = TensorMap::from([("image".into(), to_host(&x)), ("logit".into(), to_host(&logit))]);
    dcgan::tensors::write(&dir.join(run::PROBE_GENERATOR), &probe_g, &meta)?;
    dcgan::tensors::write(&dir.join(run::PROBE_DISCRIMINATOR), &probe_d, &meta)?;
    Ok(())
}

/// One row of `losses.csv`: means over a logging window.
#[derive(Debug, Clone, PartialEq)]
pub struct LossRow {
    /// 1-based epoch.
    pub epoch: usize,
    /// Global step at the end of the window.
    pub step: i64,
    /// D's adversarial loss (BCE on real plus fake, without the L2 term).
    pub loss_d: f64,
    /// G's non-saturating loss.
    pub loss_g: f64,
    /// Mean D(x) on real images.
    pub d_real: f64,
    /// Mean D(G(z)) during D's step.
    pub d_fake: f64,
    /// Training seconds since the run (or the resume) began.
    pub seconds: f64,
    /// Images per second over the window.
    pub images_per_s: f64,
    /// Fréchet distance of G's samples to MNIST test (`--eval-every`), on an epoch's last row.
    pub frechet: Option<f64>,
}

/// Header of `losses.csv`.
pub const LOSSES_HEADER: &str = "epoch,step,loss_d,loss_g,d_real,d_fake,seconds,images_per_s,frechet";

impl LossRow {
    fn to_csv(&self) -> String {
        format!(
            "{},{},{:.6},{:.6},{:.6},{:.6},{:.3},{:.1},{}",
            self.epoch,
            self.step,
            self.loss_d,
            self.loss_g,
            self.d_real,
            self.d_fake,
            self.seconds,
            self.images_per_s,
            self.frechet.map_or(String::new(), |f| format!("{f:.4}"))
        )
    }

    fn from_csv(line: &str) -> Option<Self> {
        let f: Vec<&str> = line.split(',').collect();
        let num = |i: usize| f.get(i)?.parse::<f64>().ok();
        Some(Self {
            epoch: f.first()?.parse().ok()?,
            step: f.get(1)?.parse().ok()?,
            loss_d: num(2)?,
            loss_g: num(3)?,
            d_real: num(4)?,
            d_fake: num(5)?,
            seconds: num(6)?,
            images_per_s: num(7)?,
            frechet: num(8),
        })
    }
}

/// Rows of an existing `losses.csv` up to and including `epoch` (what a resume keeps).
pub fn read_losses(dir: &Path, epoch: usize) -> Vec<LossRow> {
    let text = std::fs::read_to_string(dir.join(run::LOSSES)).unwrap_or_default();
    text.lines().skip(1).filter_map(LossRow::from_csv).filter(|r| r.epoch <= epoch).collect()
}

/// Rewrite `losses.csv` and `losses.png` from `rows`.
pub fn write_losses(dir: &Path, rows: &[LossRow]) -> Result<(), Error> {
    let mut text = String::from(LOSSES_HEADER);
    text.push('\n');
    for r in rows {
        text.push_str(&r.to_csv());
        text.push('\n');
    }
    let path = dir.join(run::LOSSES);
    run::write_atomic(&path, text.as_bytes()).map_err(io_err(&path))?;
    let plot = dir.join(run::LOSS_PLOT);
    run::write_atomic(&plot, &plot_png(rows)).map_err(io_err(&plot))
}

/// A plain plot of the losses: D in red, G in blue, over steps; the y axis spans 0 to the
/// largest loss, with a grey line at every whole unit.
fn plot_png(rows: &[LossRow]) -> Vec<u8> {
    let (w, h, m) = (800u32, 400u32, 20u32);
    let mut img = RgbImage::from_pixel(w, h, Rgb([255, 255, 255]));
    let ymax = rows.iter().flat_map(|r| [r.loss_d, r.loss_g]).filter(|v| v.is_finite()).fold(1.0, f64::max).ceil();
    let xmax = rows.last().map_or(1, |r| r.step.max(1)) as f64;
    let to_px = |step: i64, v: f64| {
        let x = m as f64 + (w - 2 * m) as f64 * step as f64 / xmax;
        let y = (h - m) as f64 - (h - 2 * m) as f64 * (v / ymax).clamp(0.0, 1.0);
        (x, y)
    };
    for unit in 0..=ymax as i64 {
        let (_, y) = to_px(0, unit as f64);
        for x in m..w - m {
            img.put_pixel(x, y as u32, Rgb([220, 220, 220]));
        }
    }
    for (pick, colour) in [(0, Rgb([200, 30, 30])), (1, Rgb([30, 60, 200]))] {
        let points: Vec<(f64, f64)> =
            rows.iter().map(|r| to_px(r.step, if pick == 0 { r.loss_d } else { r.loss_g })).collect();
        for pair in points.windows(2) {
            let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
            let n = (x1 - x0).abs().max((y1 - y0).abs()).ceil().max(1.0) as usize;
            for i in 0..=n {
                let t = i as f64 / n as f64;
                let (x, y) = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t);
                if x >= 0.0 && y >= 0.0 && (x as u32) < w && (y as u32) < h {
                    img.put_pixel(x as u32, y as u32, colour);
                }
            }
        }
    }
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
        .expect("encoding a plot to PNG in memory cannot fail");
    bytes
}
