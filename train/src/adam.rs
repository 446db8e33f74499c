//! Adam with its state held as plain tensors, so a checkpoint can save and restore it
//! exactly (tch's optimisers cannot export their moments).

use dcgan::TensorMap;
use tch::{Device, Tensor};

use crate::model::{Net, to_host, to_tch_like};

/// Adam (Kingma & Ba), PyTorch's update rule, no weight decay of its own.
#[derive(Debug)]
pub struct Adam {
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    /// Updates taken so far.
    pub step: i64,
    m: Vec<Tensor>,
    v: Vec<Tensor>,
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
        Self { lr, beta1, beta2, eps: 1e-8, step: 0, m: zeros(), v: zeros() }
    }

    /// Change the learning rate (for a schedule); moments are kept.
    pub fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    /// One update of `net`'s trainable tensors from their gradients, which it then clears.
    pub fn step(&mut self, net: &Net) {
        let params: Vec<Tensor> = net.trainable().iter().map(|(_, p)| p.shallow_clone()).collect();
        self.step_tensors(&params);
    }

    /// One update of `params` (in the order given at construction) from their gradients.
    pub fn step_tensors(&mut self, params: &[Tensor]) {
        self.step += 1;
        let bc1 = 1.0 - self.beta1.powi(self.step as i32);
        let bc2_sqrt = (1.0 - self.beta2.powi(self.step as i32)).sqrt();
        let step_size = self.lr / bc1;
        let (b2, eps) = (self.beta2, self.eps);
        // p ← p − step·m / (√v/√bc2 + ε), written with in-place ops and one temporary
        // per tensor (tch's addcmul_/addcdiv_ take no scale, so the scales are folded
        // into v's update and into the denominator).
        tch::no_grad(|| {
            for ((p, m), v) in params.iter().zip(&mut self.m).zip(&mut self.v) {
                let mut g = p.grad();
                let _ = m.lerp_(&g, 1.0 - self.beta1);
                let _ = v.g_mul_scalar_(b2 / (1.0 - b2)).addcmul_(&g, &g).g_mul_scalar_(1.0 - b2);
                let mut denom = v.sqrt();
                let _ = denom.g_div_scalar_(bc2_sqrt).g_add_scalar_(eps).g_mul_scalar_(-1.0 / step_size);
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
        Some(())
    }
}
