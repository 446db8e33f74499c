//! Adam with its state held as plain tensors, so a checkpoint can save and restore it
//! exactly (tch's optimisers cannot export their moments).
//!
//! The step count, the learning rate and the bias corrections live in float64 tensors
//! on the parameters' device, not on the host: a step captured once in a CUDA graph and
//! replayed (`train --cuda-graphs`) then advances its own bias correction, where
//! libtorch's C++ Adam, whose step is a host integer, would replay step 1's forever. On
//! the CPU the update is bit-identical to computing those scalars on the host (tested).

use dcgan::TensorMap;
use tch::{Device, Tensor};

use crate::model::{Net, device_scalar, to_host, to_tch_like};

/// Adam (Kingma & Ba), PyTorch's update rule, no weight decay of its own.
#[derive(Debug)]
pub struct Adam {
    beta1: f64,
    beta2: f64,
    eps: f64,
    /// Updates taken so far (the host's copy, for checkpoints).
    pub step: i64,
    m: Vec<Tensor>,
    v: Vec<Tensor>,
    /// The device's copy of `step` and the learning rate, float64 scalars.
    device_step: Tensor,
    device_lr: Tensor,
}

impl Adam {
    /// Zero moments shaped like `net`'s trainable tensors.
    pub fn new(net: &Net, lr: f64, beta1: f64, beta2: f64) -> Self {
        let params: Vec<Tensor> = net.trainable().iter().map(|(_, p)| p.shallow_clone()).collect();
        Self::for_tensors(&params, lr, beta1, beta2)
    }

    /// Zero moments shaped like `params`.
    pub fn for_tensors(params: &[Tensor], lr: f64, beta1: f64, beta2: f64) -> Self {
        let zeros = || params.iter().map(Tensor::zeros_like).collect::<Vec<_>>();
        let device = params.first().map_or(Device::Cpu, Tensor::device);
        Self {
            beta1,
            beta2,
            eps: 1e-8,
            step: 0,
            m: zeros(),
            v: zeros(),
            device_step: device_scalar(0.0, device),
            device_lr: device_scalar(lr, device),
        }
    }

    /// Change the learning rate (for a schedule); moments are kept. Written into the
    /// device's copy in place, so a captured step sees it.
    pub fn set_lr(&mut self, lr: f64) {
        let _ = self.device_lr.fill_(lr);
    }

    /// One update of `net`'s trainable tensors from their gradients, which it then clears.
    pub fn step(&mut self, net: &Net) {
        let params: Vec<Tensor> = net.trainable().iter().map(|(_, p)| p.shallow_clone()).collect();
        self.step_tensors(&params);
    }

    /// One update of `params` (in the order given at construction) from their gradients.
    /// Reads nothing back from the device.
    pub fn step_tensors(&mut self, params: &[Tensor]) {
        self.step += 1;
        let (b1, b2, eps) = (self.beta1, self.beta2, self.eps);
        tch::no_grad(|| {
            let t = self.device_step.g_add_scalar_(1.0);
            // 1 − β^t, √(1 − β₂^t), lr / (1 − β₁^t): float64, as the host computed them.
            let bc1 = -Tensor::pow_scalar(b1, &t) + 1.0;
            let bc2_sqrt = (-Tensor::pow_scalar(b2, &t) + 1.0).sqrt();
            let neg_inv_step_size = (&self.device_lr / &bc1).reciprocal().neg();
            // p ← p − step·m / (√v/√bc2 + ε), written with in-place ops and one temporary
            // per tensor (tch's addcmul_/addcdiv_ take no scale, so the scales are folded
            // into v's update and into the denominator).
            for ((p, m), v) in params.iter().zip(&mut self.m).zip(&mut self.v) {
                let mut g = p.grad();
                let _ = m.lerp_(&g, 1.0 - b1);
                let _ = v.g_mul_scalar_(b2 / (1.0 - b2)).addcmul_(&g, &g).g_mul_scalar_(1.0 - b2);
                let mut denom = v.sqrt();
                let _ = denom.g_div_(&bc2_sqrt).g_add_scalar_(eps).g_mul_(&neg_inv_step_size);
                let _ = p.shallow_clone().addcdiv_(m, &denom);
                let _ = g.zero_();
            }
        });
    }

    /// Moments as host tensors, named `PREFIX.m.PARAM` / `PREFIX.v.PARAM`.
    pub fn to_host(&self, net: &Net, prefix: &str, out: &mut TensorMap) {
        for (((name, _), m), v) in net.trainable().into_iter().zip(&self.m).zip(&self.v) {
            out.insert(format!("{prefix}.m.{name}"), to_host(m));
            out.insert(format!("{prefix}.v.{name}"), to_host(v));
        }
    }

