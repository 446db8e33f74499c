//! What a run writes besides its checkpoint and losses: sample grids, the progress GIF,
//! probes.

use std::collections::HashMap;
use std::path::Path;

use dcgan::arch::{IMAGE_PIXELS, IMAGE_SIDE, LATENT_DIM, NUM_CLASSES};
use dcgan::{Arch, SplitMix64, TensorMap, run};
use media::grid;
use plotters::prelude::{BLACK, BitMapBackend, IntoDrawingArea, IntoFont, WHITE};
use tch::{Device, Kind, Tensor};

use crate::ema::cycling_labels;
use crate::model::{Net, to_host};
use crate::{Error, io_err};

/// Samples in a probe.
pub const PROBE_COUNT: usize = 16;
/// Salt of the SplitMix64 stream of the sample grids' fixed noise.
const SAMPLE_SALT: u64 = 0x5A4D_504C_4553; // "SAMPLES"
/// Seed of the probe latents (independent of the run, so probes are comparable).
const PROBE_SEED: u64 = 0x50_524F_4245; // "PROBE"
/// The animated history of the sample grids.
pub const PROGRESS_GIF: &str = "progress.gif";
/// Time each frame of the progress GIF is shown.
const GIF_FRAME_MS: u32 = 250;
/// Height of the caption strip above a sample grid, in pixels.
pub const CAPTION_HEIGHT: u32 = 18;

/// The fixed inputs of a run's sample grids: 8×8 latents, or for a conditional G a
/// 10×10 grid whose row r is digit r.
pub struct SampleNoise {
    z: Tensor,
    labels: Option<Tensor>,
    cols: usize,
}

impl SampleNoise {
    /// The grid's latents for a run with `seed` of generator `arch`, on `device`.
    pub fn new(arch: &Arch, seed: u64, device: Device) -> Self {
        let (count, cols) = if arch.condition.is_some() { (NUM_CLASSES * NUM_CLASSES, NUM_CLASSES) } else { (64, 8) };
        let z = SplitMix64::new(seed ^ SAMPLE_SALT).latents(count, LATENT_DIM);
        let z = Tensor::from_slice(&z).view([count as i64, LATENT_DIM as i64]).to_device(device);
        // Row r of the grid is digit r: label = index / columns.
        let labels = arch
            .condition
            .map(|_| Tensor::arange(count as i64, (Kind::Int64, device)).divide_scalar_mode(cols as i64, "floor"));
        Self { z, labels, cols }
    }
}

/// `samples/epoch_NNN.png`: G in eval mode on the fixed noise, under a caption naming
/// the epoch; then `progress.gif`, whose frames are these pictures.
pub fn write_samples(dir: &Path, g: &Net, noise: &SampleNoise, epoch: usize) -> Result<(), Error> {
    let images = to_host(&g.eval(&noise.z, noise.labels.as_ref()));
    let n = images.data.len() / IMAGE_PIXELS;
    let png = captioned(&grid::grid(&images.data, n, IMAGE_SIDE, noise.cols, 1), &format!("epoch {epoch}"))
        .map_err(|e| Error::Io { path: samples_png(dir, epoch), source: std::io::Error::other(e) })?;
    let folder = dir.join(run::SAMPLES);
    std::fs::create_dir_all(&folder).map_err(io_err(&folder))?;
    let path = samples_png(dir, epoch);
    grid::save_png(&path, &png).map_err(io_err(&path))?;
    write_progress_gif(&folder)
}

/// `grid` under a strip that says `text` (white on black, like the digits), so that a
/// sample picture, or a GIF frame made of it, says which epoch it shows.
pub fn captioned(grid: &image::GrayImage, text: &str) -> Result<image::GrayImage, String> {
    crate::plot::register_font();
    let (w, h) = (grid.width(), grid.height() + CAPTION_HEIGHT);
    let mut buffer = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, (w, h)).into_drawing_area();
        root.fill(&BLACK).map_err(|e| e.to_string())?;
        let style = ("sans-serif", CAPTION_HEIGHT as f64 - 4.0).into_font().color(&WHITE);
        root.draw_text(text, &style, (4, 2)).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    let mut out = image::GrayImage::new(w, h);
    for (x, y, p) in out.enumerate_pixels_mut() {
        p.0[0] = if y < CAPTION_HEIGHT {
            buffer[((y * w + x) * 3) as usize]
        } else {
            grid.get_pixel(x, y - CAPTION_HEIGHT).0[0]
        };
    }
    Ok(out)
}

