//! Loading an ONNX file you did not make: every file ends in a generator or in an
//! `Error` that says what is wrong, never in a crash, and `is_bad_input()` tells a bad
//! file (exit 2 in the CLI) from a runtime's failure (exit 1).
//!
//! `cargo run --release -p dcgan-infer --example stranger -- FILE.onnx`

use std::process::ExitCode;

use dcgan_infer::{Generator, Seed};

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: stranger FILE.onnx");
        return ExitCode::from(2);
    };
    // Screened before any runtime sees it (external data, subgraphs, functions, tensors
    // that lie about their size), then checked against the contract and run on one row.
    let loaded = Generator::builder().onnx(&path).build().and_then(|g| {
        let images = g.generate(Seed(0), 4)?;
        Ok((g, images))
    });
    match loaded {
        Ok((g, images)) => {
            println!(
                "{path}: a generator (latent {}, by {}); drew {} digits",
                g.info().latent_dim,
                g.info().producer,
                images.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            let whose = if e.is_bad_input() { "the file" } else { "the runtime" };
            eprintln!("{path}: {e} ({whose})");
            ExitCode::from(if e.is_bad_input() { 2 } else { 1 })
        }
    }
}
