//! tract and ONNX Runtime reproduce the trainer: the exported generator (BN folded and
//! kept) against tch's eval-mode output on the same weights, for several batch sizes.

#![allow(clippy::unwrap_used)] // helpers of tests: a panic is the failure report

use dcgan::{DISCRIMINATOR, GENERATOR, latent::latents};
use dcgan_tests::{assert_within, random_generator, random_net, tch_eval};
use export::{Bn, max_abs_diff};
use infer::Device;
use infer::ort_backend::OrtModel;
use infer::tract_backend::TractModel;

/// Runtime against trainer (DESIGN.md §2).
const AGREEMENT_TOLERANCE: f32 = 1e-5;
/// Row i alone against row i in a batch of 64.
const BATCH_INDEPENDENCE_TOLERANCE: f32 = 1e-6;
const BATCHES: [usize; 3] = [1, 7, 64];

fn exported(bn: Bn) -> (train::Net, Vec<u8>) {
    let (g, host) = random_generator(7);
    let bytes = export::to_onnx(&GENERATOR, &host, bn, &export::metadata(&GENERATOR, None, None, bn));
    (g, bytes)
}

fn check_runtimes_against_tch(bn: Bn) {
    let (g, bytes) = exported(bn);
    let tract = TractModel::from_bytes(&bytes).unwrap();
    let ort = OrtModel::from_bytes(&bytes, Device::Cpu, "z", "image").unwrap();
    for n in BATCHES {
        let z = latents(n as u64, n);
        let want = tch_eval(&g, &z, &[n, 100]);
        assert!(want.iter().all(|v| (-1.0..=1.0).contains(v)), "tch output outside [-1,1]");
        let t = tract.run(&z, &[n, 100]).unwrap();
        let o = ort.run(&z, &[n, 100]).unwrap();
        assert_within(&format!("BN {bn:?}, N={n}: tract vs tch"), max_abs_diff(&t, &want), AGREEMENT_TOLERANCE);
        assert_within(&format!("BN {bn:?}, N={n}: ort-cpu vs tch"), max_abs_diff(&o, &want), AGREEMENT_TOLERANCE);
        assert!(t.iter().chain(&o).all(|v| (-1.0..=1.0).contains(v)), "runtime output outside [-1,1]");
    }
}

#[test]
fn runtimes_match_the_trainer_with_folded_bn() {
    check_runtimes_against_tch(Bn::Folded);
}

#[test]
fn runtimes_match_the_trainer_with_kept_bn() {
    check_runtimes_against_tch(Bn::Kept);
}

#[test]
fn output_rows_do_not_depend_on_the_batch() {
    let (_, bytes) = exported(Bn::Folded);
    let tract = TractModel::from_bytes(&bytes).unwrap();
    let ort = OrtModel::from_bytes(&bytes, Device::Cpu, "z", "image").unwrap();
    let z = latents(3, 64);
    for (name, run) in [
        ("tract", &(|z: &[f32], n: usize| tract.run(z, &[n, 100]).unwrap()) as &dyn Fn(&[f32], usize) -> Vec<f32>),
        ("ort", &|z: &[f32], n: usize| ort.run(z, &[n, 100]).unwrap()),
    ] {
        let all = run(&z, 64);
        let worst = [0usize, 1, 31, 63]
            .iter()
            .map(|&i| max_abs_diff(&run(&z[i * 100..(i + 1) * 100], 1), &all[i * 784..(i + 1) * 784]))
            .fold(0.0, f32::max);
        assert_within(&format!("{name}: row at N=1 vs N=64"), worst, BATCH_INDEPENDENCE_TOLERANCE);
    }
}

#[test]
fn the_discriminator_exports_too() {
    let d = random_net(&DISCRIMINATOR, 11);
    let bytes = export::to_onnx(&DISCRIMINATOR, &d.to_host(), Bn::Folded, &[]);
    let x = dcgan::SplitMix64::new(5).latents(8, 784);
    let want = tch_eval(&d, &x, &[8, 1, 28, 28]);
    let got = TractModel::from_bytes(&bytes).unwrap().run(&x, &[8, 1, 28, 28]).unwrap();
    assert_eq!(got.len(), 8);
    assert_within("discriminator: tract vs tch", max_abs_diff(&got, &want), AGREEMENT_TOLERANCE);
}