/// `samples/epoch_NNN.png` of run folder `dir`.
pub fn samples_png(dir: &Path, epoch: usize) -> std::path::PathBuf {
    dir.join(run::SAMPLES).join(format!("epoch_{epoch:03}.png"))
}

/// `samples/progress.gif`: every `epoch_NNN.png` in the folder, in order, looping.
fn write_progress_gif(folder: &Path) -> Result<(), Error> {
    let mut frames: Vec<_> = std::fs::read_dir(folder)
        .map_err(io_err(folder))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("epoch_")))
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    frames.sort();
    let gif = folder.join(PROGRESS_GIF);
    let bytes =
        media::gif::encode(frames.iter().filter_map(|p| image::open(p).ok().map(|i| i.to_luma8())), GIF_FRAME_MS)
            .map_err(|e| Error::Io { path: gif.clone(), source: std::io::Error::other(e) })?;
    dcgan::output::write_atomic(&gif, &bytes).map_err(io_err(&gif))
}

/// The probes: fixed inputs and the eval-mode outputs of the saved weights, computed on
/// the CPU in float32 whatever device trains, so exported files can check themselves.
/// A conditional network's probe also holds `label` (as float values 0–9).
pub fn write_probes(
    dir: &Path,
    g: (&'static Arch, &TensorMap),
    d: (&'static Arch, &TensorMap),
    real: &[f32],
) -> Result<(), Error> {
    for (name, probe) in [
        (run::PROBE_GENERATOR, generator_probe(g.0, g.1)),
        (run::PROBE_DISCRIMINATOR, discriminator_probe(d.0, d.1, real)),
    ] {
        dcgan::tensors::write(&dir.join(name), &probe, &HashMap::new())?;
    }
    Ok(())
}

/// G's probe: `z` `[16,100]` (and `label` `[16]`) and the eval-mode `image` on the CPU.
pub fn generator_probe(arch: &'static Arch, weights: &TensorMap) -> TensorMap {
    let z = SplitMix64::new(PROBE_SEED).latents(PROBE_COUNT, LATENT_DIM);
    let z = Tensor::from_slice(&z).view([PROBE_COUNT as i64, LATENT_DIM as i64]);
    let labels = arch.condition.map(|_| cycling_labels(PROBE_COUNT, Device::Cpu));
    let image = Net::from_host(arch, weights, Device::Cpu, false).eval(&z, labels.as_ref());
    probe_map((arch.input_name, &z), labels.as_ref(), (arch.output_name, &image))
}

fn discriminator_probe(arch: &'static Arch, weights: &TensorMap, real: &[f32]) -> TensorMap {
    let n = PROBE_COUNT.min(real.len() / IMAGE_PIXELS);
    let side = IMAGE_SIDE as i64;
    let x = Tensor::from_slice(&real[..n * IMAGE_PIXELS]).view([n as i64, 1, side, side]);
    let labels = arch.condition.map(|_| cycling_labels(n, Device::Cpu));
    let logit = Net::from_host(arch, weights, Device::Cpu, false).eval(&x, labels.as_ref());
    probe_map((arch.input_name, &x), labels.as_ref(), (arch.output_name, &logit))
}

fn probe_map(input: (&str, &Tensor), labels: Option<&Tensor>, output: (&str, &Tensor)) -> TensorMap {
    let mut map = TensorMap::from([(input.0.into(), to_host(input.1)), (output.0.into(), to_host(output.1))]);
    if let Some(l) = labels {
        map.insert(dcgan::contract::LABEL.into(), to_host(l));
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caption_names_the_epoch_above_the_grid() {
        let grid = image::GrayImage::from_pixel(40, 30, image::Luma([128]));
        let out = captioned(&grid, "epoch 7").unwrap();
        assert_eq!((out.width(), out.height()), (40, 30 + CAPTION_HEIGHT));
        let lit = (0..CAPTION_HEIGHT)
            .flat_map(|y| (0..40).map(move |x| (x, y)))
            .filter(|&(x, y)| out.get_pixel(x, y).0[0] > 128)
            .count();
        println!("caption: {lit} lit pixels of {}", 40 * CAPTION_HEIGHT);
        assert!(lit > 20, "no text drawn in the caption strip");
        assert_eq!(out.get_pixel(5, CAPTION_HEIGHT + 3).0[0], 128, "the grid is below the caption, unchanged");
    }
}
