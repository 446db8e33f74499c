//! `train`: train the MNIST DCGAN and leave a self-describing run folder.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches};
use dcgan::config::{Augment, Hyper, Recipe};
use train::{Dataset, Options, options};

mod flags;
use flags::Cli;

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
        println!("in no recipe yet: {}", options::unused_recipe_flags().join(" "));
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
                // From epoch 1 is the default: recorded as such, one digest for one run.
                lr_decay_from: cli.lr_decay_from.filter(|&e| e > 1),
                augment: Augment::set(cli.augment),
                class_loss: cli.class_loss,
                class_loss_g: cli.class_loss_g,
                // From epoch 1 is the default: recorded as such, one digest for one run.
                class_loss_from: cli.class_loss_from.filter(|&e| e > 1),
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
        assert_eq!(flags.len(), 22);
        for flag in flags {
            assert!(ids.contains(&flag), "locked setting `{flag}` has no flag among {ids:?}");
        }
    }

    /// The help's figures for --augment are the constants the step uses.
    #[test]
    fn the_augment_help_states_the_step_s_sizes() {
        use dcgan::recipe::{CUTOUT_SIDE, MAX_SHIFT};
        let help = Cli::command().render_long_help().to_string().split_whitespace().collect::<Vec<_>>().join(" ");
        for stated in [format!("up to {MAX_SHIFT} pixels each way"), format!("{CUTOUT_SIDE}×{CUTOUT_SIDE} square")] {
            assert!(help.contains(&stated), "`train --help` does not say {stated:?}");
        }
    }

    /// A recipe's --augment (or an earlier one) is replaced by the last, not added to.
    #[test]
    fn the_last_augment_wins() {
        use clap::Parser;
        let cli = Cli::try_parse_from(["train", "--augment", "cutout", "--augment", "translation"]).unwrap();
        assert_eq!(cli.augment, [Augment::Translation]);
    }
}
