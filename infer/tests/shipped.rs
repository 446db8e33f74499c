//! The shipped models (`models/*.onnx`): each keeps the contract and its metadata,
//! reproduces the shipped weights' probe (`export --run models --check`), and
//! `infer --seed 0` writes the README's grid byte for byte.

#![allow(clippy::unwrap_used)] // a panic is the failure report

mod common;

use common::root;
use dcgan_infer::{Backend, Generator};
use export::{Bn, Precision, What};

/// Each shipped ONNX file with the run folder whose weights, probe and config it came
/// from and the precision of its weights: gen.onnx from models/, gen-NAME.onnx from
/// models/NAME/, and gen[-NAME].PRECISION.onnx the same weights stored compactly.
fn shipped() -> Vec<(std::path::PathBuf, std::path::PathBuf, Precision)> {
    let models = root().join("models");
    let mut files: Vec<_> = std::fs::read_dir(&models)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "onnx"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let stem = f.file_stem().unwrap().to_string_lossy().into_owned();
            let (stem, precision) = match stem.split_once('.') {
                Some((stem, p)) => (stem.to_string(), Precision::from_name(p).unwrap()),
                None => (stem, Precision::Fp32),
            };
            let run = stem.strip_prefix("gen-").map_or(models.clone(), |name| models.join(name));
            (f, run, precision)
        })
        .collect()
}

#[test]
fn every_shipped_model_keeps_the_contract_and_reproduces_its_weights() {
    let files = shipped();
    assert!(files.iter().any(|(f, ..)| f.ends_with("gen.onnx")), "models/gen.onnx is shipped");
    for (file, run, precision) in files {
        let g = Generator::builder().onnx(&file).backend(Backend::Tract).build().unwrap();
        let m = &g.info().metadata;
        for (key, want) in [
            ("latent_dim", "100"),
            ("latent_distribution", "uniform(-1,1)"),
            ("image_range", "[-1,1]"),
            ("dataset", "mnist"),
        ] {
            assert_eq!(m.get(key).map(String::as_str), Some(want), "{}: {key}", file.display());
        }
        // The rest of the README's list: present, with what the card says of the weights.
        for key in ["epochs", "config_digest", "producer"] {
            assert!(m.get(key).is_some_and(|v| !v.is_empty()), "{}: no {key}", file.display());
        }
        assert_eq!(m.get("weights").map(String::as_str), Some("ema(0.999)"), "{}: weights", file.display());
        assert!(!g.info().assumed_defaults);
        assert_eq!(g.conditional(), m.get("conditional").map(String::as_str) == Some("true"));
        if g.conditional() {
            assert_eq!(m.get("num_classes").map(String::as_str), Some("10"), "{}", file.display());
        }
        let config: dcgan::TrainConfig =
            serde_json::from_str(&std::fs::read_to_string(run.join("config.json")).unwrap()).unwrap();
        assert_eq!(
            m.get("config_digest"),
            Some(&config.digest()),
            "{}: the digest of its shipped config",
            file.display()
        );
        let check = export::check_with_precision(&run, &file, What::Generator, Bn::Folded, precision).unwrap();
        println!(
            "{} ({} weights): probe max |Δ| = {:.2e} (tolerance {:.1e}); byte-identical to a fresh export: {}",
            file.display(),
            precision.name(),
            check.max_diff,
            precision.tolerance(),
            check.identical
        );
        assert!(check.identical, "{} is what `export --run {}` writes", file.display(), run.display());
    }
}

#[test]
fn infer_seed_0_writes_the_readme_grid_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("samples.png");
    let onnx = root().join("models/gen.onnx");
    common::infer(&["--onnx", common::s(&onnx), "--seed", "0", "-n", "25", "--out", common::s(&out)]);
    assert!(std::fs::read(&out).unwrap() == std::fs::read(root().join("models/samples.png")).unwrap());
}
