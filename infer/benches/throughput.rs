//! Images/s of the generator on ONNX Runtime (CPU) and tract at several batch sizes;
//! tract with its chunks side by side on every core, on one thread, and as it ran
//! before (one chunk at a time, tract's own multithreaded matrix products).
//!
//! `cargo bench -p dcgan-infer --bench throughput -- [MODEL.onnx] [SECONDS]` prints one
//! `backend batch images_per_s` line per case; `bench/infer.sh` runs it beside Python
//! onnxruntime on the same file.

use std::time::{Duration, Instant};

use infer::{Backend, Device, Generator};
use tract_linalg::multithread::{Executor, multithread_tract_scope};

const BATCHES: [usize; 4] = [1, 25, 64, 256];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let model = args.next().unwrap_or_else(|| "models/gen.onnx".into());
    let seconds: f64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(2.0);
    let cores = infer::tract_backend::available_threads();
    // (name, backend, chunks at once, tract's own multithreaded products): the last case
    // is tract as it ran before chunks ran side by side.
    let cases = [
        ("ort-cpu".to_string(), Backend::Ort, cores, false),
        ("tract".to_string(), Backend::Tract, cores, false),
        ("tract-1thread".to_string(), Backend::Tract, 1, false),
        ("tract-mm".to_string(), Backend::Tract, 1, true),
    ];
    for (name, backend, threads, mm) in cases {
        let g = Generator::from_path(model.as_ref(), backend, Device::Cpu)?.with_threads(threads);
        for batch in BATCHES {
            let z = infer::latents(1, batch);
            let measure = || -> Result<f64, infer::Error> {
                for _ in 0..3 {
                    g.run(&z, None)?; // warm-up: first runs allocate and pick kernels
                }
                let (started, mut images) = (Instant::now(), 0usize);
                while started.elapsed() < Duration::from_secs_f64(seconds) {
                    std::hint::black_box(g.run(&z, None)?);
                    images += batch;
                }
                Ok(images as f64 / started.elapsed().as_secs_f64())
            };
            let rate = if mm { multithread_tract_scope(Executor::multithread(cores), measure)? } else { measure()? };
            println!("{name} {batch} {rate:.1}");
        }
    }
    Ok(())
}
