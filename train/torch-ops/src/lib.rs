//! What the trainer needs of libtorch that tch does not reach.
//!
//! - [`leaky_relu`] with a slope. tch generates its bindings from ATen's operator list
//!   but drops scalar arguments that have defaults, so `Tensor::leaky_relu` always has
//!   slope 0.01. The DCGAN's slope is 0.2; PReLU with a constant weight computes the same
//!   values, but its backward also reduces a gradient for that weight over the whole
//!   activation: 13 ms against 3 to 5 ms for forward and backward of D's three
//!   activations at batch 100 on two cores. [`leaky_relu`] calls `at::leaky_relu` through
//!   `src/shim.cpp`, which `build.rs` compiles against the headers of the libtorch
//!   `scripts/setup.sh` installs; a build without those headers computes it with PReLU.
//! - [`keep_freed_memory`]: libtorch takes its CPU tensors from the C library's `malloc`,
//!   whose defaults hand large freed blocks back to the kernel, so that every training
//!   step faults its activations' pages in anew.

mod allocator;
mod leaky_relu;

pub use allocator::keep_freed_memory;
pub use leaky_relu::leaky_relu;
