//! `train`: train the MNIST DCGAN and leave a self-describing run folder.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::PossibleValuesParser;
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser};
use dcgan::config::{DHead, Hyper, Loss, Recipe};
use train::{Dataset, Options, options};

/// Train the tutorial's MNIST DCGAN (with its two bugs fixed) on CUDA or the CPU.
///
/// A run folder (--out) gets config.json, generator/discriminator weights
/// (safetensors), a full checkpoint at the end of every epoch, samples/epoch_NNN.png and
/// samples/progress.gif, losses.csv, losses.png and the probes `export` checks itself
/// against.
///
/// Checkpoints are per epoch: an interrupted epoch (Ctrl-C, SIGTERM, a crash) is
/// restarted from the last epoch checkpoint by --resume. A second Ctrl-C exits at once.
#[derive(Debug, Parser)]
#[command(version, max_term_width = 100, allow_negative_numbers = true, args_override_self = true)]
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
    /// Total number of epochs [default: 50; on --resume, the run's own, which this
    /// raises or lowers explicitly].
    #[arg(long, value_parser = cli::at_least_one)]
    epochs: Option<usize>,
    /// A named set of the flags below (your own flags override it): tutorial (the
    /// defaults) or improved; --list-recipes shows what each stands for.
    #[arg(long, value_name = "NAME", default_value = options::PRESETS[0].name, value_parser = PossibleValuesParser::new(options::PRESETS.map(|p| p.name)))]
    recipe: String,
    /// Print every --recipe and the flags it stands for, then exit.
    #[arg(long)]
    list_recipes: bool,
    /// Record the first K steps (inputs, losses, weights) into --trace FILE and stop:
    /// the comparison with PyTorch (tests/python/trainer_vs_torch.py) replays them, for
    /// any recipe and either conditional head.
    #[arg(long, value_name = "K", requires = "trace", value_parser = cli::between(1, 1000))]
    trace_steps: Option<usize>,
    /// The file of --trace-steps (safetensors).
    #[arg(long, value_name = "FILE", requires = "trace_steps")]
    trace: Option<PathBuf>,
    /// Redraw RUN/losses.png from RUN/losses.csv (--out) and exit.
    #[arg(long)]
    plot_only: bool,
    /// Images per step.
    #[arg(long, default_value_t = Hyper::default().batch_size, value_parser = cli::at_least_one)]
    batch_size: usize,
    /// Adam learning rate of both networks (> 0).
    #[arg(long, default_value_t = Hyper::default().lr, value_parser = cli::positive)]
    lr: f64,
    /// D's learning rate, instead of --lr (two time-scale updates).
    #[arg(long, value_name = "LR", value_parser = cli::positive)]
    lr_d: Option<f64>,
    /// G's learning rate, instead of --lr.
    #[arg(long, value_name = "LR", value_parser = cli::positive)]
    lr_g: Option<f64>,
    /// Multiply both learning rates by this after every epoch, 0 < F ≤ 1 [default: 1,
    /// no decay].
    #[arg(long, value_name = "F", value_parser = cli::unit_closed)]
    lr_decay: Option<f64>,
    /// Adam β1 of the discriminator, in [0, 1).
    #[arg(long, default_value_t = Hyper::default().beta1_d, value_parser = cli::unit_open)]
    beta1_d: f64,
    /// Adam β1 of the generator, in [0, 1).
    #[arg(long, default_value_t = Hyper::default().beta1_g, value_parser = cli::unit_open)]
    beta1_g: f64,
    /// Adam β2 of both networks, in [0, 1).
    #[arg(long, default_value_t = Hyper::default().beta2, value_parser = cli::unit_open)]
    beta2: f64,
    /// L2 penalty weight_decay·Σw²/2 on D's c2 and c3 weights (≥ 0).
    #[arg(long, default_value_t = Hyper::default().weight_decay, value_parser = cli::non_negative)]
    weight_decay: f64,
    /// The adversarial loss: bce (non-saturating, the tutorial's) or hinge.
    #[arg(long, value_enum, default_value_t = Recipe::default().loss)]
    loss: Loss,
    /// Keep an exponential moving average of G's weights with this decay, in [0, 1)
    /// (warmed up, with BatchNorm statistics of its own); it is what is sampled, probed
    /// and exported.
    #[arg(long, value_name = "DECAY", value_parser = cli::unit_open)]
    ema: Option<f64>,
    /// R1 penalty γ/2·E‖∇D(x)‖² on real images, with this γ (> 0).
    #[arg(long, value_name = "GAMMA", value_parser = cli::positive)]
    r1: Option<f64>,
    /// One-sided label smoothing: D's target for real images is 1 − S, S in [0, 1).
    #[arg(long, value_name = "S", value_parser = cli::unit_open)]
    label_smoothing: Option<f64>,
    /// Train a class-conditional model (G takes z and a digit); D takes the label
    /// through a projection head (projection, the default when the flag has no value)
    /// or a per-class map at c1 (embed).
    #[arg(long, value_enum, value_name = "D_HEAD", num_args = 0..=1, default_missing_value = "projection")]
    conditional: Option<DHead>,
    /// libtorch CPU threads (≥ 1) [default: libtorch's choice].
    #[arg(long, value_name = "N", value_parser = cli::between(1, 1024))]
    threads: Option<usize>,
    /// auto (CUDA when present), cpu, cuda or cuda:N.
    #[arg(long, default_value = "auto")]
    device: String,
    /// Record the training step once as a CUDA graph and replay it for every batch
    /// (after 3 eager warm-up steps): one launch per step instead of hundreds. CUDA
    /// only; off by default until a GPU run has shown it agrees with eager training
    /// (scripts/gpu-check.sh).
    #[arg(long)]
    cuda_graphs: bool,
    /// Seed of the initial weights, the shuffling and the latents (0 ≤ S < 2^64).
    #[arg(long, default_value_t = Hyper::default().seed, value_parser = cli::seed)]
    seed: u64,
    /// Run folder.
    #[arg(long, value_name = "DIR", default_value = "runs/default")]
    out: PathBuf,
    /// Continue the run in --out from its last epoch checkpoint. May change --epochs,
    /// --device, --data, --threads, --sample-every, --eval-every, --keep-best; refuses
    /// changes to anything that alters the model or the optimisation, and a folder that
    /// holds no run (exit 2).
    #[arg(long)]
    resume: bool,
    /// Train on the first N training images only (smoke runs).
    #[arg(long, value_name = "N", value_parser = cli::at_least_one)]
    limit: Option<usize>,
    /// Write samples/epoch_NNN.png every K epochs (and after the last).
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = cli::at_least_one)]
    sample_every: usize,
    /// Every K epochs, record in losses.csv the Fréchet distance of 10000 samples to the
    /// two halves of the MNIST test set in the classifier's feature space (0: never;
    /// see `eval`).
    #[arg(long, value_name = "K", default_value_t = 0, value_parser = cli::count)]
    eval_every: usize,
    /// Keep in RUN/best/ the generator (with probe and config) of the epoch with the
    /// lowest Fréchet distance to the even half of MNIST test; the odd half's distance
    /// is recorded beside it for reporting. Implies --eval-every 1 unless given.
    #[arg(long)]
    keep_best: bool,
    /// Samples per --eval-every evaluation, 100–60000 (1000 per digit at the default
    /// for a conditional model).
    #[arg(long, value_name = "N", default_value_t = train::keep_best::EVAL_SAMPLES, value_parser = cli::between(100, 60000))]
    eval_samples: usize,
    /// The classifier used by --eval-every [default: the built-in
    /// models/classifier.safetensors, compiled into train].
    #[arg(long, value_name = "FILE")]
    classifier: Option<PathBuf>,
}

