//! `export`: write a run's generator (or discriminator) as a self-checked ONNX file.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use export::{Bn, What};

/// Write a trained network of a `train` run as ONNX (opset 17), checked against the
/// run's probe with tract before the file appears.
#[derive(Debug, Parser)]
#[command(version, max_term_width = 100)]
struct Cli {
    /// The run folder written by `train --out`.
    #[arg(long, value_name = "DIR")]
    run: PathBuf,
    /// Destination [default: gen.onnx, or disc.onnx with --what discriminator].
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Which network to export.
    #[arg(long, value_enum, default_value = "generator")]
    what: What,
    /// Keep BatchNormalization nodes instead of folding them into the ConvTranspose weights.
    #[arg(long)]
    keep_bn: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = cli.out.unwrap_or_else(|| match cli.what {
        What::Generator => "gen.onnx".into(),
        What::Discriminator => "disc.onnx".into(),
    });
    let bn = if cli.keep_bn { Bn::Kept } else { Bn::Folded };
    match export::export(&cli.run, &out, cli.what, bn) {
        Ok(r) => {
            println!(
                "wrote {} ({} bytes); self-check on {} probe rows: max |tract - trainer| = {:.2e} <= {:.0e}; {:.2} s",
                r.path.display(),
                r.bytes,
                r.probe_rows,
                r.max_diff,
                export::SELF_CHECK_TOLERANCE,
                r.seconds
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("export: {e}");
            ExitCode::from(2)
        }
    }
}
