//! `infer`: generate MNIST digits from an exported ONNX generator.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use infer::npy::RawWriter;
use infer::{Backend, Device, Generator, grid};

/// Generate MNIST digits with the exported ONNX generator, on tract (pure Rust, CPU) or
/// ONNX Runtime (CPU or CUDA).
///
/// Latents come from SplitMix64 seeded with --seed (see the README, "Latents"), so a seed gives the
/// same digits with either backend. Without --seed a seed is picked and printed.
#[derive(Debug, Parser)]
#[command(version, max_term_width = 100)]
struct Cli {
    /// The generator ONNX file.
    #[arg(long, value_name = "FILE", default_value = "models/gen.onnx")]
    onnx: PathBuf,
    /// Number of images.
    #[arg(short = 'n', long = "count", default_value_t = 25)]
    n: usize,
    /// Runtime: tract (pure Rust) or ort (ONNX Runtime).
    #[arg(long, value_enum, default_value = "tract")]
    backend: Backend,
    /// cpu, cuda or cuda:N (CUDA runs ONNX Runtime with onnxruntime-gpu; it never falls back to the CPU).
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Seed of the latents [default: picked from the clock and printed].
    #[arg(long)]
    seed: Option<u64>,
    /// Caller-given latents: a float32 .npy of shape [n, 100] (overrides --seed and -n).
    #[arg(long, value_name = "FILE.npy")]
    z: Option<PathBuf>,
    /// The grid PNG [default: samples.png, unless --each or --raw is given].
    #[arg(long, value_name = "FILE.png")]
    out: Option<PathBuf>,
    /// Columns of the grid [default: near-square].
    #[arg(long, value_name = "C")]
    cols: Option<usize>,
    /// Pixel scale of each digit (28·K pixels).
    #[arg(long, value_name = "K", default_value_t = 1)]
    scale: u32,
    /// Also write each image as DIR/NNNNNN.png.
    #[arg(long, value_name = "DIR")]
    each: Option<PathBuf>,
    /// Also write all images as a float32 .npy of shape [n,1,28,28] in [-1,1].
    #[arg(long, value_name = "FILE.npy")]
    raw: Option<PathBuf>,
    /// Latent rows per model run.
    #[arg(long, value_name = "B", default_value_t = infer::DEFAULT_BATCH)]
    batch_size: usize,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("infer: {e:#}");
            let bad_input = e.downcast_ref::<infer::Error>().is_none_or(infer::Error::is_bad_input);
            ExitCode::from(if bad_input { 2 } else { 1 })
        }
    }
}

fn parse_device(s: &str) -> Result<Device> {
    match s {
        "cpu" => Ok(Device::Cpu),
        "cuda" => Ok(Device::Cuda(0)),
        _ => match s.strip_prefix("cuda:").and_then(|i| i.parse().ok()) {
            Some(i) => Ok(Device::Cuda(i)),
            None => Err(infer::Error::BadInput(format!("--device {s}: expected cpu, cuda or cuda:N")).into()),
        },
    }
}

