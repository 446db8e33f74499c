//! The batcher on its own: each caller gets its own rows back, whatever they were
//! batched with, and more than one run goes at once when rows wait.

#![allow(clippy::unwrap_used)] // a panic is the failure report

use std::sync::Arc;
use std::time::Duration;

use dcgan_infer::Generator;
use dcgan_serve::{Batcher, Limits};

/// Rows batched with others against the same rows run alone (DESIGN.md §2: batch
/// independence).
const BATCH_INDEPENDENCE: f32 = 1e-6;

#[test]
fn each_caller_gets_its_rows_and_runs_overlap_when_rows_wait() {
    let g = Arc::new(Generator::builder().threads(1).build().unwrap());
    for runs_in_flight in [1, 2, 3] {
        let limits = Limits { max_batch: 4, max_delay: Duration::from_millis(1), max_queue_rows: 1000, runs_in_flight };
        let batcher = Batcher::start(Arc::clone(&g), limits);
        let rows: Vec<Vec<f32>> = (0..48).map(|seed| dcgan_infer::latents(seed, 1)).collect();
        // All queued before the first run ends, so a second worker always finds rows.
        let answers: Vec<_> = rows.iter().map(|z| batcher.submit(z.clone(), None).unwrap()).collect();
        let mut worst = 0f32;
        for (z, answer) in rows.iter().zip(answers) {
            let got = answer.blocking_recv().unwrap().unwrap();
            worst = worst.max(dcgan::tensors::max_abs_diff(&got, &g.run(z, None).unwrap()));
        }
        batcher.close();
        let stats = batcher.stats();
        println!(
            "{runs_in_flight} runs in flight: {} runs of {} rows, at most {} at once; \
             max |Δ| vs alone {worst:.1e} (tolerance {BATCH_INDEPENDENCE:.0e})",
            stats.runs, stats.rows, stats.peak_in_flight
        );
        assert!(worst <= BATCH_INDEPENDENCE);
        assert_eq!(stats.rows, 48);
        assert!(stats.runs >= 12, "at most 4 rows per run");
        assert!(stats.peak_in_flight <= runs_in_flight);
        assert!(stats.peak_in_flight >= runs_in_flight.min(2), "a second run starts while the first is going");
    }
}
