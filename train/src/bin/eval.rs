//! `eval`: measure a generator's sample quality offline.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use train::data::{self, Dataset, Split};
use train::{classifier::Classifier, eval};

/// Measure a generator ONNX's samples with a small MNIST classifier: the Fréchet
/// distance of its penultimate features to the MNIST test set's, the class coverage
/// (entropy / ln 10) and the mean top-class confidence, beside the same numbers for
/// real training images (the floor).
#[derive(Debug, Parser)]
#[command(version, max_term_width = 100)]
struct Cli {
    /// The generator ONNX file (run with tract).
    #[arg(long, value_name = "FILE", default_value = "models/gen.onnx")]
    onnx: PathBuf,
    /// The classifier; trained (and saved here) when the file does not exist.
    #[arg(long, value_name = "FILE", default_value = "models/classifier.safetensors")]
    classifier: PathBuf,
    /// MNIST folder [default: $MNIST_DIR, else data/mnist].
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Samples to draw (and real images for the floor).
    #[arg(long, default_value_t = 10000)]
    samples: usize,
    /// Seed of the samples' latents.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Epochs when the classifier has to be trained.
    #[arg(long, default_value_t = 8)]
    classifier_epochs: usize,
    /// Write the results as JSON here.
    #[arg(long, value_name = "FILE", default_value = "eval.json")]
    out: PathBuf,
    /// libtorch CPU threads [default: libtorch's choice].
    #[arg(long)]
    threads: Option<usize>,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("eval: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    if let Some(n) = cli.threads {
        tch::set_num_threads(n as i32);
    }
    let device = tch::Device::Cpu;
    let dir = Dataset::Mnist.resolve_dir(cli.data.as_deref());
    let train_set = data::load(&dir, Dataset::Mnist, Split::Train)?;
    let test_set = data::load(&dir, Dataset::Mnist, Split::Test)?;
    let (classifier, accuracy) = if cli.classifier.exists() {
        let (c, recorded) = Classifier::load(&cli.classifier, device)?;
        let acc = recorded.unwrap_or_else(|| c.accuracy(&test_set));
        (c, acc)
    } else {
        eprintln!("training the classifier ({} epochs) → {}", cli.classifier_epochs, cli.classifier.display());
        let (c, acc) = Classifier::train(&train_set, &test_set, cli.classifier_epochs, 0, device);
        c.save(&cli.classifier, acc)?;
        (c, acc)
    };
    eprintln!("classifier test accuracy {:.2}%", accuracy * 100.0);

    let (reference, _) = classifier.embed(&test_set.scaled());
    let g = infer::Generator::from_path(&cli.onnx, infer::Backend::Tract, infer::Device::Cpu)?;
    let samples = g.generate(cli.seed, cli.samples)?;
    let generated = eval::quality(&cli.onnx.display().to_string(), &classifier, &samples.data, &reference);
    let mut real = train_set.clone();
    real.truncate(cli.samples);
    let floor = eval::quality("MNIST train (floor)", &classifier, &real.scaled(), &reference);

    println!("| images | n | Fréchet distance ↓ | coverage ↑ | confidence ↑ | class histogram 0–9 |");
    println!("|---|---:|---:|---:|---:|---|");
    for q in [&generated, &floor] {
        let hist: Vec<String> = q.histogram.iter().map(usize::to_string).collect();
        println!(
            "| {} | {} | {:.3} | {:.4} | {:.4} | {} |",
            q.name,
            q.count,
            q.frechet,
            q.coverage,
            q.confidence,
            hist.join(" ")
        );
    }
    let json = serde_json::json!({
        "classifier": { "path": cli.classifier, "test_accuracy": accuracy },
        "generator": generated,
        "floor": floor,
        "seed": cli.seed,
    });
    std::fs::write(&cli.out, serde_json::to_string_pretty(&json)?)?;
    println!("wrote {}", cli.out.display());
    Ok(())
}
