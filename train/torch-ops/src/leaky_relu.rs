//! LeakyReLU with its slope: `at::leaky_relu` through `src/shim.cpp`.

#[cfg(torch_ops)]
use std::ffi::{CStr, c_char, c_int, c_void};

use tch::{TchError, Tensor};

#[cfg(torch_ops)]
unsafe extern "C" {
    fn dcgan_leaky_relu(x: *const c_void, slope: f64, out: *mut *mut c_void, err: *mut c_char, len: usize) -> c_int;
}

/// LeakyReLU, `x` where `x > 0` and `slope · x` elsewhere, recorded by autograd: any shape,
/// any device. The values and gradients are bit for bit those of PReLU with weight
/// `slope` (both multiply by the slope as a float).
pub fn leaky_relu(x: &Tensor, slope: f64) -> Result<Tensor, TchError> {
    #[cfg(torch_ops)]
    {
        let mut out: *mut c_void = std::ptr::null_mut();
        let mut err = [0 as c_char; 1024];
        // SAFETY: `x.as_ptr()` is tch's live `at::Tensor*`, read only during the call; on
        // success the shim stores a fresh heap `at::Tensor*` in `out`, which
        // `Tensor::from_ptr` takes ownership of (tch frees it as it frees its own).
        let status = unsafe { dcgan_leaky_relu(x.as_ptr().cast(), slope, &mut out, err.as_mut_ptr(), err.len()) };
        if status == 0 && !out.is_null() {
            // SAFETY: as above: a tensor the shim allocated for us, owned by nobody else.
            return Ok(unsafe { Tensor::from_ptr(out.cast()) });
        }
        // SAFETY: the buffer starts zeroed and the shim writes a NUL-terminated message
        // into it (snprintf), so it holds a NUL either way.
        let message = unsafe { CStr::from_ptr(err.as_ptr()) }.to_string_lossy().into_owned();
        Err(TchError::Torch(message))
    }
    #[cfg(not(torch_ops))]
    {
        let weight = Tensor::f_full([1i64], slope, (x.kind(), x.device()))?;
        x.f_prelu(&weight)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    /// Values and gradients are the same numbers, not just close.
    const TOLERANCE: f64 = 0.0;

    #[test]
    fn leaky_relu_is_prelu_with_a_constant_weight_bit_for_bit() {
        tch::manual_seed(0);
        let x = Tensor::randn([100, 64, 14, 14], (Kind::Float, Device::Cpu));
        let _ = x.view([-1]).narrow(0, 0, 7).zero_(); // the kink itself
        let grad = Tensor::randn([100, 64, 14, 14], (Kind::Float, Device::Cpu));
        let weight = Tensor::from_slice(&[0.2f32]);
        let run = |f: &dyn Fn(&Tensor) -> Tensor| {
            let x = x.copy().set_requires_grad(true);
            let y = f(&x);
            (&y * &grad).sum(Kind::Float).backward();
            (y.detach(), x.grad())
        };
        let (ours, ours_grad) = run(&|x| leaky_relu(x, 0.2).expect("a float tensor"));
        let (prelu, prelu_grad) = run(&|x| x.prelu(&weight));
        let dy = f64::try_from((&ours - &prelu).abs().max()).expect("a scalar");
        let dg = f64::try_from((&ours_grad - &prelu_grad).abs().max()).expect("a scalar");
        println!("leaky_relu vs prelu: max |Δ| value {dy:e}, gradient {dg:e} (tolerance {TOLERANCE:e})");
        assert!(dy <= TOLERANCE && dg <= TOLERANCE);
        assert!(ours.equal(&prelu) && ours_grad.equal(&prelu_grad));
        // A shim that dropped the slope (tch's 0.01) would be far off.
        let negative = f64::try_from(leaky_relu(&Tensor::from_slice(&[-1.0f32]), 0.2).expect("a float tensor"));
        assert_eq!(negative.expect("a scalar"), f64::from(-0.2f32));
    }

    #[test]
    fn a_refused_call_is_an_error_not_an_abort() {
        // LeakyReLU is not defined for booleans: libtorch throws, the shim reports it.
        let flags = Tensor::from_slice(&[true, false]);
        let e = leaky_relu(&flags, 0.2).expect_err("a boolean tensor is refused");
        println!("{e}");
        assert!(e.to_string().contains("Bool") && !e.to_string().contains("frame #"), "{e}");
    }

    #[test]
    fn the_shim_is_built_in_ci() {
        println!("shim built: {}", cfg!(torch_ops));
        assert!(cfg!(torch_ops) || std::env::var_os("CI").is_none(), "CI builds against libtorch's headers");
    }
}
