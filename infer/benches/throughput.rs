//! Images/s of the generator on tract and ONNX Runtime (CPU) at several batch sizes.
//!
//! `cargo bench -p dcgan-infer --bench throughput -- [MODEL.onnx] [SECONDS]` prints one
//! `backend batch images_per_s` line per case; `bench/infer.sh` runs it beside Python
//! onnxruntime on the same file.

use std::time::{Duration, Instant};

use infer::{Backend, Device, Generator};

const BATCHES: [usize; 4] = [1, 25, 64, 256];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let model = args.next().unwrap_or_else(|| "models/gen.onnx".into());
    let seconds: f64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(2.0);
    for (name, backend) in [("ort-cpu", Backend::Ort), ("tract", Backend::Tract)] {
        let g = Generator::from_path(model.as_ref(), backend, Device::Cpu)?;
        for batch in BATCHES {
            let z = infer::latents(1, batch);
            for _ in 0..3 {
                g.run(&z, None)?; // warm-up: first runs allocate and pick kernels
            }
            let (started, mut images) = (Instant::now(), 0usize);
            while started.elapsed() < Duration::from_secs_f64(seconds) {
                std::hint::black_box(g.run(&z, None)?);
                images += batch;
            }
            println!("{name} {batch} {:.1}", images as f64 / started.elapsed().as_secs_f64());
        }
    }
    Ok(())
}
