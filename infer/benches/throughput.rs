//! Images/s of the generator on ONNX Runtime (CPU) and tract at several batch sizes,
//! each as the library runs it beside the alternatives it was measured against: one
//! thread; for ONNX Runtime (intra-op threads) single-threaded sessions side by side on
//! row chunks; for tract (row chunks side by side) its multithreaded matrix products,
//! one chunk at a time.
//!
//! `cargo bench -p dcgan-infer --bench throughput -- [MODEL.onnx] [SECONDS]` prints one
//! `case batch images_per_s` line per case; `bench/infer.sh` runs it beside Python
//! onnxruntime on the same file.

use std::time::{Duration, Instant};

use dcgan_infer::chunks::run_in_chunks;
use dcgan_infer::ort_backend::OrtModel;
use dcgan_infer::{Backend, Device, Error, Generator};
use tract_linalg::multithread::{Executor, multithread_tract_scope};

const BATCHES: [usize; 4] = [1, 25, 64, 256];

/// One way of running a batch of latents.
type Runner = Box<dyn Fn(&[f32]) -> Result<Vec<f32>, Error>>;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let model = args.next().unwrap_or_else(|| "models/gen.onnx".into());
    let seconds: f64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(2.0);
    let cores = dcgan_infer::available_threads();
    let bytes = std::fs::read(&model)?;
    let generator = |backend, threads| -> Result<Runner, Error> {
        let g = Generator::builder().bytes(&bytes).backend(backend).build()?.with_threads(threads)?;
        Ok(Box::new(move |z| g.run(z, None)))
    };
    // The alternative measured for ONNX Runtime: one single-threaded session per core,
    // running 16-row chunks side by side as the tract backend does.
    let ort_sessions = || -> Result<Runner, Error> {
        let one = || OrtModel::from_bytes(&bytes, Device::Cpu, "z", "image")?.with_intra_op_threads(1);
        let sessions = (0..cores).map(|_| one()).collect::<Result<Vec<_>, _>>()?;
        Ok(Box::new(move |z| {
            let shape = [z.len() / 100, 100];
            run_in_chunks(
                z,
                &shape,
                None,
                &dcgan_infer::chunks::uniform(shape[0], 16),
                cores,
                |worker, chunk, shape, _| sessions[worker].run(chunk, shape, None),
            )
            .map(|(values, _)| values)
        }))
    };
    // (name, runner, under tract's multithreaded executor)
    let cases: [(&str, Runner, bool); 6] = [
        ("ort-cpu", generator(Backend::Ort, cores)?, false),
        ("ort-1thread", generator(Backend::Ort, 1)?, false),
        ("ort-sessions", ort_sessions()?, false),
        ("tract", generator(Backend::Tract, cores)?, false),
        ("tract-1thread", generator(Backend::Tract, 1)?, false),
        ("tract-mm", generator(Backend::Tract, 1)?, true),
    ];
    for (name, run, mm) in cases {
        for batch in BATCHES {
            let z = dcgan_infer::latents(1, batch);
            let measure = || -> Result<f64, Error> {
                for _ in 0..3 {
                    run(&z)?; // warm-up: first runs allocate and pick kernels
                }
                let (started, mut images) = (Instant::now(), 0usize);
                while started.elapsed() < Duration::from_secs_f64(seconds) {
                    std::hint::black_box(run(&z)?);
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
