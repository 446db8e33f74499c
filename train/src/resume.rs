//! The rules for resuming a run: its saved settings win, a flag given that differs is
//! refused, and a [`Scheduled`] knob (`--class-loss-from`, `--lr-decay-from`) may still
//! join or change while it has acted on no epoch trained.

use std::path::Path;

use dcgan::TrainConfig;
use dcgan::config::{DHead, Scheduled, flag};

use crate::progress::plural;
use crate::{Dataset, Error, Options};

/// The `config.json` of the run to resume in `out`; a folder without one is refused at
/// once, since a typo in `--resume --out` must not start hours of a new run.
pub fn read_saved(out: &Path) -> Result<TrainConfig, Error> {
    if !out.join(dcgan::run::CONFIG).is_file() {
        return Err(Error::BadInput(format!(
            "--resume: {} holds no run (no {}); check the folder's name, or drop --resume to start a new run",
            out.display(),
            dcgan::run::CONFIG
        )));
    }
    crate::options::read_config(out)
}

/// Take a resumed run's saved settings for every option that alters the model or the
/// optimisation, its checkpoint ending epoch `done`. Refuses, naming the flag, when one
/// given explicitly on the command line differs from the saved value (or when the
/// architecture itself changed) — but for scheduled knobs that act on no epoch up to
/// `done` in either version, which change nothing trained ([`TrainConfig::as_of`]). Then
/// checks the result's combinations ([`crate::options::check_combinations`]) and says
/// which scheduled knobs it changed.
pub fn apply_saved(opts: &mut Options, saved: &TrainConfig, done: usize) -> Result<(), Error> {
    // Whether (and how) the run is conditional is part of its architecture: taken from
    // the run unless --conditional was given, and then it must agree.
    if !opts.gave("conditional") {
        opts.conditional = saved.conditional;
    } else if opts.conditional != saved.conditional {
        let name = |c: Option<DHead>| c.map_or("none (unconditional)", DHead::name).to_string();
        return Err(Error::ResumeMismatch {
            run: opts.out.clone(),
            flag: "conditional".into(),
            saved: name(saved.conditional),
            given: name(opts.conditional),
        });
    }
    let wanted = opts.to_config(saved.dataset_sha256.clone());
    // The run with the scheduled knobs the command line gives in place of its own.
    let mut merged = saved.clone();
    for knob in Scheduled::ALL {
        knob.take(&mut merged.hyper.recipe, &opts.hyper.recipe, |field| opts.gave(field));
    }
    let untrained = |knob: Scheduled, c: &TrainConfig| knob.start(&c.as_of(done).hyper.recipe).is_none();
    let joins_early = Scheduled::ALL.into_iter().find_map(|k| {
        let start = k.start(&merged.hyper.recipe)?;
        (untrained(k, saved) && !untrained(k, &merged)).then_some((k, start))
    });
    if let Some((knob, start)) = joins_early {
        return Err(Error::BadInput(format!(
            "cannot resume {}: {} from epoch {} would start within the {} it has trained without it; it may join from epoch {} on ({} {4})",
            opts.out.display(),
            knob.what(),
            start,
            plural(done, "epoch"),
            done + 1,
            flag(knob.from_field())
        )));
    }
    for ((field, old), (_, new)) in saved.locked_fields().into_iter().zip(wanted.locked_fields()) {
        let architecture = field.ends_with("_arch") || field == "latent_dim";
        if Scheduled::ALL.into_iter().any(|k| k.fields().contains(&field) && untrained(k, saved)) {
            continue;
        }
        if old != new && (architecture || opts.gave(field)) {
            // Values as a user would type them (the digest keeps `Some(300)`, `None`).
            let shown = |v: String| {
                v.strip_prefix("Some(")
                    .and_then(|v| v.strip_suffix(')'))
                    .map_or(v.replace("None", "none"), str::to_string)
            };
            return Err(Error::ResumeMismatch {
                run: opts.out.clone(),
                flag: if architecture { format!("(architecture) {field}") } else { field.replace('_', "-") },
                saved: shown(old),
                given: shown(new),
            });
        }
    }
    // The planned epochs are the run's unless --epochs says otherwise (which the trainer
    // says once the checkpoint has loaded).
    opts.epochs.get_or_insert(saved.epochs);
    opts.dataset = Dataset::from_name(&saved.dataset)
        .ok_or_else(|| Error::BadInput(format!("{}: unknown dataset `{}`", opts.out.display(), saved.dataset)))?;
    opts.limit = saved.limit;
    // The run's settings; scheduled knobs given passed the checks above: equal to the
    // run's, or still to come in both.
    opts.hyper = merged.hyper.clone();
    opts.conditional = saved.conditional;
    opts.recipe = saved.recipe.clone();
    crate::options::check_combinations(opts)?;
    for knob in Scheduled::ALL.into_iter().filter(|&k| settings(&merged, k) != settings(saved, k)) {
        let now = settings(&merged, knob);
        eprintln!(
            "{}: {} now {}; the {} trained stay as they are",
            opts.out.display(),
            knob.what(),
            if now.is_empty() { "off".into() } else { now.join(" ") },
            plural(done, "epoch")
        );
    }
    Ok(())
}

/// `knob`'s settings in `config` as the flags that give them (`--lr-decay 0.8
/// --lr-decay-from 23`), those at their default left out.
fn settings(config: &TrainConfig, knob: Scheduled) -> Vec<String> {
    config
        .locked_fields()
        .into_iter()
        .filter(|(field, value)| knob.fields().contains(field) && value != "none")
        .map(|(field, value)| format!("{} {value}", flag(field)))
        .collect()
}
