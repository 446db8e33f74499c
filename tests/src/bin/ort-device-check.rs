//! ONNX Runtime on a device against the trainer, for `scripts/gpu-check.sh`.
//!
//! usage: `ort-device-check [DEVICE] [MODELS_DIR] [SECONDS]`   DEVICE: cuda (default),
//! cuda:N or cpu (the dry run CI takes); MODELS_DIR: the repository's `models/`.
//!
//! For each shipped generator and N = 1, 7, 64 rows, the library's ONNX Runtime backend
//! on DEVICE (TF32 off; CUDA registered with `error_on_failure`, so a missing provider
//! is an error, never the CPU) against a reference on this machine's CPU: the trainer
//! (tch, float32, eval mode) on the weights the file was exported from, or, for the int8
//! file, whose weights are the decoded int8 values, ONNX Runtime on the CPU. Then images/s
//! of the unconditional generator at batch 256 and 4096 on DEVICE. Prints one
//! `key<TAB>value` line per figure and exits 1 when a difference exceeds the tolerance.

#![allow(clippy::unwrap_used)] // a check program: a panic is the failure report

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use dcgan::{Arch, CONDITIONAL_GENERATOR, GENERATOR, SplitMix64};
use infer::{Backend, CudaOptions, Device, Generator};

/// Runtime against trainer (DESIGN.md §2), float32 with TF32 off.
const AGREEMENT_TOLERANCE: f32 = 1e-5;
const ROWS: [usize; 3] = [1, 7, 64];
const SPEED_BATCHES: [usize; 2] = [256, 4096];

/// A shipped file and where its reference comes from.
struct Shipped {
    onnx: &'static str,
    /// The trainer's weights it was exported from (`None`: compare with ORT on the CPU).
    weights: Option<(&'static str, &'static Arch)>,
}

const SHIPPED: [Shipped; 3] = [
    Shipped { onnx: "gen.onnx", weights: Some(("generator.safetensors", &GENERATOR)) },
    Shipped { onnx: "gen-cond.onnx", weights: Some(("cond/generator.safetensors", &CONDITIONAL_GENERATOR)) },
    Shipped { onnx: "gen.int8.onnx", weights: None },
];

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let device: Device = args.next().as_deref().unwrap_or("cuda").parse().unwrap();
    let models = PathBuf::from(args.next().unwrap_or_else(|| "models".into()));
    let seconds: f64 = args.next().map_or(2.0, |s| s.parse().unwrap());
    let library = infer::ort_backend::dylib_path().map_or_else(|e| e.to_string(), |p| p.display().to_string());
    println!("ONNX Runtime library\t{library}");
    let provider = match device {
        Device::Cpu => "CPU".to_string(),
        // Registered with error_on_failure: had it not registered, loading would have failed.
        Device::Cuda(i) => format!("CUDA (device {i}; no CPU fallback)"),
    };
    println!("ONNX Runtime provider\t{provider}");
    let mut worst = 0f32;
    for shipped in &SHIPPED {
        let bytes = std::fs::read(models.join(shipped.onnx)).unwrap();
        let started = Instant::now();
        let on_device = match load(&bytes, device) {
            Ok(g) => g,
            Err(e) => {
                println!("error\t{}: ONNX Runtime on {device}: {e}", shipped.onnx);
                return ExitCode::FAILURE;
            }
        };
        println!("{} on {device}: session ready\t{:.0} ms", shipped.onnx, started.elapsed().as_secs_f64() * 1e3);
        let reference = Reference::new(shipped, &models, &bytes);
        for n in ROWS {
            let z = SplitMix64::new(n as u64).latents(n, dcgan::arch::LATENT_DIM);
            let labels = on_device.conditional().then(|| (0..n as i64).map(|i| (i * 7 + 3) % 10).collect::<Vec<_>>());
            let got = on_device.run(&z, labels.as_deref()).unwrap();
            let diff = dcgan::tensors::max_abs_diff(&got, &reference.run(&z, labels.as_deref()));
            worst = worst.max(diff);
            println!(
                "{} on {device} vs {}, N={n}, max |Δ|\t{diff:.3e} (tolerance {AGREEMENT_TOLERANCE:.0e})",
                shipped.onnx, reference.name
            );
        }
    }
    let g = load(&std::fs::read(models.join("gen.onnx")).unwrap(), device).unwrap();
    for batch in SPEED_BATCHES {
        let z = SplitMix64::new(1).latents(batch, dcgan::arch::LATENT_DIM);
        let rate = rate(|| drop(g.run(&z, None).unwrap()), batch, seconds);
        println!("ONNX Runtime on {device}, gen.onnx, batch {batch}, images/s\t{rate:.0}");
    }
    if worst > AGREEMENT_TOLERANCE {
        println!("error\tmax |Δ| {worst:.3e} exceeds the tolerance {AGREEMENT_TOLERANCE:.0e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// The library's ONNX Runtime backend on `device`, TF32 off.
fn load(bytes: &[u8], device: Device) -> Result<Generator, infer::Error> {
    Generator::from_bytes_with(bytes, Backend::Ort, device, CudaOptions { tf32: false })
}

/// z [N,100] (and labels [N]) -> images [N,1,28,28], flat.
type Run = Box<dyn Fn(&[f32], Option<&[i64]>) -> Vec<f32>>;

/// What the device's output is compared with, on this machine's CPU.
struct Reference {
    name: &'static str,
    run: Run,
}

impl Reference {
    fn new(shipped: &Shipped, models: &Path, bytes: &[u8]) -> Self {
        match shipped.weights {
            Some((file, arch)) => {
                let (tensors, _) = dcgan::tensors::read(&models.join(file)).unwrap();
                let net = train::Net::from_host(arch, &tensors, tch::Device::Cpu, false);
                let run = move |z: &[f32], labels: Option<&[i64]>| {
                    let n = z.len() / dcgan::arch::LATENT_DIM;
                    dcgan_tests::tch_eval(&net, z, &[n, dcgan::arch::LATENT_DIM], labels)
                };
                Self { name: "trainer (tch, CPU)", run: Box::new(run) }
            }
            None => {
                let cpu = load(bytes, Device::Cpu).unwrap();
                Self { name: "ONNX Runtime (CPU)", run: Box::new(move |z, labels| cpu.run(z, labels).unwrap()) }
            }
        }
    }

    fn run(&self, z: &[f32], labels: Option<&[i64]>) -> Vec<f32> {
        (self.run)(z, labels)
    }
}

/// Rows per second of `run` (batch rows each) over about `seconds`, after 3 warm-up runs.
fn rate(run: impl Fn(), batch: usize, seconds: f64) -> f64 {
    for _ in 0..3 {
        run();
    }
    let (start, mut n) = (Instant::now(), 0usize);
    while start.elapsed().as_secs_f64() < seconds {
        run();
        n += batch;
    }
    n as f64 / start.elapsed().as_secs_f64()
}
