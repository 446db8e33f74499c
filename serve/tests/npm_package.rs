//! `dcgan.js` as the npm package web apps install: `npm pack` in serve/web, the tarball
//! installed into an empty folder (no network: the package has no dependencies), then
//! imported by name in Node, its exports checked against the golden vectors that Rust
//! writes (dcgan/contract.json) and its type declarations found where `exports` says.

#![allow(clippy::unwrap_used)] // a panic is the failure report

mod common;

use std::path::Path;
use std::process::Command;

use common::root;

/// Largest |JS − Rust| of a latent value: both are exact in float32.
const LATENT_TOLERANCE: f64 = 0.0;

fn run(dir: &Path, program: &str, args: &[&str]) -> String {
    let o = Command::new(program).args(args).current_dir(dir).output().unwrap();
    let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "{program} {args:?} in {}: {out}{err}", dir.display());
    out.into_owned()
}

/// What the installed package gives an app that imports it by name.
const CHECK: &str = r#"
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as dcgan from 'dcgan-mnist';

const golden = JSON.parse(readFileSync(process.argv[2], 'utf8'));
let worst = 0;
for (const c of golden.latents) {
  const z = dcgan.latents(BigInt(c.seed), c.n);
  if (z.length !== c.z.length) throw new Error(`latents(${c.seed}, ${c.n}) has ${z.length} values`);
  z.forEach((v, k) => { worst = Math.max(worst, Math.abs(v - Math.fround(c.z[k]))); });
}
for (const g of golden.grids) {
  const got = dcgan.gridLayout(g.n, g.cols, g.scale);
  for (const key of ['cols', 'rows', 'width', 'height']) {
    if (got[key] !== g.layout[key]) throw new Error(`gridLayout(${g.n}, ${g.cols}, ${g.scale}).${key} = ${got[key]}`);
  }
}
const all = dcgan.digitsAll(golden.digits_all.per_row);
if (all.count !== golden.digits_all.count || !all.labels.every((l, i) => Number(l) === golden.digits_all.labels[i])) {
  throw new Error('digitsAll differs from the golden plan');
}
const main = fileURLToPath(import.meta.resolve('dcgan-mnist'));
const types = main.replace(/dcgan\.js$/, 'dcgan.d.ts');
if (!existsSync(types)) throw new Error(`no type declarations beside ${main}`);
console.log(JSON.stringify({ worst, latents: golden.latents.length, grids: golden.grids.length, main, exports: Object.keys(dcgan).length }));
"#;

#[test]
fn the_npm_package_installs_and_agrees_with_the_golden_vectors() {
    let have = |p: &str| Command::new(p).arg("--version").output().is_ok_and(|o| o.status.success());
    if !cli::ci::require("node and npm (scripts/setup-web.sh)", have("node") && have("npm")) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let web = root().join("serve/web");
    let packed = run(&web, "npm", &["pack", "--silent", "--pack-destination", dir.path().to_str().unwrap()]);
    let tarball = dir.path().join(packed.trim().lines().last().unwrap());
    let listing = run(dir.path(), "tar", &["-tzf", tarball.to_str().unwrap()]);
    let mut files: Vec<&str> = listing.lines().collect();
    files.sort_unstable();
    println!("{}: {files:?}", tarball.display());
    assert_eq!(
        files,
        ["package/dcgan.d.ts", "package/dcgan.js", "package/onnx-metadata.js", "package/package.json"],
        "what the package ships"
    );

    let app = dir.path().join("app");
    std::fs::create_dir(&app).unwrap();
    std::fs::write(app.join("package.json"), r#"{ "name": "an-app", "private": true, "type": "module" }"#).unwrap();
    run(&app, "npm", &["install", "--offline", "--no-audit", "--no-fund", "--silent", tarball.to_str().unwrap()]);
    std::fs::write(app.join("check.mjs"), CHECK).unwrap();
    let golden = root().join("dcgan/contract.json");
    let report = run(&app, "node", &["check.mjs", golden.to_str().unwrap()]);
    println!("installed dcgan-mnist in Node: {}", report.trim());
    let worst: f64 = serde_json::from_str::<serde_json::Value>(&report).unwrap()["worst"].as_f64().unwrap();
    println!("latents: max |JS − Rust| = {worst:e} (tolerance {LATENT_TOLERANCE:e})");
    assert!(worst <= LATENT_TOLERANCE);
}
