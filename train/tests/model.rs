//! The networks built from the table: every layer's shape, and the two TF "SAME" layers
//! checked numerically against the un-padded op plus the explicit crop or pad
//! (shapes alone cannot tell a one-pixel shift, DESIGN.md §1).

#![allow(clippy::unwrap_used)] // helpers of tests: a panic is the failure report

use dcgan::{DISCRIMINATOR, GENERATOR};
use tch::{Device, Kind, Tensor};
use train::Net;

/// Float32 reassociation between two formulations of the same convolution.
const GEOMETRY_TOLERANCE: f64 = 1e-5;

fn net(arch: &'static dcgan::Arch) -> Net {
    tch::manual_seed(3);
    Net::init(arch, Device::Cpu)
}

fn max_diff(a: &Tensor, b: &Tensor) -> f64 {
    assert_eq!(a.size(), b.size());
    (a - b).abs().max().double_value(&[])
}

#[test]
fn every_layer_has_the_tables_shape() {
    for (arch, input) in [(&GENERATOR, vec![5i64, 100]), (&DISCRIMINATOR, vec![5, 1, 28, 28])] {
        let n = net(arch);
        let mut h = Tensor::randn(input.as_slice(), (Kind::Float, Device::Cpu));
        for (i, (name, shape)) in arch.shapes().into_iter().enumerate() {
            h = tch::no_grad(|| n.layer(i, &h, None, true));
            let want: Vec<i64> = std::iter::once(5).chain(shape.iter().map(|&d| d as i64)).collect();
            assert_eq!(h.size(), want, "{} layer {name}", arch.name);
        }
    }
}

#[test]
fn ct1_is_the_full_transposed_convolution_cropped_to_rows_1_to_7() {
    let g = net(&GENERATOR);
    let x = Tensor::randn([3, 256, 4, 4], (Kind::Float, Device::Cpu));
    let ours = tch::no_grad(|| g.op(1, &x));
    let (w, b) = (&g.params[2].1, &g.params[3].1);
    assert_eq!(g.params[2].0, "ct1.weight");
    // TF "SAME": the full output is 10×10; keep rows and columns 1..=7.
    let full = tch::no_grad(|| x.conv_transpose2d(w, Some(b), [2, 2], [0, 0], [0, 0], 1, [1, 1]));
    assert_eq!(full.size(), [3, 128, 10, 10]);
    let reference = full.narrow(2, 1, 7).narrow(3, 1, 7);
    let d = max_diff(&ours, &reference);
    println!("ct1 vs full-then-crop: max |Δ| = {d:.2e} (tolerance {GEOMETRY_TOLERANCE:.0e})");
    assert!(d <= GEOMETRY_TOLERANCE);
    // The look-alike (padding 2, output_padding 1) has the same shape, shifted.
    let shifted = tch::no_grad(|| x.conv_transpose2d(w, Some(b), [2, 2], [2, 2], [1, 1], 1, [1, 1]));
    assert_eq!(shifted.size(), reference.size());
    assert!(max_diff(&shifted, &reference) > 1e-3, "the test must tell the shifted geometry apart");
}

#[test]
fn c3_is_an_unpadded_convolution_after_zero_padding_1_before_and_2_after() {
    let d = net(&DISCRIMINATOR);
    let x = Tensor::randn([3, 128, 7, 7], (Kind::Float, Device::Cpu));
    let ours = tch::no_grad(|| d.op(2, &x));
    let (w, b) = (&d.params[4].1, &d.params[5].1);
    assert_eq!(d.params[4].0, "c3.weight");
    // Build the 10×10 zero-padded input by hand: x sits at rows and columns 1..=7.
    let padded = Tensor::zeros([3, 128, 10, 10], (Kind::Float, Device::Cpu));
    padded.narrow(2, 1, 7).narrow(3, 1, 7).copy_(&x);
    let reference = tch::no_grad(|| padded.conv2d(w, Some(b), [2, 2], [0, 0], [1, 1], 1));
    assert_eq!(reference.size(), [3, 256, 4, 4]);
    let diff = max_diff(&ours, &reference);
    println!("c3 vs pad-then-conv: max |Δ| = {diff:.2e} (tolerance {GEOMETRY_TOLERANCE:.0e})");
    assert!(diff <= GEOMETRY_TOLERANCE);
    let shifted = tch::no_grad(|| x.conv2d(w, Some(b), [2, 2], [2, 2], [1, 1], 1));
    assert_eq!(shifted.size(), reference.size());
    assert!(max_diff(&shifted, &reference) > 1e-3, "the test must tell the shifted geometry apart");
}

#[test]
fn eval_mode_uses_running_statistics_and_is_batch_independent() {
    let g = net(&GENERATOR);
    let z = Tensor::rand([8, 100], (Kind::Float, Device::Cpu)) * 2.0 - 1.0;
    let all = g.eval(&z, None);
    let one = g.eval(&z.narrow(0, 2, 1), None);
    assert!(max_diff(&all.narrow(0, 2, 1), &one) < 1e-6);
    let train_mode = tch::no_grad(|| g.forward(&z, None, true));
    assert!(max_diff(&train_mode, &all) > 1e-4, "train mode uses batch statistics");
}
