//! `train`'s command line: every flag, its help and its range.

use std::path::PathBuf;

use clap::builder::PossibleValuesParser;
use clap::{ArgAction, Parser};
use dcgan::config::{Augment, DHead, Hyper, Loss, Recipe};
use train::{Dataset, options};

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
pub(crate) struct Cli {
    /// Folder holding the IDX files (raw or .gz) [default: $MNIST_DIR, else data/mnist;
    /// for fashion-mnist /usr/share/datasets/fashion-mnist]
    #[arg(long, value_name = "DIR")]
    pub(crate) data: Option<PathBuf>,
    /// Dataset to train on.
    #[arg(long, value_enum, default_value = "mnist")]
    pub(crate) dataset: Dataset,
    /// Download missing MNIST files into the data folder first (checked by SHA-256).
    #[arg(long)]
    pub(crate) download: bool,
    /// Base URL of the MNIST mirror used by --download.
    #[arg(long, value_name = "URL", default_value = train::download::DEFAULT_MIRROR)]
    pub(crate) mirror: String,
    /// Total number of epochs [default: 50; on --resume, the run's own, which this
    /// raises or lowers explicitly].
    #[arg(long, value_parser = cli::at_least_one)]
    pub(crate) epochs: Option<usize>,
    /// A named set of the flags below (your own flags override it): tutorial (the
    /// defaults) or improved; --list-recipes shows what each stands for.
    #[arg(long, value_name = "NAME", default_value = options::PRESETS[0].name, value_parser = PossibleValuesParser::new(options::PRESETS.map(|p| p.name)))]
    pub(crate) recipe: String,
    /// Print every --recipe and the flags it stands for, and the recipe flags no recipe
    /// uses yet, then exit.
    #[arg(long)]
    pub(crate) list_recipes: bool,
    /// Record the first K steps (inputs, losses, weights) into --trace FILE and stop:
    /// the comparison with PyTorch (tests/python/trainer_vs_torch.py) replays them, for
    /// any recipe and either conditional head.
    #[arg(long, value_name = "K", requires = "trace", value_parser = cli::between(1, 1000))]
    pub(crate) trace_steps: Option<usize>,
    /// The file of --trace-steps (safetensors).
    #[arg(long, value_name = "FILE", requires = "trace_steps")]
    pub(crate) trace: Option<PathBuf>,
    /// Redraw RUN/losses.png from RUN/losses.csv (--out) and exit.
    #[arg(long)]
    pub(crate) plot_only: bool,
    /// Images per step.
    #[arg(long, default_value_t = Hyper::default().batch_size, value_parser = cli::at_least_one)]
    pub(crate) batch_size: usize,
    /// Adam learning rate of both networks (> 0).
    #[arg(long, default_value_t = Hyper::default().lr, value_parser = cli::positive)]
    pub(crate) lr: f64,
    /// D's learning rate, instead of --lr (two time-scale updates).
    #[arg(long, value_name = "LR", value_parser = cli::positive)]
    pub(crate) lr_d: Option<f64>,
    /// G's learning rate, instead of --lr.
    #[arg(long, value_name = "LR", value_parser = cli::positive)]
    pub(crate) lr_g: Option<f64>,
    /// Multiply both learning rates by this after every epoch (from --lr-decay-from on),
    /// 0 < F ≤ 1 [default: 1, no decay].
    #[arg(long, value_name = "F", value_parser = cli::unit_closed)]
    pub(crate) lr_decay: Option<f64>,
    /// With --lr-decay: the epoch (≥ 1) the decay starts from [default: 1]. It trains at
    /// the full rates, each later epoch at F times the one before; so a resume may add
    /// the decay to a run (or change it) from the epoch after its checkpoint on.
    #[arg(long, value_name = "EPOCH", value_parser = cli::at_least_one)]
    pub(crate) lr_decay_from: Option<usize>,
    /// Adam β1 of the discriminator, in [0, 1).
    #[arg(long, default_value_t = Hyper::default().beta1_d, value_parser = cli::unit_open)]
    pub(crate) beta1_d: f64,
    /// Adam β1 of the generator, in [0, 1).
    #[arg(long, default_value_t = Hyper::default().beta1_g, value_parser = cli::unit_open)]
    pub(crate) beta1_g: f64,
    /// Adam β2 of both networks, in [0, 1).
    #[arg(long, default_value_t = Hyper::default().beta2, value_parser = cli::unit_open)]
    pub(crate) beta2: f64,
    /// L2 penalty weight_decay·Σw²/2 on D's c2 and c3 weights (≥ 0).
    #[arg(long, default_value_t = Hyper::default().weight_decay, value_parser = cli::non_negative)]
    pub(crate) weight_decay: f64,
    /// The adversarial loss: bce (non-saturating, the tutorial's) or hinge.
    #[arg(long, value_enum, default_value_t = Recipe::default().loss)]
    pub(crate) loss: Loss,
    /// Keep an exponential moving average of G's weights with this decay, in [0, 1)
    /// (warmed up, with BatchNorm statistics of its own); it is what is sampled, probed
    /// and exported.
    #[arg(long, value_name = "DECAY", value_parser = cli::unit_open)]
    pub(crate) ema: Option<f64>,
    /// R1 penalty γ/2·E‖∇D(x)‖² on real images, with this γ (> 0).
    #[arg(long, value_name = "GAMMA", value_parser = cli::positive)]
    pub(crate) r1: Option<f64>,
    /// One-sided label smoothing: D's target for real images is 1 − S, S in [0, 1).
    #[arg(long, value_name = "S", value_parser = cli::unit_open)]
    pub(crate) label_smoothing: Option<f64>,
    /// Augment every image D sees, real and generated, in D's step and G's
    /// (DiffAugment), with translation (shifts of up to 4 pixels each way), cutout (a
    /// 14×14 square blanked) or both, comma-separated; both fill with the background.
    /// Given twice, the last wins [default: neither].
    #[arg(long, value_enum, value_name = "LIST", value_delimiter = ',', action = ArgAction::Set)]
    pub(crate) augment: Vec<Augment>,
    /// Train a class-conditional model (G takes z and a digit); D takes the label
    /// through a projection head (projection, the default when the flag has no value)
    /// or a per-class map at c1 (embed).
    #[arg(long, value_enum, value_name = "D_HEAD", num_args = 0..=1, default_missing_value = "projection")]
    pub(crate) conditional: Option<DHead>,
    /// With --conditional projection: an auxiliary classification loss, weight W (> 0).
    /// D also learns to name the digit of real images from its projection table's class
    /// scores (the AC-GAN idea on real digits, without a second head).
    #[arg(long, value_name = "W", value_parser = cli::positive)]
    pub(crate) class_loss: Option<f64>,
    /// With --class-loss: G's loss gains the same cross-entropy for the digits it was
    /// asked for, weight W (> 0).
    #[arg(long, value_name = "W", value_parser = cli::positive)]
    pub(crate) class_loss_g: Option<f64>,
    /// With --class-loss: the epoch (≥ 1) from which both class terms apply [default: 1].
    /// Earlier epochs train exactly as without them, so a resume may add the terms to a
    /// run (or change them) while they are still to come: from the epoch after its
    /// checkpoint on.
    #[arg(long, value_name = "EPOCH", value_parser = cli::at_least_one)]
    pub(crate) class_loss_from: Option<usize>,
    /// libtorch CPU threads (≥ 1) [default: libtorch's choice].
    #[arg(long, value_name = "N", value_parser = cli::between(1, 1024))]
    pub(crate) threads: Option<usize>,
    /// auto (CUDA when present), cpu, cuda or cuda:N.
    #[arg(long, default_value = "auto")]
    pub(crate) device: String,
    /// Record the training step once as a CUDA graph and replay it for every batch
    /// (after 3 eager warm-up steps): one launch per step instead of hundreds. CUDA
    /// only; off by default until a GPU run has shown it agrees with eager training
    /// (scripts/gpu-check.sh).
    #[arg(long)]
    pub(crate) cuda_graphs: bool,
    /// Seed of the initial weights and of everything a step draws: the shuffling, the
    /// latents, fake labels and augmentations (0 ≤ S < 2^64).
    #[arg(long, default_value_t = Hyper::default().seed, value_parser = cli::seed)]
    pub(crate) seed: u64,
    /// Run folder.
    #[arg(long, value_name = "DIR", default_value = "runs/default")]
    pub(crate) out: PathBuf,
    /// Continue the run in --out from its last epoch checkpoint. May change --epochs,
    /// --device, --data, --threads, --sample-every, --eval-every, --keep-best, and class
    /// terms or a decay still to come (--class-loss-from, --lr-decay-from); refuses
    /// changes to anything else that alters the model or the optimisation, and a folder
    /// that holds no run (exit 2).
    #[arg(long)]
    pub(crate) resume: bool,
    /// Train on the first N training images only (smoke runs).
    #[arg(long, value_name = "N", value_parser = cli::at_least_one)]
    pub(crate) limit: Option<usize>,
    /// Write samples/epoch_NNN.png every K epochs (and after the last).
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = cli::at_least_one)]
    pub(crate) sample_every: usize,
    /// Every K epochs, record in losses.csv the Fréchet distance of 10000 samples to the
    /// two halves of the MNIST test set in the classifier's feature space (0: never;
    /// see `eval`).
    #[arg(long, value_name = "K", default_value_t = 0, value_parser = cli::count)]
    pub(crate) eval_every: usize,
    /// Keep in RUN/best/ the generator (with probe and config) of the epoch with the
    /// lowest Fréchet distance to the even half of MNIST test; the odd half's distance
    /// is recorded beside it for reporting. Implies --eval-every 1 unless given.
    #[arg(long)]
    pub(crate) keep_best: bool,
    /// Samples per --eval-every evaluation, 100–60000 (1000 per digit at the default
    /// for a conditional model).
    #[arg(long, value_name = "N", default_value_t = train::keep_best::EVAL_SAMPLES, value_parser = cli::between(100, 60000))]
    pub(crate) eval_samples: usize,
    /// The classifier used by --eval-every [default: the built-in
    /// models/classifier.safetensors, compiled into train].
    #[arg(long, value_name = "FILE")]
    pub(crate) classifier: Option<PathBuf>,
}
