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
//! of the unconditional generator at batch 256 and 4096 on DEVICE, through the library,
//! and with ONNX Runtime's CUDA graph option: a session of its own whose input and
//! output are bound to tensors on the device (a captured graph replays on fixed
//! addresses), each run copying the latents in and the images out, checked against the
//! library's output. Prints one `key<TAB>value` line per figure and exits 1 when a
//! difference exceeds the tolerance.

#![allow(clippy::unwrap_used)] // a check program: a panic is the failure report

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use dcgan::{Arch, CONDITIONAL_GENERATOR, GENERATOR, SplitMix64};
use dcgan_infer::{Backend, CudaOptions, Device, Generator};

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
    let library = dcgan_infer::ort_backend::dylib_path().map_or_else(|e| e.to_string(), |p| p.display().to_string());
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
    let bytes = std::fs::read(models.join("gen.onnx")).unwrap();
    let g = load(&bytes, device).unwrap();
    for batch in SPEED_BATCHES {
        let z = SplitMix64::new(1).latents(batch, dcgan::arch::LATENT_DIM);
        let plain = rate(|| drop(g.run(&z, None).unwrap()), batch, seconds);
        println!("ONNX Runtime on {device}, gen.onnx, batch {batch}, images/s\t{plain:.0}");
        let what = match device {
            Device::Cpu => "bound to CPU tensors (on a GPU: CUDA graph)",
            Device::Cuda(_) => "CUDA graph, bound to device tensors",
        };
        match Bound::new(&bytes, device, batch) {
            Ok(mut bound) => {
                let diff = dcgan::tensors::max_abs_diff(&bound.run(&z).unwrap(), &g.run(&z, None).unwrap());
                worst = worst.max(diff);
                let graphed = rate(|| drop(bound.run(&z).unwrap()), batch, seconds);
                println!(
                    "ONNX Runtime on {device}, {what}, gen.onnx, batch {batch}, images/s\t{graphed:.0} (max |Δ| to the library's {diff:.1e})"
                );
            }
            Err(e) => println!("ONNX Runtime on {device}, {what}, batch {batch}\tFAILED: {e}"),
        }
    }
    if worst > AGREEMENT_TOLERANCE {
        println!("error\tmax |Δ| {worst:.3e} exceeds the tolerance {AGREEMENT_TOLERANCE:.0e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// The library's ONNX Runtime backend on `device`, TF32 off.
fn load(bytes: &[u8], device: Device) -> Result<Generator, dcgan_infer::Error> {
    Generator::builder()
        .bytes(bytes)
        .backend(Backend::Ort)
        .device(device)
        .cuda_options(CudaOptions { tf32: false })
        .build()
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

/// A session whose input `z` and output `image` are bound to tensors on its device,
/// with the CUDA provider's graph option on: ONNX Runtime captures the run once and
/// replays it, which it can only do on the same addresses every time.
struct Bound {
    session: ort::session::Session,
    binding: ort::session::IoBinding,
    z: ort::value::Tensor<f32>,
    image: ort::value::Tensor<f32>,
    host_image: ort::value::Tensor<f32>,
    batch: usize,
}

impl Bound {
    fn new(bytes: &[u8], device: Device, batch: usize) -> Result<Self, Box<dyn std::error::Error>> {
        use ort::memory::{AllocationDevice, Allocator, AllocatorType, MemoryInfo, MemoryType};
        use ort::value::Tensor;
        let mut builder = ort::session::Session::builder(dcgan_infer::ort_backend::environment()?)?;
        if let Device::Cuda(i) = device {
            let cuda = ort::ep::CUDA::default().with_device_id(i as i32).with_tf32(false).with_cuda_graph(true);
            builder = builder.with_execution_providers([cuda.build().error_on_failure()])?;
        }
        let session = builder.commit_from_memory(bytes)?;
        let allocator = match device {
            Device::Cpu => Allocator::default(),
            Device::Cuda(i) => {
                let memory =
                    MemoryInfo::new(AllocationDevice::CUDA, i as i32, AllocatorType::Device, MemoryType::Default)?;
                Allocator::new(&session, memory)?
            }
        };
        let z = Tensor::<f32>::new(&allocator, [batch, dcgan::arch::LATENT_DIM])?;
        let mut image = Tensor::<f32>::new(&allocator, [batch, 1, 28, 28])?;
        let mut binding = session.create_binding()?;
        binding.bind_input("z", &z)?;
        binding.bind_output("image", &mut image)?;
        let host_image = Tensor::<f32>::new(&Allocator::default(), [batch, 1, 28, 28])?;
        Ok(Self { session, binding, z, image, host_image, batch })
    }

    /// z [batch,100] -> images [batch,1,28,28], flat: copy in, run, copy out.
    fn run(&mut self, z: &[f32]) -> Result<Vec<f32>, Box<dyn std::error::Error>> {
        let host_z = ort::value::Tensor::from_array(([self.batch, dcgan::arch::LATENT_DIM], z.to_vec()))?;
        host_z.copy_into(&mut self.z)?;
        drop(self.session.run_binding(&self.binding)?);
        self.image.copy_into(&mut self.host_image)?;
        Ok(self.host_image.extract_tensor().1.to_vec())
    }
}

/// Rows per second of `run` (batch rows each) over about `seconds`, after 3 warm-up runs.
fn rate(mut run: impl FnMut(), batch: usize, seconds: f64) -> f64 {
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
