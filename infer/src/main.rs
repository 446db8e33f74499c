//! `infer`: generate MNIST digits from an exported ONNX generator.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use cli::progress::Progress;
use dcgan::contract::{IMAGE_LEN, LATENT_DIM};
use dcgan_infer::npy::RawWriter;
use dcgan_infer::{Backend, Device, Digits, Generator, ModelSource, Plan};
use media::grid;

/// Generate MNIST digits with the exported ONNX generator, on tract (pure Rust, CPU) or
/// ONNX Runtime (CPU or CUDA).
///
/// Latents come from SplitMix64 seeded with --seed (see the README, "Latents"), so a seed
/// gives the same digits with either backend. Without --seed a seed is picked and
/// printed. With a conditional model (one with a `label` input), --digit, --digits ask
/// for digits; without them image i is digit i mod 10.
///
/// Exit status: 0 ok, 2 a bad flag or file, 1 a runtime failure, 130/143 on a signal.
#[derive(Debug, Parser)]
#[command(version, max_term_width = 100, allow_negative_numbers = true)]
struct Cli {
    /// The generator ONNX file [default: the built-in models/gen.onnx; with --digit or
    /// --digits, the built-in models/gen-cond.onnx].
    #[arg(long, value_name = "FILE")]
    onnx: Option<PathBuf>,
    /// Number of images (with --digits all: per row).
    #[arg(short = 'n', long = "count", default_value_t = 25, value_parser = cli::at_least_one)]
    n: usize,
    /// Runtime: tract (pure Rust) or ort (ONNX Runtime) [default: tract; ort with --device cuda].
    #[arg(long, value_enum)]
    backend: Option<Backend>,
    /// cpu, cuda or cuda:N (CUDA runs ONNX Runtime with onnxruntime-gpu; it never falls back to the CPU).
    #[arg(long, default_value = "cpu")]
    device: Device,
    /// Let ONNX Runtime's CUDA provider use TF32 matrix products (faster, ~1e-3 from
    /// float32); off by default so that CUDA output agrees with the trainer to 1e-5.
    #[arg(long)]
    tf32: bool,
    /// Seed of the latents, 0 ≤ S < 2^64 [default: picked from the clock and printed].
    #[arg(long, value_parser = cli::seed)]
    seed: Option<u64>,
    /// Caller-given latents: a float32 .npy of shape [n, 100] (C or Fortran order).
    #[arg(long, value_name = "FILE.npy", conflicts_with_all = ["seed", "n", "interpolate"])]
    z: Option<PathBuf>,
    /// Conditional models: every image this digit.
    #[arg(long, value_name = "D", allow_negative_numbers = true, conflicts_with = "digits")]
    digit: Option<i64>,
    /// Conditional models: `all` (a 0–9 grid, row r = digit r, -n per row) or a list such as 3,1,4.
    #[arg(long, value_name = "all|LIST")]
    digits: Option<Digits>,
    /// The grid PNG [default: samples.png, unless --each, --raw or --gif is given].
    #[arg(long, value_name = "FILE.png")]
    out: Option<PathBuf>,
    /// Columns of the grid [default: near-square; with --digits all, -n].
    #[arg(long, value_name = "C", value_parser = cli::at_least_one)]
    cols: Option<usize>,
    /// Pixel scale of each digit (28·K pixels), 1–64.
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = cli::between(1, dcgan_infer::request::MAX_SCALE as usize))]
    scale: usize,
    /// Also write each image as DIR/NNNNNN.png.
    #[arg(long, value_name = "DIR")]
    each: Option<PathBuf>,
    /// Also write all images as a float32 .npy of shape [n,1,28,28] in [-1,1].
    #[arg(long, value_name = "FILE.npy")]
    raw: Option<PathBuf>,
    /// Walk the latent space from seed A to seed B (spherical interpolation, row by row)
    /// and write the frames as a looping GIF (--gif).
    #[arg(long, value_name = "A,B", value_delimiter = ',', value_parser = cli::seed, requires = "gif")]
    interpolate: Option<Vec<u64>>,
    /// Frames of the --interpolate walk, 2–1000.
    #[arg(long, value_name = "K", default_value_t = 24, value_parser = cli::between(2, 1000))]
    frames: usize,
    /// The GIF of --interpolate.
    #[arg(long, value_name = "FILE.gif", requires = "interpolate")]
    gif: Option<PathBuf>,
    /// Latent rows per model run, 1–65536.
    #[arg(long, value_name = "B", default_value_t = dcgan_infer::DEFAULT_BATCH, value_parser = cli::between(1, 65536))]
    batch_size: usize,
    /// Cores to use, 1–1024: tract runs this many 16-row chunks at once (the images are
    /// the same for any count), ort this many intra-op threads [default: every core].
    #[arg(long, value_name = "N", value_parser = cli::between(1, 1024))]
    threads: Option<usize>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A model that makes tract panic is refused in one line (the error carries the panic).
    dcgan_infer::quiet_guarded_panics();
    // First signal: stop after the current batch and clean up; second: exit at once.
    let stop = cli::stop_on_signals();
    match run(&cli, &stop) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("infer: {e:#}");
            let code = if let Some(e) = e.downcast_ref::<dcgan_infer::Error>() {
                e.exit_code()
            } else if let Some(i) = e.downcast_ref::<Interrupted>() {
                128 + i.0 as u8
            } else if let Some(io) = e.downcast_ref::<std::io::Error>() {
                // Writing an output: a FIFO nobody reads is the caller's, a full disk not.
                dcgan::exit::io_exit_code(io.kind())
            } else {
                cli::EXIT_FAULT
            };
            ExitCode::from(code)
        }
    }
}

