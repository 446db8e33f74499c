//! `bench/compare_seeds.py`, the ship rule: a candidate generator ships only when its
//! seed-by-seed odd-half Fréchet distance is below the shipped one's by more than two
//! standard errors of the paired difference. Checked on made-up `eval --seeds` files
//! whose verdicts are known by hand: exit 0 (ship), 3 (do not ship), 2 (not comparable).

#![allow(clippy::unwrap_used)] // a test: a panic is the failure report

use std::path::{Path, PathBuf};
use std::process::Command;

/// What `eval --onnx FILE --seeds N --out FILE.json` writes, as far as the rule reads it.
fn eval_json(dir: &Path, name: &str, seed: u64, count: u64, frechet_report: &[f64]) -> PathBuf {
    let seeds: Vec<String> =
        frechet_report.iter().map(|f| format!(r#"{{"count": {count}, "frechet_report": {f}}}"#)).collect();
    let path = dir.join(name);
    std::fs::write(&path, format!(r#"{{"seed": {seed}, "seeds": [{}]}}"#, seeds.join(", "))).unwrap();
    path
}

/// The rule's exit status and its last line, for the files `a` (shipped) and `b`.
fn verdict(a: &Path, b: &Path) -> (i32, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/compare_seeds.py");
    let o = Command::new("python3").arg(script).args([a, b]).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    println!("{text}");
    (o.status.code().unwrap(), text.trim_end().lines().last().unwrap_or_default().to_string())
}

#[test]
fn the_ship_rule_takes_a_clear_gain_and_nothing_less() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = [2.00, 2.20, 1.90, 2.40, 2.10, 2.30, 1.95, 2.25, 2.05, 2.15];
    let old = eval_json(dir.path(), "shipped.json", 0, 10000, &shipped);

    // Lower by 0.15 ± 0.05 seed by seed: mean −0.15, standard error 0.05/√10·(10/9)^½ ≈ 0.017.
    let gain: Vec<f64> = shipped.iter().enumerate().map(|(i, f)| f - 0.15 + 0.05 * (-1f64).powi(i as i32)).collect();
    let (code, last) = verdict(&old, &eval_json(dir.path(), "gain.json", 0, 10000, &gain));
    assert_eq!((code, last.starts_with("ship")), (0, true), "a clear gain: {last}");

    // Lower by 0.05 on average but by ±0.3 from seed to seed: within two standard errors.
    let noise: Vec<f64> = shipped.iter().enumerate().map(|(i, f)| f - 0.05 + 0.3 * (-1f64).powi(i as i32)).collect();
    let (code, last) = verdict(&old, &eval_json(dir.path(), "noise.json", 0, 10000, &noise));
    assert_eq!((code, last.starts_with("do not ship")), (3, true), "a gain within the noise: {last}");

    // The same clear gain measured on other seeds, or on fewer samples, is not comparable.
    let (code, _) = verdict(&old, &eval_json(dir.path(), "seed5.json", 5, 10000, &gain));
    assert_eq!(code, 2, "other seeds");
    let (code, _) = verdict(&old, &eval_json(dir.path(), "small.json", 0, 1000, &gain));
    assert_eq!(code, 2, "other sample counts");
    std::fs::write(dir.path().join("bad.json"), r#"{"seed": 0, "seeds": [null]}"#).unwrap();
    let (code, _) = verdict(&old, &dir.path().join("bad.json"));
    assert_eq!(code, 2, "a file that is not eval's");
    let (code, _) = verdict(&old, &eval_json(dir.path(), "none.json", 0, 10000, &[]));
    assert_eq!(code, 2, "no seeds");
}