/// Parse the command line; a `--recipe` other than the tutorial is expanded by a second
/// parse with its flags in front of the user's own (clap keeps the last value of a flag
/// given twice, so the user's win). Both parses are clap's, so `--recipe` is checked
/// against the known names like any other value, and `--help` or an error exits as usual.
fn parse() -> (Cli, ArgMatches, Option<String>) {
    let args: Vec<OsString> = std::env::args_os().collect();
    let first = Cli::command().get_matches_from(&args);
    let name = first.get_one::<String>("recipe").map_or(options::PRESETS[0].name, String::as_str);
    let preset = options::preset(name).unwrap_or(&options::PRESETS[0]);
    let matches = if preset.flags.is_empty() {
        first
    } else {
        let expanded = args
            .iter()
            .take(1)
            .cloned()
            .chain(preset.flags.iter().map(OsString::from))
            .chain(args.iter().skip(1).cloned());
        Cli::command().get_matches_from(expanded)
    };
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    (cli, matches, (!preset.flags.is_empty()).then(|| preset.name.to_string()))
}

fn main() -> ExitCode {
    // Before libtorch allocates or starts threads: each step's activations are then
    // reused, not faulted in again.
    torch_ops::keep_freed_memory();
    let (cli, matches, recipe) = parse();
    if cli.list_recipes {
        for p in options::PRESETS {
            println!(
                "{:<10} {}\n           flags: {}",
                p.name,
                p.about,
                if p.flags.is_empty() { "(none)".into() } else { p.flags.join(" ") }
            );
        }
        return ExitCode::SUCCESS;
    }
    if cli.plot_only {
        let rows = train::losses::read_losses(&cli.out, usize::MAX);
        if rows.is_empty() {
            eprintln!("train: {} has no losses.csv rows to plot", cli.out.display());
            return ExitCode::from(cli::EXIT_INPUT);
        }
        let title =
            cli.out.file_name().map_or_else(|| cli.out.display().to_string(), |n| n.to_string_lossy().into_owned());
        return match train::losses::write_losses(&cli.out, &rows, &title) {
            Ok(()) => {
                println!("wrote {}", cli.out.join(dcgan::run::LOSS_PLOT).display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("train: {e}");
                ExitCode::from(e.exit_code())
            }
        };
    }
    if cli.download && cli.dataset == Dataset::FashionMnist {
        eprintln!(
            "train: --download fetches MNIST only; Fashion-MNIST comes from Debian: `apt-get install dataset-fashion-mnist` (or point --data at its four IDX files)"
        );
        return ExitCode::from(cli::EXIT_INPUT);
    }
    // On --resume, a locked setting given with another value than the run's is refused.
    let explicit = dcgan::TrainConfig::locked_flags()
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
            recipe: Recipe {
                lr_d: cli.lr_d,
                lr_g: cli.lr_g,
                loss: cli.loss,
                ema: cli.ema,
                r1: cli.r1,
                label_smoothing: cli.label_smoothing,
                lr_decay: cli.lr_decay,
            },
        },
        threads: cli.threads,
        device: cli.device,
        cuda_graphs: cli.cuda_graphs,
        out: cli.out,
        resume: cli.resume,
        limit: cli.limit,
        sample_every: cli.sample_every,
        eval_every: if cli.keep_best && cli.eval_every == 0 { 1 } else { cli.eval_every },
        classifier: cli.classifier,
        eval_samples: cli.eval_samples,
        conditional: cli.conditional,
        keep_best: cli.keep_best,
        recipe,
        trace: cli.trace_steps.zip(cli.trace),
        explicit,
    };
    // The first signal asks the loop to stop after the current step; a second one exits
    // at once with the conventional status.
    let stop = cli::stop_on_signals();
    match train::run(&opts, &stop) {
        Ok(s) => {
            let best = s.best.map_or(String::new(), |b| {
                format!(
                    "; best/ holds epoch {} (Fréchet {:.3} choose / {:.3} report)",
                    b.epoch, b.frechet_choose, b.frechet_report
                )
            });
            println!(
                "trained {} on {} at {:.0} images/s in the training steps ({:.0} with sampling and checkpoints); run folder {} ({} in total){best}",
                train::progress::plural(s.trained, "epoch"),
                s.device,
                s.images_per_s,
                s.overall_images_per_s,
                s.out.display(),
                train::progress::plural(s.epochs, "epoch"),
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("train: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every setting a resume locks is a flag here, so that giving it is seen (and a
    /// changed value refused) rather than silently overridden by the run's.
    #[test]
    fn every_locked_setting_is_a_flag() {
        let command = Cli::command();
        let ids: Vec<&str> = command.get_arguments().map(|a| a.get_id().as_str()).collect();
        let flags: Vec<&str> = dcgan::TrainConfig::locked_flags().collect();
        assert_eq!(flags.len(), 17);
        for flag in flags {
            assert!(ids.contains(&flag), "locked setting `{flag}` has no flag among {ids:?}");
        }
    }
}
