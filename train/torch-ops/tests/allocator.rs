//! Its own test binary without libtest's harness: the allocator settings and the
//! page-fault count are process-wide, and the work runs on the main thread (glibc's main
//! arena), as `train`'s steps do. The same work runs in a child process with glibc's
//! defaults, the reference.

use std::process::Command;

use tch::{Device, Kind, Tensor};

/// The tuned process must fault in at most this share of the reference's pages.
const MAX_FAULT_RATIO: f64 = 0.25;
/// Rounds measured, after one round of warm-up.
const ROUNDS: i64 = 20;
/// Set in the child that runs the reference.
const REFERENCE: &str = "DCGAN_ALLOCATOR_REFERENCE";

fn minor_faults() -> i64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given; RUSAGE_SELF is always valid.
    let status = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
    assert_eq!(status, 0, "getrusage");
    // SAFETY: initialised by the successful call above (and zeroed before it).
    unsafe { usage.assume_init() }.ru_minflt
}

/// A step of D's first two layers at batch 100, forward and backward: the activations
/// and gradients (1 to 5 MB each) a training step allocates and frees.
fn round(w1: &Tensor, w2: &Tensor) {
    let x = Tensor::ones([100, 1, 28, 28], (Kind::Float, Device::Cpu));
    let h = torch_ops::leaky_relu(&x.conv2d(w1, None::<Tensor>, [2, 2], [1, 1], [1, 1], 1), 0.2).expect("floats");
    let y = torch_ops::leaky_relu(&h.conv2d(w2, None::<Tensor>, [2, 2], [1, 1], [1, 1], 1), 0.2).expect("floats");
    y.sum(Kind::Float).backward();
}

/// Page faults per round of [`round`] in this process.
fn faults_per_round() -> i64 {
    tch::manual_seed(0);
    let w1 = (Tensor::randn([64, 1, 4, 4], (Kind::Float, Device::Cpu)) * 0.02).set_requires_grad(true);
    let w2 = (Tensor::randn([128, 64, 4, 4], (Kind::Float, Device::Cpu)) * 0.02).set_requires_grad(true);
    round(&w1, &w2);
    let before = minor_faults();
    (0..ROUNDS).for_each(|_| round(&w1, &w2));
    (minor_faults() - before) / ROUNDS
}

fn main() {
    if std::env::var_os(REFERENCE).is_some() {
        return println!("{}", faults_per_round());
    }
    let exe = std::env::current_exe().expect("this test's path");
    let child = Command::new(exe)
        .env(REFERENCE, "1")
        .env_remove("GLIBC_TUNABLES")
        .env_remove("MALLOC_MMAP_THRESHOLD_")
        .env_remove("MALLOC_TRIM_THRESHOLD_")
        .output()
        .expect("the reference run starts");
    assert!(child.status.success(), "reference run: {}", String::from_utf8_lossy(&child.stderr));
    let reference: i64 = String::from_utf8_lossy(&child.stdout).trim().parse().expect("a count");
    assert!(torch_ops::keep_freed_memory(), "glibc takes both settings");
    let tuned = faults_per_round();
    let ratio = tuned as f64 / reference.max(1) as f64;
    println!(
        "page faults per step of two conv layers: {tuned} kept against {reference} with glibc's defaults \
         (ratio {ratio:.3}, at most {MAX_FAULT_RATIO})"
    );
    assert!(ratio <= MAX_FAULT_RATIO);
}
