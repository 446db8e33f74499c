//! `eval`: measure a generator's sample quality offline.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use train::data::{self, Dataset, Split};
use train::quality::{self, LabelAccuracy, Quality, Reference, Spreads};
use train::{classifier::Classifier, download};

/// Measure a generator ONNX's samples with a small MNIST classifier: the Fréchet
/// distance of its penultimate features to the MNIST test set's (whole, and its odd
/// half, which `train --keep-best` never uses to choose), the class coverage (entropy /
/// ln 10) and the mean top-class confidence, beside the same numbers for real training
/// images (the floor). For a conditional model, also the label accuracy: how often the
/// classifier reads the asked digit (samples cycle through the digits, so 10000 samples
/// ask for each digit 1000 times), beside how often it reads the true digit of the real
/// test images (the mark real digits reach).
///
/// Exit status: 0 ok, 2 a bad flag or file, 1 a runtime failure.
#[derive(Debug, Parser)]
#[command(version, max_term_width = 100, allow_negative_numbers = true)]
struct Cli {
    /// The generator ONNX file, run with tract [default: the built-in models/gen.onnx].
    #[arg(long, value_name = "FILE")]
    onnx: Option<PathBuf>,
    /// The classifier; trained (and saved here) when the file does not exist [default:
    /// the built-in models/classifier.safetensors, compiled into eval].
    #[arg(long, value_name = "FILE")]
    classifier: Option<PathBuf>,
    /// MNIST folder [default: $MNIST_DIR, else data/mnist].
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Download missing MNIST files into the data folder first (checked by SHA-256).
    #[arg(long)]
    download: bool,
    /// Base URL of the MNIST mirror used by --download.
    #[arg(long, value_name = "URL", default_value = download::DEFAULT_MIRROR)]
    mirror: String,
    /// Samples to draw (and real images for the floor), 100–60000.
    #[arg(long, default_value_t = 10000, value_parser = cli::between(100, 60000))]
    samples: usize,
    /// Seed of the samples' latents.
    #[arg(long, default_value_t = 0, value_parser = cli::seed)]
    seed: u64,
    /// Measure K seeds (--seed, --seed + 1, …, wrapping past 2^64 − 1), a row each, and
    /// add their mean and standard deviation: one seed's Fréchet distance to a half of
    /// the test set moves from seed to seed by as much as two good models differ, 1–100.
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = cli::between(1, 100))]
    seeds: usize,
    /// Epochs when the classifier has to be trained, 1–100.
    #[arg(long, default_value_t = 8, value_parser = cli::between(1, 100))]
    classifier_epochs: usize,
    /// Also write the results as JSON here.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// libtorch CPU threads [default: libtorch's choice].
    #[arg(long, value_parser = cli::between(1, 1024))]
    threads: Option<usize>,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("eval: {e:#}");
            ExitCode::from(exit_code(&e))
        }
    }
}

