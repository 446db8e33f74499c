//! `train`: train the MNIST DCGAN and leave a self-describing run folder.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser};
use dcgan::config::Hyper;
use train::{Dataset, Options};

/// Train the tutorial's MNIST DCGAN (with its two bugs fixed) on CUDA or the CPU.
///
/// A run folder (--out) gets config.json, generator/discriminator weights
/// (safetensors), a full checkpoint at the end of every epoch, samples/epoch_NNN.png,
/// losses.csv, losses.png and the probes `export` checks itself against.
///
/// Checkpoints are per epoch: an interrupted epoch (Ctrl-C, SIGTERM, a crash) is
/// restarted from the last epoch checkpoint by --resume.
#[derive(Debug, Parser)]
#[command(version, max_term_width = 100)]
struct Cli {
    /// Folder holding the IDX files (raw or .gz) [default: $MNIST_DIR, else data/mnist;
    /// for fashion-mnist /usr/share/datasets/fashion-mnist]
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Dataset to train on.
    #[arg(long, value_enum, default_value = "mnist")]
    dataset: Dataset,
    /// Download missing MNIST files into the data folder first (checked by SHA-256).
    #[arg(long)]
    download: bool,
    /// Base URL of the MNIST mirror used by --download.
    #[arg(long, value_name = "URL", default_value = train::download::DEFAULT_MIRROR)]
    mirror: String,
    /// Total number of epochs (may be raised on --resume).
    #[arg(long, default_value_t = 50)]
    epochs: usize,
    /// Images per step.
    #[arg(long, default_value_t = 100)]
    batch_size: usize,
    /// Adam learning rate of both networks.
    #[arg(long, default_value_t = 2e-4)]
    lr: f64,
    /// Adam β1 of the discriminator.
    #[arg(long, default_value_t = 0.1)]
    beta1_d: f64,
    /// Adam β1 of the generator.
    #[arg(long, default_value_t = 0.5)]
    beta1_g: f64,
    /// Adam β2 of both networks.
    #[arg(long, default_value_t = 0.999)]
    beta2: f64,
    /// L2 penalty weight_decay·Σw²/2 on D's c2 and c3 weights.
    #[arg(long, default_value_t = 1e-3)]
    weight_decay: f64,
    /// libtorch CPU threads [default: libtorch's choice].
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// auto (CUDA when present), cpu, cuda or cuda:N.
    #[arg(long, default_value = "auto")]
    device: String,
    /// Seed of the initial weights, the shuffling and the latents.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Run folder.
    #[arg(long, value_name = "DIR", default_value = "runs/default")]
    out: PathBuf,
    /// Continue the run in --out from its last epoch checkpoint. May change --epochs,
    /// --device, --data, --threads, --sample-every; refuses changes to anything that
    /// alters the model or the optimisation.
    #[arg(long)]
    resume: bool,
    /// Train on the first N training images only (smoke runs).
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Write samples/epoch_NNN.png every K epochs (and after the last).
    #[arg(long, value_name = "K", default_value_t = 1)]
    sample_every: usize,
    /// Every K epochs, record in losses.csv the Fréchet distance of 10000 samples to the
    /// MNIST test set in the classifier's feature space (0: never; see `eval`).
    #[arg(long, value_name = "K", default_value_t = 0)]
    eval_every: usize,
    /// The classifier used by --eval-every (`eval` trains it).
    #[arg(long, value_name = "FILE", default_value = "models/classifier.safetensors")]
    classifier: PathBuf,
}

/// Options that alter the model or the optimisation; on --resume, giving one of them
/// with another value than the run's is refused.
const LOCKED: [&str; 9] =
    ["dataset", "limit", "batch_size", "lr", "beta1_d", "beta1_g", "beta2", "weight_decay", "seed"];

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let explicit = LOCKED
        .iter()
        .filter(|id| matches.value_source(id) == Some(ValueSource::CommandLine))
        .map(|s| s.to_string())
        .collect();
    let opts = Options {
        data: cli.data,
        dataset: cli.dataset,
        download: cli.download,
        mirror: cli.mirror,
        epochs: cli.epochs,
        hyper: Hyper {
            batch_size: cli.batch_size,
            lr: cli.lr,
            beta1_d: cli.beta1_d,
            beta1_g: cli.beta1_g,
            beta2: cli.beta2,
            weight_decay: cli.weight_decay,
            seed: cli.seed,
        },
        threads: cli.threads,
        device: cli.device,
        out: cli.out,
        resume: cli.resume,
        limit: cli.limit,
        sample_every: cli.sample_every,
        eval_every: cli.eval_every,
        classifier: cli.classifier,
        explicit,
    };
    let stop = Arc::new(AtomicUsize::new(0));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(e) = signal_hook::flag::register_usize(signal, Arc::clone(&stop), signal as usize) {
            eprintln!("train: warning: cannot handle signal {signal}: {e}");
        }
    }
    match train::run(&opts, &stop) {
        Ok(s) => {
            println!(
                "trained {} epoch(s) on {} at {:.0} images/s; run folder {} ({} epochs in total)",
                s.trained,
                s.device,
                s.images_per_s,
                s.out.display(),
                s.epochs
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("train: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
