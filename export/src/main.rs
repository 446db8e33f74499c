//! `export`: write a run's generator (or discriminator) as a self-checked ONNX file, a
//! Triton model repository, or check a shipped file against its run.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use export::triton::{Kind, Repository};
use export::{Bn, What};

/// Write a trained network of a `train` run as ONNX (opset 17), checked against the
/// run's probe with tract before the file appears. A run's best/ folder
/// (`train --keep-best`) is a run folder too.
///
/// Exit status: 0 ok, 2 a bad run folder, flag or self-check, 1 an I/O failure.
#[derive(Debug, Parser)]
#[command(version, max_term_width = 100)]
struct Cli {
    /// The run folder written by `train --out` (or its best/, or models/).
    #[arg(long, value_name = "DIR")]
    run: PathBuf,
    /// Destination [default: gen.onnx, or disc.onnx with --what discriminator].
    #[arg(long, value_name = "FILE", conflicts_with_all = ["triton", "check"])]
    out: Option<PathBuf>,
    /// Which network to export.
    #[arg(long, value_enum, default_value = "generator")]
    what: What,
    /// Keep BatchNormalization nodes instead of folding them into the ConvTranspose weights.
    #[arg(long)]
    keep_bn: bool,
    /// How the weights are stored: fp32 (as trained), fp16 (half the size) or int8
    /// (per-channel scales, a quarter); compute, inputs and outputs stay float32.
    #[arg(long, value_enum, default_value = "fp32", conflicts_with_all = ["triton", "check"])]
    precision: export::Precision,
    /// Check an existing ONNX file against the run instead of writing one: its output on
    /// the run's probe, and whether it is byte-identical to a fresh export.
    #[arg(long, value_name = "FILE.onnx", conflicts_with = "triton")]
    check: Option<PathBuf>,
    /// Write a Triton model repository here: DIR/NAME/config.pbtxt and DIR/NAME/1/model.onnx.
    #[arg(long, value_name = "DIR")]
    triton: Option<PathBuf>,
    /// The model's name in the repository (and in v2 request paths).
    #[arg(long, default_value = "dcgan", requires = "triton")]
    model_name: String,
    /// Triton instance kind.
    #[arg(long, value_enum, default_value = "gpu", requires = "triton")]
    triton_kind: Kind,
    /// Triton's max_batch_size, 1–65536.
    #[arg(long, default_value_t = 256, value_parser = cli::between(1, 65536), requires = "triton")]
    max_batch_size: usize,
    /// Triton's dynamic batching delay in microseconds.
    #[arg(long, default_value_t = 2000, value_parser = cli::between(0, 10_000_000), requires = "triton")]
    max_delay_us: usize,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let bn = if cli.keep_bn { Bn::Kept } else { Bn::Folded };
    let result = if let Some(file) = &cli.check {
        export::check(&cli.run, file, cli.what, bn).map(|c| {
            format!(
                "{}: matches {} on {} probe rows (max |tract - trainer| = {:.2e} <= {:.0e}); {}",
                file.display(),
                cli.run.display(),
                c.probe_rows,
                c.max_diff,
                export::SELF_CHECK_TOLERANCE,
                if c.identical {
                    "byte-identical to a fresh export"
                } else {
                    "not byte-identical to a fresh export (metadata or version differ)"
                }
            )
        })
    } else if let Some(dir) = &cli.triton {
        let repo = Repository {
            dir: dir.clone(),
            model_name: cli.model_name.clone(),
            kind: cli.triton_kind,
            max_batch_size: cli.max_batch_size,
            max_delay_us: cli.max_delay_us as u64,
        };
        export::export_triton(&cli.run, &repo, bn).map(|(folder, b)| {
            format!(
                "wrote the Triton model repository {} (config.pbtxt, 1/model.onnx: {} bytes); self-check max |tract - trainer| = {:.2e}",
                folder.display(),
                b.bytes.len(),
                b.max_diff
            )
        })
    } else {
        let out = cli.out.clone().unwrap_or_else(|| match cli.what {
            What::Generator => "gen.onnx".into(),
            What::Discriminator => "disc.onnx".into(),
        });
        export::export_with_precision(&cli.run, &out, cli.what, bn, cli.precision).map(|r| {
            format!(
                "wrote {} ({} bytes, {} weights); self-check on {} probe rows: max |tract - trainer| = {:.2e} <= {:.1e}; {:.2} s",
                r.path.display(),
                r.bytes,
                cli.precision.name(),
                r.probe_rows,
                r.max_diff,
                cli.precision.tolerance(),
                r.seconds
            )
        })
    };
    match result {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("export: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