/// The workspace's convention: the caller's input 2, our or the system's fault 1.
fn exit_code(e: &anyhow::Error) -> u8 {
    if let Some(e) = e.downcast_ref::<dcgan_infer::Error>() {
        return e.exit_code();
    }
    match e.downcast_ref::<train::Error>() {
        Some(e) => e.exit_code(),
        None if e.downcast_ref::<train::DataError>().is_some() => cli::EXIT_INPUT,
        None => cli::EXIT_FAULT,
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    // The model and the output first: a wrong file or place is refused before any data
    // is read or trained on.
    let source = dcgan_infer::ModelSource::choose(cli.onnx.as_deref(), false);
    let g = dcgan_infer::Generator::builder()
        .source(source.clone())
        .backend(dcgan_infer::Backend::Tract)
        .build()
        .with_context(|| format!("loading {source}"))?;
    if let Some(out) = &cli.out {
        dcgan::output::check_output(out)
            .map_err(|e| train::Error::BadInput(format!("cannot write {}: {e}", out.display())))?;
    }
    if let Some(n) = cli.threads {
        tch::set_num_threads(n as i32);
    }
    let device = tch::Device::Cpu;
    let dir = Dataset::Mnist.resolve_dir(cli.data.as_deref());
    if cli.download {
        download::fetch_missing(&dir, &cli.mirror).map_err(train::Error::from)?;
    }
    let train_set = data::load(&dir, Dataset::Mnist, Split::Train)?;
    let test_set = data::load(&dir, Dataset::Mnist, Split::Test)?;
    let path = cli.classifier.clone();
    let name = path.as_ref().map_or_else(|| train::classifier::BUILT_IN_NAME.to_string(), |p| p.display().to_string());
    let (classifier, accuracy) = match &path {
        Some(p) if !p.exists() => {
            eprintln!("training the classifier ({} epochs) → {}", cli.classifier_epochs, p.display());
            let (c, acc) = Classifier::train(&train_set, &test_set, cli.classifier_epochs, 0, device);
            c.save(p, acc)?;
            (c, acc)
        }
        _ => {
            let (c, recorded) = Classifier::load(path.as_deref(), device)?;
            let acc = recorded.unwrap_or_else(|| c.accuracy(&test_set));
            (c, acc)
        }
    };
    eprintln!("classifier {name}: test accuracy {:.2}%", accuracy * 100.0);

    let reference = Reference::new(&classifier, &test_set);
    let labels: Option<Vec<i64>> = g.info().num_classes.map(|c| dcgan::contract::default_labels(0, cli.samples, c));
    let mut generated = Vec::with_capacity(cli.seeds);
    for seed in (0..cli.seeds as u64).map(|i| cli.seed.wrapping_add(i)) {
        let samples = g.generate(dcgan_infer::Seed(seed), cli.samples)?;
        let name = if cli.seeds == 1 { source.to_string() } else { format!("{source}, seed {seed}") };
        generated.push(quality::quality(&name, &classifier, samples.values(), labels.as_deref(), &reference));
    }
    let mut real = train_set.clone();
    real.truncate(cli.samples);
    let floor = quality::quality("MNIST train (floor)", &classifier, &real.scaled(), None, &reference);
    let rows: Vec<&Quality> = generated.iter().chain([&floor]).collect();
    print_table(&rows);
    // A conditional G's label accuracy is read against what real digits reach.
    let real_accuracy = labels.is_some().then(|| quality::real_label_accuracy(&classifier, &test_set));
    if let Some(a) = &real_accuracy {
        println!(
            "\nthe classifier on MNIST test's real digits (what they reach), per digit: {}; overall {:.4}",
            per_digit(a),
            a.overall
        );
    }
    let spread = if cli.seeds > 1 { Spreads::of(&generated) } else { None };
    if let Some(Spreads { frechet: f, frechet_report: r, confidence: c, .. }) = &spread {
        println!(
            "\nover {} seeds, mean ± standard deviation: Fréchet (test) {:.3} ± {:.3}, (odd half) {:.3} ± {:.3}, confidence {:.4} ± {:.4}",
            cli.seeds, f.mean, f.sd, r.mean, r.sd, c.mean, c.sd
        );
    }
    if let Some(out) = &cli.out {
        let mut json = serde_json::json!({
            "classifier": { "path": name, "test_accuracy": accuracy },
            "generator": generated[0],
            "floor": floor,
            "seed": cli.seed,
        });
        if let Some(real) = real_accuracy {
            json["classifier"]["test_label_accuracy"] = serde_json::json!(real);
        }
        if let Some(spread) = spread {
            json["seeds"] = serde_json::json!(generated);
            json["spread"] = serde_json::json!(spread);
        }
        let text = serde_json::to_string_pretty(&json)?;
        dcgan::output::write_atomic(out, text.as_bytes()).with_context(|| format!("writing {}", out.display()))?;
        println!("wrote {}", out.display());
    }
    Ok(())
}

fn print_table(rows: &[&Quality]) {
    println!(
        "| images | n | Fréchet (test) ↓ | Fréchet (odd half) ↓ | coverage ↑ | confidence ↑ | label accuracy ↑ | class histogram 0–9 |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    for q in rows {
        let hist: Vec<String> = q.histogram.iter().map(usize::to_string).collect();
        let acc = q.label_accuracy.as_ref().map_or("—".to_string(), |a| format!("{:.4}", a.overall));
        println!(
            "| {} | {} | {:.3} | {:.3} | {:.4} | {:.4} | {acc} | {} |",
            q.name,
            q.count,
            q.frechet,
            q.frechet_report,
            q.coverage,
            q.confidence,
            hist.join(" ")
        );
    }
    for q in rows {
        if let Some(a) = &q.label_accuracy {
            println!("\nlabel accuracy of {} per asked digit: {}", q.name, per_digit(a));
        }
    }
}

/// `0: 0.997, 1: 0.999, …`.
fn per_digit(a: &LabelAccuracy) -> String {
    a.per_digit.iter().enumerate().map(|(d, v)| format!("{d}: {v:.3}")).collect::<Vec<_>>().join(", ")
}
