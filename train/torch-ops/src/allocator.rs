//! Freed CPU memory kept in the process for the next training step.
//!
//! libtorch allocates CPU tensors with the C library's `malloc`. glibc serves a block at
//! or above its mmap threshold (128 KiB at first, then raised to the largest block freed)
//! with fresh pages from the kernel and unmaps it on `free`, and gives the heap's free
//! top back once it exceeds the trim threshold (twice the mmap threshold). A training
//! step allocates and frees dozens of activations and gradients of 1 to 5 MB (batch 100),
//! so with those defaults every step maps, faults in, zeroes and unmaps the same
//! megabytes again: 4.9 million page faults in 200 steps of `train` on two cores, 30% of
//! its task clock in the kernel. Fixed thresholds (32 MiB, glibc's largest mmap
//! threshold, and 1 GiB of free heap top) keep those blocks for reuse: 142 thousand
//! faults, and the process keeps its peak heap instead of returning it between steps.

/// glibc's largest mmap threshold on 64-bit targets (`DEFAULT_MMAP_THRESHOLD_MAX`): blocks
/// below it come from the heap, where freed ones are reused.
const MMAP_THRESHOLD: i32 = 32 << 20;
/// Free memory at the heap's top kept rather than returned to the kernel.
const TRIM_THRESHOLD: i32 = 1 << 30;

/// Keep freed heap memory for reuse (see the module docs); call once, first thing in
/// `main`, before any other thread starts (glibc's `mallopt` is not thread-safe). A
/// process that trains on CUDA loses nothing by it (its host tensors are few). Returns whether the C library took both settings
/// (`false` on a C library other than glibc, which keeps its own defaults).
pub fn keep_freed_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only sets allocator parameters, here to values glibc documents
        // as valid; the caller makes it before other threads exist (see above).
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
                && libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    false
}
