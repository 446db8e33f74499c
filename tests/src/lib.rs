//! Shared helpers of the agreement tests: a randomly initialised generator whose
//! BatchNorm statistics are not trivial, its tch reference output, and the exported
//! bytes run through tract and ONNX Runtime.

// Test helpers: a failure here is a failed test, so unwrap is the clearest report.
#![allow(clippy::unwrap_used)]

use dcgan::{Arch, GENERATOR, TensorMap};
use tch::{Device, Kind, Tensor};
use train::Net;

/// A network of `arch` with N(0, 0.02) weights and, for every BatchNorm, random scale,
/// offset, running mean and running variance, so that eval-mode BN is far from identity
/// and a mistake in folding or keeping it shows.
pub fn random_net(arch: &'static Arch, seed: i64) -> Net {
    tch::manual_seed(seed);
    let mut net = Net::init(arch, Device::Cpu);
    tch::no_grad(|| {
        for (name, t) in &mut net.params {
            let shape = t.size();
            let r = Tensor::randn(&shape, (Kind::Float, Device::Cpu));
            let new = if name.ends_with("running_var") {
                r.abs() * 0.5 + 0.25
            } else if name.ends_with("running_mean") || (name.starts_with("bn") && name.ends_with(".bias")) {
                r * 0.2
            } else if name.starts_with("bn") && name.ends_with(".weight") {
                r * 0.2 + 1.0
            } else if name == dcgan::arch::LABEL_TABLE {
                // Large enough that a wrong label (or none) shows in every output.
                r * 0.5
            } else {
                continue;
            };
            t.copy_(&new);
        }
    });
    net
}

/// The trainer's eval-mode output for input values of shape `shape` (and labels for a
/// conditional net), in float32 on the CPU.
pub fn tch_eval(net: &Net, input: &[f32], shape: &[usize], labels: Option<&[i64]>) -> Vec<f32> {
    let dims: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
    let x = Tensor::from_slice(input).view(dims.as_slice());
    let labels = labels.map(Tensor::from_slice);
    train::model::to_host(&net.eval(&x, labels.as_ref())).data
}

/// `n` labels in 0–9 from a SplitMix64 stream.
pub fn labels(n: usize, seed: u64) -> Vec<i64> {
    let mut rng = dcgan::SplitMix64::new(seed);
    (0..n).map(|_| rng.below(10) as i64).collect()
}

/// Print a measured difference beside its tolerance and check it.
pub fn assert_within(what: &str, measured: f32, tolerance: f32) {
    println!("{what}: max |Δ| = {measured:.3e} (tolerance {tolerance:.0e})");
    assert!(measured <= tolerance, "{what}: max |Δ| = {measured:e} exceeds {tolerance:e}");
}

/// A run folder as `train` leaves it, from a random generator and discriminator (weights,
/// probes computed by tch on the CPU, config.json), without training.
pub fn fake_run(dir: &std::path::Path, seed: i64) {
    use dcgan::{DISCRIMINATOR, SplitMix64, Tensor as Host, run};
    use std::collections::HashMap;
    std::fs::create_dir_all(dir).unwrap();
    let g = random_net(&GENERATOR, seed);
    let d = random_net(&DISCRIMINATOR, seed + 1);
    let meta = HashMap::from([("epoch".to_string(), "3".to_string())]);
    dcgan::tensors::write(&dir.join(run::GENERATOR), &g.to_host(), &meta).unwrap();
    dcgan::tensors::write(&dir.join(run::DISCRIMINATOR), &d.to_host(), &meta).unwrap();
    let z = SplitMix64::new(1).latents(16, 100);
    let x = SplitMix64::new(2).latents(16, 784);
    let probe = |input: (&str, Vec<f32>, Vec<usize>), output: &str, net: &Net| {
        let out = tch_eval(net, &input.1, &input.2, None);
        let mut out_shape = vec![16];
        out_shape.extend(net.arch.output());
        TensorMap::from([
            (input.0.to_string(), Host { shape: input.2.clone(), data: input.1.clone() }),
            (output.to_string(), Host { shape: out_shape, data: out }),
        ])
    };
    let none = HashMap::new();
    dcgan::tensors::write(&dir.join(run::PROBE_GENERATOR), &probe(("z", z, vec![16, 100]), "image", &g), &none)
        .unwrap();
    dcgan::tensors::write(
        &dir.join(run::PROBE_DISCRIMINATOR),
        &probe(("image", x, vec![16, 1, 28, 28]), "logit", &d),
        &none,
    )
    .unwrap();
    let config = dcgan::TrainConfig {
        dataset: "mnist".into(),
        dataset_sha256: "0".repeat(64),
        limit: Some(512),
        epochs: 3,
        hyper: dcgan::config::Hyper { seed: seed as u64, ..Default::default() },
        latent_dim: 100,
        generator_arch: GENERATOR.digest(),
        discriminator_arch: DISCRIMINATOR.digest(),
        conditional: None,
        recipe: None,
        sample_every: 1,
        versions: Default::default(),
    };
    std::fs::write(dir.join(run::CONFIG), serde_json::to_string_pretty(&config).unwrap()).unwrap();
}