    /// Restore moments saved by [`Adam::to_host`]; `None` when one is missing or not
    /// shaped like its parameter.
    pub fn load_host(&mut self, net: &Net, prefix: &str, saved: &TensorMap, step: i64, device: Device) -> Option<()> {
        for (((name, p), m), v) in net.trainable().into_iter().zip(&mut self.m).zip(&mut self.v) {
            *m = to_tch_like(saved.get(&format!("{prefix}.m.{name}"))?, p)?.to_device(device);
            *v = to_tch_like(saved.get(&format!("{prefix}.v.{name}"))?, p)?.to_device(device);
        }
        self.step = step;
        self.device_step = device_scalar(step as f64, device);
        self.device_lr = self.device_lr.to_device(device);
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::PRESETS;
    use tch::Kind;

    const STEPS: usize = 50;

    /// The update as it was with the step and the bias corrections on the host: what
    /// the device-step Adam must reproduce bit for bit.
    struct HostStepAdam {
        lr: f64,
        beta1: f64,
        beta2: f64,
        step: i32,
        m: Vec<Tensor>,
        v: Vec<Tensor>,
    }

    impl HostStepAdam {
        fn step(&mut self, params: &[Tensor]) {
            self.step += 1;
            let bc1 = 1.0 - self.beta1.powi(self.step);
            let bc2_sqrt = (1.0 - self.beta2.powi(self.step)).sqrt();
            let step_size = self.lr / bc1;
            let b2 = self.beta2;
            tch::no_grad(|| {
                for ((p, m), v) in params.iter().zip(&mut self.m).zip(&mut self.v) {
                    let mut g = p.grad();
                    let _ = m.lerp_(&g, 1.0 - self.beta1);
                    let _ = v.g_mul_scalar_(b2 / (1.0 - b2)).addcmul_(&g, &g).g_mul_scalar_(1.0 - b2);
                    let mut denom = v.sqrt();
                    let _ = denom.g_div_scalar_(bc2_sqrt).g_add_scalar_(1e-8).g_mul_scalar_(-1.0 / step_size);
                    let _ = p.shallow_clone().addcdiv_(m, &denom);
                    let _ = g.zero_();
                }
            });
        }
    }

    /// Two identical sets of parameters shaped like a small net's. (Random values are
    /// drawn once and copied: tests run in parallel and share libtorch's generator.)
    fn twin_params() -> (Vec<Tensor>, Vec<Tensor>) {
        let a: Vec<Tensor> = [vec![64, 1, 5, 5], vec![64], vec![1], vec![4096, 100]]
            .iter()
            .map(|s| (Tensor::randn(s.as_slice(), (Kind::Float, Device::Cpu)) * 0.02).set_requires_grad(true))
            .collect();
        let b = a.iter().map(|p| p.detach().copy().set_requires_grad(true)).collect();
        (a, b)
    }

    /// The same fresh random gradients on both sets.
    fn set_grads(ours: &[Tensor], theirs: &[Tensor]) {
        for (a, b) in ours.iter().zip(theirs) {
            let r = Tensor::randn(a.size(), (Kind::Float, Device::Cpu)) * 1e-2;
            (a * &r).sum(Kind::Float).backward();
            (b * &r).sum(Kind::Float).backward();
        }
    }

    /// (what, lr, β₁, β₂): each recipe's D and G optimisers, and the classifier's.
    fn settings() -> Vec<(String, f64, f64, f64)> {
        let h = dcgan::config::Hyper::default();
        let mut out = vec![("classifier".to_string(), 1e-3, 0.9, 0.999)];
        for preset in PRESETS {
            let flag = |name: &str| {
                let at = preset.flags.iter().position(|f| *f == name)?;
                preset.flags.get(at + 1)?.parse::<f64>().ok()
            };
            out.push((format!("{} D", preset.name), flag("--lr-d").unwrap_or(h.lr), h.beta1_d, h.beta2));
            out.push((format!("{} G", preset.name), flag("--lr-g").unwrap_or(h.lr), h.beta1_g, h.beta2));
        }
        out
    }

    #[test]
    fn device_step_adam_is_bit_identical_to_the_host_step_update() {
        for (what, lr, beta1, beta2) in settings() {
            let (ours, theirs) = twin_params();
            let mut adam = Adam::for_tensors(&ours, lr, beta1, beta2);
            let zeros = || theirs.iter().map(Tensor::zeros_like).collect();
            let mut reference = HostStepAdam { lr, beta1, beta2, step: 0, m: zeros(), v: zeros() };
            for step in 1..=STEPS {
                if step == STEPS / 2 {
                    // A schedule's change of learning rate (--lr-decay) between epochs.
                    adam.set_lr(lr * 0.9);
                    reference.lr = lr * 0.9;
                }
                set_grads(&ours, &theirs);
                adam.step_tensors(&ours);
                reference.step(&theirs);
                for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
                    let diff = f64::try_from((a - b).abs().max()).unwrap_or(f64::NAN);
                    assert!(a.equal(b), "{what}: step {step}, tensor {i} differs by {diff:e}");
                }
            }
            println!("{what}: lr {lr}, β₁ {beta1}: {STEPS} steps bit-identical to the host-step update");
        }
    }
}