fn run(cli: &Cli) -> Result<()> {
    let started = Instant::now();
    let device = parse_device(&cli.device)?;
    // --device cuda means ONNX Runtime's CUDA provider; tract is CPU-only.
    let backend = if device != Device::Cpu && cli.backend == Backend::Tract && !backend_given() {
        Backend::Ort
    } else {
        cli.backend
    };
    if cli.scale == 0 || cli.scale > 64 {
        return Err(infer::Error::BadInput("--scale must be between 1 and 64".into()).into());
    }
    let g = Generator::from_path(&cli.onnx, backend, device)
        .map_err(|e| match e {
            // An I/O error already names the file.
            infer::Error::Io { .. } => anyhow::Error::from(e),
            e => anyhow::Error::from(e).context(format!("loading {}", cli.onnx.display())),
        })?
        .with_batch_size(cli.batch_size);
    if g.info().assumed_defaults {
        eprintln!(
            "note: {} has no latent metadata; assuming z ~ uniform(-1,1) and images in [-1,1]",
            cli.onnx.display()
        );
    }
    let grid_out = cli.out.clone().or_else(|| (cli.each.is_none() && cli.raw.is_none()).then(|| "samples.png".into()));
    check_writable(grid_out.as_deref())?;
    check_writable(cli.raw.as_deref())?;
    if let Some(dir) = &cli.each {
        std::fs::create_dir_all(dir).with_context(|| format!("creating --each folder {}", dir.display()))?;
    }

    let (seed, z) = match &cli.z {
        Some(path) => (None, Some(infer::npy::read_latents(path, g.info().latent_dim)?)),
        None => (Some(cli.seed.unwrap_or_else(clock_seed)), None),
    };
    let n = z.as_ref().map_or(cli.n, |z| z.len() / g.info().latent_dim);
    if n == 0 {
        return Err(infer::Error::BadInput("-n must be at least 1".into()).into());
    }

    let bar = progress(n);
    let mut raw = cli.raw.as_deref().map(|p| RawWriter::create(p, n)).transpose()?;
    let mut kept = Vec::new();
    let result = (|| -> Result<()> {
        let mut sink = |first: usize, batch: &[f32]| -> Result<(), infer::Error> {
            if let Some(w) = raw.as_mut() {
                w.push(batch)?;
            }
            let images = infer::Images::new(batch.to_vec());
            if let Some(dir) = &cli.each {
                for i in 0..images.n {
                    let path = dir.join(format!("{:06}.png", first + i));
                    grid::save_png(&path, &images.gray(i, cli.scale))
                        .map_err(|cause| infer::Error::Io { path, cause })?;
                }
            }
            if grid_out.is_some() {
                kept.extend_from_slice(batch);
            }
            bar.inc(images.n as u64);
            Ok(())
        };
        match (&z, seed) {
            (Some(z), _) => g.for_each_batch_from_z(z, &mut sink)?,
            (_, Some(seed)) => g.for_each_batch(seed, n, &mut sink)?,
            (None, None) => unreachable!("either --z or a seed"),
        }
        Ok(())
    })();
    bar.finish_and_clear();
    if let Err(e) = result {
        if let Some(w) = raw {
            w.abandon();
        }
        return Err(e);
    }
    if let Some(w) = raw {
        w.finish()?;
    }
    let mut wrote = Vec::new();
    if let Some(path) = &grid_out {
        let images = infer::Images::new(kept);
        let cols = cli.cols.unwrap_or_else(|| grid::near_square_cols(n));
        grid::save_png(path, &images.grid(cols, cli.scale)).with_context(|| format!("writing {}", path.display()))?;
        wrote.push(path.display().to_string());
    }
    if let Some(dir) = &cli.each {
        wrote.push(format!("{}/ ({n} PNGs)", dir.display()));
    }
    if let Some(p) = &cli.raw {
        wrote.push(p.display().to_string());
    }
    let device_name = match device {
        Device::Cpu => "cpu".to_string(),
        Device::Cuda(i) => format!("cuda:{i}"),
    };
    let seed_text = seed.map_or_else(
        || format!("latents from {}", cli.z.as_deref().unwrap_or(Path::new("?")).display()),
        |s| format!("seed {s}"),
    );
    println!(
        "wrote {} — {n} images, {:?} on {device_name}, {seed_text}, {:.0} ms",
        wrote.join(", "),
        g.backend(),
        started.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}

/// Whether --backend was typed (so that `--device cuda` alone can pick ort).
fn backend_given() -> bool {
    std::env::args().any(|a| a == "--backend" || a.starts_with("--backend="))
}

/// Fail before any work if `path`'s folder does not exist or cannot be written.
fn check_writable(path: Option<&Path>) -> Result<()> {
    let Some(path) = path else { return Ok(()) };
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let probe = dir.join(format!(".infer-write-test-{}", std::process::id()));
    std::fs::write(&probe, b"")
        .map(|_| {
            let _ = std::fs::remove_file(&probe);
        })
        .map_err(|e| infer::Error::BadInput(format!("cannot write {}: {e}", path.display())).into())
}

fn clock_seed() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64) % 1_000_000
}

fn progress(n: usize) -> ProgressBar {
    if n < 5000 || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(n as u64);
    if let Ok(style) = ProgressStyle::with_template("[{bar:30}] {pos}/{len} images  {per_sec}  eta {eta}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
