//! The flags that answer and exit without training: `--list-recipes` and `--plot-only`.

#![allow(clippy::unwrap_used)] // a panic is the failure report

use std::process::{Command, Output};

fn train(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_train")).args(args).output().unwrap()
}

/// Every recipe is listed with exactly the flags it stands for, and the README says the
/// same of each recipe and of the defaults.
#[test]
fn list_recipes_shows_every_recipe_and_its_flags() {
    let o = train(&["--list-recipes"]);
    let out = String::from_utf8(o.stdout).unwrap();
    println!("{out}");
    assert!(o.status.success());
    let readme = std::fs::read_to_string(cli::ci::repo_root().join("README.md")).unwrap();
    let readme = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    for p in train::options::PRESETS {
        let flags = if p.flags.is_empty() { "(none)".to_string() } else { p.flags.join(" ") };
        let listed = out.lines().skip_while(|l| !l.starts_with(p.name)).nth(1).unwrap_or_default();
        assert_eq!(listed.trim(), format!("flags: {flags}"), "recipe {}", p.name);
        let stated = format!("`--recipe {}` stands for `{flags}`", p.name);
        assert!(p.flags.is_empty() || readme.contains(&stated), "README: no {stated}");
    }
    // Every knob beyond the tutorial is in a recipe or in the last line, as a flag train takes.
    let last = out.lines().last().unwrap_or_default();
    let help = String::from_utf8(train(&["--help"]).stdout).unwrap();
    for id in dcgan::TrainConfig::recipe_flags() {
        let flag = format!("--{}", id.replace('_', "-"));
        let in_preset = train::options::PRESETS.iter().any(|p| p.flags.contains(&flag.as_str()));
        assert!(in_preset != last.split_whitespace().any(|w| w == flag), "{flag}: in a recipe or in {last:?}, once");
        assert!(help.contains(&format!("{flag} ")), "`train --help` has no {flag}");
    }
    assert!(last.starts_with("in no recipe yet: "), "{last}");
    let h = dcgan::config::Hyper::default();
    let defaults = format!(
        "{} epochs, batch {}, Adam lr {:e} with β1 {} (D) and {} (G), β2 {}, L2 {:e}·Σw²/2 on D's c2 and c3 weights, N(0, {}) init",
        train::options::DEFAULT_EPOCHS,
        h.batch_size,
        h.lr,
        h.beta1_d,
        h.beta1_g,
        h.beta2,
        h.weight_decay,
        dcgan::arch::INIT_STD
    );
    println!("README's defaults: {defaults}");
    assert!(readme.contains(&defaults), "README: no `{defaults}`");
}

/// `--plot-only` redraws losses.png from losses.csv (rows as `train` writes them,
/// the Fréchet columns empty) and keeps the rows; a folder without rows is the
/// caller's mistake (exit 2).
#[test]
fn plot_only_redraws_the_plot_from_the_csv() {
    let dir = tempfile::tempdir().unwrap();
    let csv = "epoch,step,loss_d,loss_g,d_real,d_fake,seconds,images_per_s,frechet,frechet_report,coverage,confidence,label_accuracy\n\
               1,100,0.287346,1.352956,0.801303,0.245480,34.705,288.1,,,,,\n\
               1,200,0.222654,1.862441,0.793432,0.192998,76.960,236.7,,,,,\n\
               2,300,0.301000,1.500000,0.700000,0.300000,110.000,250.0,,,,,\n";
    std::fs::write(dir.path().join("losses.csv"), csv).unwrap();
    let o = train(&["--plot-only", "--out", cli::ci::arg(dir.path())]);
    let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    println!("{out}{err}");
    assert!(o.status.success(), "{err}");
    assert!(out.contains("losses.png"), "{out}");
    let plot = image::open(dir.path().join("losses.png")).unwrap();
    println!("losses.png: {}x{}", plot.width(), plot.height());
    assert!(plot.width() >= 400 && plot.height() >= 300, "a plot, not a stub");
    let rows = std::fs::read_to_string(dir.path().join("losses.csv")).unwrap();
    assert_eq!(rows, csv, "the rows are kept as they were");

    let empty = tempfile::tempdir().unwrap();
    let o = train(&["--plot-only", "--out", cli::ci::arg(empty.path())]);
    cli::ci::assert_refused("--plot-only on an empty folder", &o, "has no losses.csv rows to plot");
    assert!(!empty.path().join("losses.png").exists());
}

/// The README's sizes for `--augment` are the constants the step uses (`train --help`'s
/// are checked against them in the binary's own tests).
#[test]
fn the_readme_states_the_augmentations_sizes() {
    use dcgan::recipe::{CUTOUT_SIDE, MAX_SHIFT};
    let readme = std::fs::read_to_string(cli::ci::repo_root().join("README.md")).unwrap();
    let readme = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    for stated in [
        format!("shifted by up to {MAX_SHIFT} pixels each way"),
        format!("a {CUTOUT_SIDE}×{CUTOUT_SIDE} square blanked"),
    ] {
        println!("README: {stated:?}");
        assert!(readme.contains(&stated), "README does not say {stated:?}");
    }
}
