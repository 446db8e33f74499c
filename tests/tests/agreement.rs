//! tract and ONNX Runtime reproduce the trainer: every exported table (the generator,
//! the conditional generator, the discriminators, BN folded and kept) against tch's
//! eval-mode output on the same weights, for several batch sizes.

#![allow(clippy::unwrap_used)] // helpers of tests: a panic is the failure report

use dcgan::{Arch, CONDITIONAL_GENERATOR, DISCRIMINATOR, EMBED_DISCRIMINATOR, GENERATOR, PROJECTION_DISCRIMINATOR};
use dcgan_infer::Device;
use dcgan_infer::ort_backend::OrtModel;
use dcgan_infer::tract_backend::TractModel;
use dcgan_tests::{assert_within, labels, random_net, tch_eval};
use export::{Bn, max_abs_diff};

/// Runtime against trainer (DESIGN.md §2).
const AGREEMENT_TOLERANCE: f32 = 1e-5;
/// Row i alone against row i in a batch of 64.
const BATCH_INDEPENDENCE_TOLERANCE: f32 = 1e-6;
const BATCHES: [usize; 3] = [1, 7, 64];

fn exported(arch: &'static Arch, bn: Bn, seed: i64) -> (train::Net, Vec<u8>) {
    let net = random_net(arch, seed);
    let bytes = export::to_onnx(arch, &net.to_host(), bn, &export::metadata(arch, None, None, bn));
    (net, bytes)
}

/// Inputs of `arch` for `n` rows: latents or images, and labels when conditional.
fn inputs(arch: &Arch, n: usize) -> (Vec<f32>, Vec<usize>, Option<Vec<i64>>) {
    let per_row: usize = arch.input.iter().product();
    let x = dcgan::SplitMix64::new(n as u64).latents(n, per_row);
    let shape = std::iter::once(n).chain(arch.input.iter().copied()).collect();
    (x, shape, arch.condition.map(|_| labels(n, 3)))
}

fn check_runtimes_against_tch(arch: &'static Arch, bn: Bn) {
    let (net, bytes) = exported(arch, bn, 7);
    let tract = TractModel::from_bytes(&bytes).unwrap();
    let ort = OrtModel::from_bytes(&bytes, Device::Cpu, arch.input_name, arch.output_name).unwrap();
    for n in BATCHES {
        let (x, shape, l) = inputs(arch, n);
        let want = tch_eval(&net, &x, &shape, l.as_deref());
        let (t, t_shape) = tract.run(&x, &shape, l.as_deref()).unwrap();
        let (o, o_shape) = ort.run(&x, &shape, l.as_deref()).unwrap();
        let mut out_shape = vec![n];
        out_shape.extend(arch.output());
        assert_eq!((&t_shape, &o_shape), (&out_shape, &out_shape));
        let what = format!("{} (conditional: {}) BN {bn:?}, N={n}", arch.name, arch.condition.is_some());
        assert_within(&format!("{what}: tract vs tch"), max_abs_diff(&t, &want), AGREEMENT_TOLERANCE);
        assert_within(&format!("{what}: ort-cpu vs tch"), max_abs_diff(&o, &want), AGREEMENT_TOLERANCE);
    }
}

#[test]
fn runtimes_match_the_trainer_with_folded_bn() {
    check_runtimes_against_tch(&GENERATOR, Bn::Folded);
}

#[test]
fn runtimes_match_the_trainer_with_kept_bn() {
    check_runtimes_against_tch(&GENERATOR, Bn::Kept);
}

#[test]
fn runtimes_match_the_trainer_on_the_conditional_generator() {
    check_runtimes_against_tch(&CONDITIONAL_GENERATOR, Bn::Folded);
    check_runtimes_against_tch(&CONDITIONAL_GENERATOR, Bn::Kept);
}

#[test]
fn the_discriminators_export_too() {
    for arch in [&DISCRIMINATOR, &PROJECTION_DISCRIMINATOR, &EMBED_DISCRIMINATOR] {
        check_runtimes_against_tch(arch, Bn::Folded);
    }
}

#[test]
fn output_rows_do_not_depend_on_the_batch() {
    for arch in [&GENERATOR, &CONDITIONAL_GENERATOR] {
        let (_, bytes) = exported(arch, Bn::Folded, 7);
        let tract = TractModel::from_bytes(&bytes).unwrap();
        let ort = OrtModel::from_bytes(&bytes, Device::Cpu, "z", "image").unwrap();
        let (z, _, l) = inputs(arch, 64);
        type Run<'a> = &'a dyn Fn(&[f32], Option<&[i64]>) -> Vec<f32>;
        let runs: [(&str, Run); 2] = [
            ("tract", &|z, l| tract.run(z, &[z.len() / 100, 100], l).unwrap().0),
            ("ort", &|z, l| ort.run(z, &[z.len() / 100, 100], l).unwrap().0),
        ];
        for (name, run) in runs {
            let all = run(&z, l.as_deref());
            let worst = [0usize, 1, 31, 63]
                .iter()
                .map(|&i| {
                    let one = run(&z[i * 100..(i + 1) * 100], l.as_ref().map(|l| &l[i..i + 1]));
                    max_abs_diff(&one, &all[i * 784..(i + 1) * 784])
                })
                .fold(0.0, f32::max);
            let what = format!("{name}, conditional: {}: row at N=1 vs N=64", arch.condition.is_some());
            assert_within(&what, worst, BATCH_INDEPENDENCE_TOLERANCE);
        }
    }
}

#[test]
fn labels_change_the_conditional_output() {
    let (_, bytes) = exported(&CONDITIONAL_GENERATOR, Bn::Folded, 7);
    let tract = TractModel::from_bytes(&bytes).unwrap();
    let z = dcgan::latent::latents(1, 2);
    let (a, _) = tract.run(&z, &[2, 100], Some(&[3, 3])).unwrap();
    let (b, _) = tract.run(&z, &[2, 100], Some(&[3, 8])).unwrap();
    assert_eq!(a[..784], b[..784], "row 0 keeps its label");
    let moved = max_abs_diff(&a[784..], &b[784..]);
    println!("label 3 → 8 moves row 1 by max |Δ| = {moved:.3} (must exceed 1e-3)");
    assert!(moved > 1e-3, "another label, another image");
}
