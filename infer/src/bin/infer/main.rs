//! `infer`: generate MNIST digits from an exported ONNX generator. This file is the
//! command line; `run.rs` generates and writes, `walk.rs` draws a latent walk.

mod run;
mod walk;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use dcgan_infer::{Backend, Device, Digits};

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
    match run::run(&cli, &stop) {
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
