//! Where tract's time goes: microseconds per node of one 16-row chunk (the unit
//! `TractModel` runs), single-threaded and with tract's own multithreaded matrix
//! products on every core, so the two ways of using the cores can be compared node by
//! node.
//!
//! `cargo bench -p dcgan-infer --bench profile -- [MODEL.onnx] [RUNS]` prints a Markdown
//! table (`bench/infer.sh` puts it beside the throughput table).

use std::collections::BTreeMap;
use std::time::Instant;

use tract_linalg::multithread::{Executor, multithread_tract_scope};
use tract_onnx::prelude::*;
use tract_onnx::tract_core::plan::eval;

/// Rows per profiled run: `dcgan_infer::tract_backend::CHUNK`.
const ROWS: usize = dcgan_infer::tract_backend::CHUNK;

/// Mean microseconds per node (by name, op) over `runs` runs after 5 warm-up runs.
fn profile(plan: &Arc<TypedRunnableModel>, runs: usize) -> TractResult<BTreeMap<(usize, String), f64>> {
    let mut state = plan.spawn()?;
    let z = Tensor::from_shape(&[ROWS, 100], &dcgan_infer::latents(1, ROWS))?;
    let mut times: BTreeMap<(usize, String), f64> = BTreeMap::new();
    for run in 0..runs + 5 {
        state.run_plan_with_eval(tvec!(z.clone().into_tvalue()), |ctx, op_state, node, inputs| {
            let started = Instant::now();
            let out = eval(ctx, op_state, node, inputs);
            if run >= 5 {
                let key = (node.id, format!("{} ({})", node.name, node.op().name()));
                *times.entry(key).or_default() += started.elapsed().as_secs_f64() * 1e6 / runs as f64;
            }
            out
        })?;
    }
    Ok(times)
}

fn main() -> TractResult<()> {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let model = args.next().unwrap_or_else(|| "models/gen.onnx".into());
    let runs: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(200);
    let plan = tract_onnx::onnx()
        .model_for_path(&model)?
        .with_input_fact(0, f32::fact([ROWS, 100]).into())?
        .into_optimized()?
        .into_runnable()?;
    let cores = dcgan_infer::available_threads();
    let single = profile(&plan, runs)?;
    let multi = multithread_tract_scope(Executor::multithread(cores), || profile(&plan, runs))?;
    println!("\n| node (op), {ROWS} rows | 1 thread µs | share | tract's {cores}-thread products µs | speed-up |");
    println!("|---|---:|---:|---:|---:|");
    let total: f64 = single.values().sum();
    for (key, t1) in &single {
        let tn = multi.get(key).copied().unwrap_or(f64::NAN);
        println!("| {} | {t1:.0} | {:.0}% | {tn:.0} | {:.2}× |", key.1, 100.0 * t1 / total, t1 / tn);
    }
    let total_n: f64 = multi.values().sum();
    println!("| **all** | {total:.0} | 100% | {total_n:.0} | {:.2}× |", total / total_n);
    Ok(())
}
