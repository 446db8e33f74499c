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

/// What one lone request may take on top of its model run before it counts as having
/// waited for company (a tenth of the one-second delay below).
const LONE_REQUEST_SLACK: Duration = Duration::from_millis(100);

#[test]
fn a_lone_client_never_waits_for_company_and_a_crowd_still_batches() {
    let g = Arc::new(Generator::builder().threads(1).build().unwrap());
    let limits = Limits { max_batch: 64, max_delay: Duration::from_secs(1), max_queue_rows: 1000, runs_in_flight: 1 };
    let batcher = Batcher::start(Arc::clone(&g), limits);
    // One client, one row at a time: each answer before the next request. The first
    // waits the delay once (no load seen yet), then none does.
    batcher.submit(dcgan_infer::latents(9, 1), None).unwrap().blocking_recv().unwrap().unwrap();
    let alone = std::time::Instant::now();
    for seed in 0..5 {
        batcher.submit(dcgan_infer::latents(seed, 1), None).unwrap().blocking_recv().unwrap().unwrap();
    }
    let run = std::time::Instant::now();
    g.run(&dcgan_infer::latents(0, 1), None).unwrap();
    let (per_request, one_run) = (alone.elapsed() / 5, run.elapsed());
    println!(
        "lone client: {per_request:?} a request, {one_run:?} a model run of one row \
         (slack {LONE_REQUEST_SLACK:?}, --max-delay 1 s)"
    );
    assert!(per_request <= one_run + LONE_REQUEST_SLACK, "a lone request waited for company");
    // A crowd: 20 requests queued at once are answered in fewer runs than requests.
    let before = batcher.stats().runs;
    let answers: Vec<_> = (0..20).map(|seed| batcher.submit(dcgan_infer::latents(seed, 1), None).unwrap()).collect();
    for answer in answers {
        answer.blocking_recv().unwrap().unwrap();
    }
    let runs = batcher.stats().runs - before;
    println!("crowd: 20 requests in {runs} runs");
    assert!(runs < 20, "queued requests were not batched");
    batcher.close();
}