/// A signal stopped the run.
#[derive(Debug, thiserror::Error)]
#[error("stopped by signal {0}")]
struct Interrupted(usize);

fn bad(text: String) -> anyhow::Error {
    dcgan_infer::Error::BadInput(text).into()
}

fn run(cli: &Cli, stop: &AtomicUsize) -> Result<()> {
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
    let g = source
        .bytes()
        .and_then(|bytes| {
            Generator::from_bytes_with(&bytes, backend, device, dcgan_infer::CudaOptions { tf32: cli.tf32 })
        })
        .map_err(|e| match e {
            // An I/O error already names the file.
            dcgan_infer::Error::Io { .. } => anyhow::Error::from(e),
            e => anyhow::Error::from(e).context(format!("loading {source}")),
        })?
        .with_batch_size(cli.batch_size);
    let g = match cli.threads {
        Some(threads) => g.with_threads(threads)?,
        None => g,
    };
    if g.info().assumed_defaults {
        eprintln!("note: {source} has no latent metadata; assuming z ~ uniform(-1,1) and images in [-1,1]");
    }
    if let Some(labels) = &plan.labels {
        g.check_labels(labels).with_context(|| format!("--digit/--digits with {source}"))?;
    }
    let seed = cli.seed.unwrap_or_else(clock_seed);
    if let (Some(ab), Some(gif)) = (&cli.interpolate, &cli.gif) {
        let [a, b] = ab[..] else { return Err(bad("--interpolate takes two seeds: A,B".into())) };
        return walk(&g, &source, &plan, (a, b), cli.frames, gif, stop, started);
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

/// `--interpolate A,B --frames K --gif FILE`: K grids on the arc from seed A's latents to
/// seed B's, as a looping GIF. All frames together stay under the grid's pixel limit.
#[allow(clippy::too_many_arguments)] // one call site, each argument a different thing
fn walk(
    g: &Generator,
    source: &ModelSource,
    plan: &Plan,
    (a, b): (u64, u64),
    frames: usize,
    gif: &Path,
    stop: &AtomicUsize,
    started: Instant,
) -> Result<()> {
    let (w, h) = plan.grid_size();
    if (w * h).saturating_mul(frames as u64) > dcgan_infer::request::MAX_GRID_PIXELS {
        return Err(bad(format!(
            "{frames} frames of {w}×{h} pixels are over the limit of {} pixels; use fewer frames, images or a smaller scale",
            dcgan_infer::request::MAX_GRID_PIXELS
        )));
    }
    let dim = g.info().latent_dim;
    let (za, zb) = (
        dcgan_infer::SplitMix64::new(a).latents(plan.count, dim),
        dcgan_infer::SplitMix64::new(b).latents(plan.count, dim),
    );
    let mut images = Vec::with_capacity(frames);
    for k in 0..frames {
        if let signal @ 1.. = stop.load(Ordering::SeqCst) {
            eprintln!("infer: interrupted after {k} of {frames} frames; no GIF was written");
            return Err(Interrupted(signal).into());
        }
        let t = k as f32 / (frames - 1) as f32;
        let z = dcgan::latent::slerp(&za, &zb, t, dim);
        let mut data = Vec::with_capacity(plan.count * IMAGE_LEN);
        g.for_each_batch_from_z(&z, plan.labels.as_deref(), |_, batch| {
            data.extend_from_slice(batch);
            Ok(())
        })?;
        images.push(dcgan_infer::Images::new(data).grid(plan.cols, plan.scale)?);
    }
    let bytes = media::gif::encode(images, 1000 / 12).map_err(|e| anyhow::anyhow!("encoding the GIF: {e}"))?;
    dcgan::output::write_atomic(gif, &bytes).with_context(|| format!("writing {}", gif.display()))?;
    report(
        g,
        source,
        &format!("{} ({frames} frames)", gif.display()),
        plan.count,
        &format!("seeds {a} → {b}"),
        started,
    );
    Ok(())
}

fn report(g: &Generator, model: &ModelSource, wrote: &str, n: usize, latents: &str, started: Instant) {
    let device = g.device();
    println!(
        "wrote {wrote} — {n} images of {model}, {} on {device}, {latents}, {:.0} ms",
        g.backend(),
        started.elapsed().as_secs_f64() * 1e3
    );
}

/// Fail before any work if `path` cannot be written (a folder, a FIFO nobody reads, a
/// missing or read-only folder): the caller's input, exit 2.
fn check_writable(path: &Path) -> Result<()> {
    dcgan::output::check_output(path)
        .map_err(|e| dcgan_infer::Error::BadInput(format!("cannot write {}: {e}", path.display())).into())
}

fn clock_seed() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64) % 1_000_000
}
