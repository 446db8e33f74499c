//! One `infer` run: load the model, generate in batches (streamed to the grid, the
//! PNGs of --each and the .npy of --raw), report what was written.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result};
use cli::progress::Progress;
use dcgan::contract::LATENT_DIM;
use dcgan_infer::npy::RawWriter;
use dcgan_infer::{Backend, Digits, Generator, ModelSource, Plan};
use media::grid;

use crate::{Cli, Interrupted, bad};

pub(crate) fn run(cli: &Cli, stop: &AtomicUsize) -> Result<()> {
    let started = Instant::now();
    let device = cli.device;
    let backend = Backend::choose(cli.backend, device);
    let digits = cli.digit.map(Digits::One).or_else(|| cli.digits.clone());
    let z = cli.z.as_deref().map(|p| dcgan_infer::npy::read_latents(p, LATENT_DIM)).transpose()?;
    let n = z.as_ref().map_or(cli.n, |z| z.len() / LATENT_DIM);
    let plan = Plan::new(n, digits.as_ref(), cli.cols, cli.scale as u32)?;
    let grid_out = cli
        .out
        .clone()
        .or_else(|| (cli.each.is_none() && cli.raw.is_none() && cli.gif.is_none()).then(|| "samples.png".into()));
    if grid_out.is_some() || cli.gif.is_some() {
        plan.check_grid()?;
    }
    for path in [grid_out.as_deref(), cli.raw.as_deref(), cli.gif.as_deref()].into_iter().flatten() {
        check_writable(path)?;
    }

    let source = ModelSource::choose(cli.onnx.as_deref(), digits.is_some());
    let builder = Generator::builder()
        .source(source.clone())
        .backend(backend)
        .device(device)
        .cuda_options(dcgan_infer::CudaOptions { tf32: cli.tf32 })
        .batch_size(cli.batch_size);
    let builder = match cli.threads {
        Some(threads) => builder.threads(threads),
        None => builder,
    };
    let g = builder.build().map_err(|e| match e {
        // An I/O error already names the file.
        dcgan_infer::Error::Io { .. } => anyhow::Error::from(e),
        e => anyhow::Error::from(e).context(format!("loading {source}")),
    })?;
    if g.info().assumed_defaults {
        eprintln!("note: {source} has no latent metadata; assuming z ~ uniform(-1,1) and images in [-1,1]");
    }
    if let Some(labels) = &plan.labels {
        g.check_labels(labels).with_context(|| format!("--digit/--digits with {source}"))?;
    }
    let seed = cli.seed.unwrap_or_else(clock_seed);
    if let (Some(ab), Some(gif)) = (&cli.interpolate, &cli.gif) {
        let [a, b] = ab[..] else { return Err(bad("--interpolate takes two seeds: A,B".into())) };
        return crate::walk::walk(&g, &source, &plan, (a, b), cli.frames, gif, stop, started);
    }
    if let Some(dir) = &cli.each {
        std::fs::create_dir_all(dir).map_err(|e| bad(format!("creating --each folder {}: {e}", dir.display())))?;
    }

    let bar = Progress::new(plan.count as u64, "images", plan.count < 5000);
    let mut raw = cli.raw.as_deref().map(|p| RawWriter::create(p, plan.count)).transpose()?;
    let (mut kept, mut done) = (Vec::new(), 0usize);
    let mut sink = |first: usize, batch: &[f32]| -> Result<(), dcgan_infer::Error> {
        if let Some(w) = raw.as_mut() {
            w.push(batch)?;
        }
        let images = dcgan_infer::Images::new(batch.to_vec());
        if let Some(dir) = &cli.each {
            for i in 0..images.len() {
                let path = dir.join(format!("{:06}.png", first + i));
                grid::save_png(&path, &images.gray(i, plan.scale)?)
                    .map_err(|cause| dcgan_infer::Error::Io { path, cause })?;
            }
        }
        if grid_out.is_some() {
            kept.extend_from_slice(batch);
        }
        done = first + images.len();
        bar.set(done as u64);
        match stop.load(Ordering::SeqCst) {
            0 => Ok(()),
            _ => Err(dcgan_infer::Error::Cancelled),
        }
    };
    let labels = plan.labels.as_deref();
    let result = match &z {
        Some(z) => g.for_each_batch_from_z(z, labels, &mut sink),
        None => g.for_each_batch(dcgan_infer::Seed(seed), plan.count, labels, &mut sink),
    };
    bar.finish();
    if let Err(e) = result {
        if let Some(w) = raw {
            w.abandon();
        }
        let signal = stop.load(Ordering::SeqCst);
        if signal != 0 {
            let each =
                cli.each.as_ref().map_or(String::new(), |d| format!("; {} holds the {done} PNGs written", d.display()));
            eprintln!("infer: interrupted after {done} of {} images; no grid or .npy was written{each}", plan.count);
            return Err(Interrupted(signal).into());
        }
        return Err(e.into());
    }
    if let Some(w) = raw {
        w.finish()?;
    }
    let mut wrote = Vec::new();
    if let Some(path) = &grid_out {
        let images = dcgan_infer::Images::new(kept);
        grid::save_png(path, &images.grid(plan.cols, plan.scale)?)
            .with_context(|| format!("writing {}", path.display()))?;
        wrote.push(path.display().to_string());
    }
    if let Some(dir) = &cli.each {
        wrote.push(format!("{}/ ({} PNGs)", dir.display(), plan.count));
    }
    if let Some(p) = &cli.raw {
        wrote.push(p.display().to_string());
    }
    let latents = match &cli.z {
        Some(p) => format!("latents from {}", p.display()),
        None => format!("seed {seed}"),
    };
    report(&g, &source, &wrote.join(", "), plan.count, &latents, started);
    Ok(())
}

pub(crate) fn report(g: &Generator, model: &ModelSource, wrote: &str, n: usize, latents: &str, started: Instant) {
    let device = g.device();
    println!(
        "wrote {wrote} — {n} images of {model}, {} on {device}, {latents}, {:.0} ms",
        g.backend(),
        started.elapsed().as_secs_f64() * 1e3
    );
}

/// Fail before any work if `path` cannot be written (a folder, a FIFO nobody reads, a
/// missing or read-only folder): the caller's input, exit 2.
pub(crate) fn check_writable(path: &Path) -> Result<()> {
    dcgan::output::check_output(path)
        .map_err(|e| dcgan_infer::Error::BadInput(format!("cannot write {}: {e}", path.display())).into())
}

fn clock_seed() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64) % 1_000_000
}
