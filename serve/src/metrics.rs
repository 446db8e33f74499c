//! `GET /metrics`: Prometheus text format 0.0.4, with Triton's `nv_inference_*` names
//! where the meaning is the same (labels `model`, `version`), so dashboards made for
//! Triton read `serve` too. Counters only grow while the process lives.
//!
//! Inference requests are the REST `…/infer` calls and gRPC `ModelInfer` calls; as in
//! Triton, a request's queue and compute times are summed per request, and
//! `nv_inference_count` counts rows (images) while `nv_inference_exec_count` counts model
//! runs, of inference requests and `/v1/samples.png` alike. `/v1/samples.png` requests
//! are counted apart, as `dcgan_samples_png_request_success` and `…_failure`, so that
//! every request that ran the model is counted under a name that says which kind.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::batcher::{BATCH_BUCKETS, Stats};

/// Why an inference request failed: Triton's `reason` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Not queued: the queue was full, or the server was stopping.
    Rejected,
    /// The model run failed (our fault).
    Backend,
    /// The request itself (the caller's fault).
    Other,
}

/// The `reason` label values, in the order of [`Requests::failure`].
const REASONS: [(Failure, &str); 3] =
    [(Failure::Rejected, "REJECTED"), (Failure::Backend, "BACKEND"), (Failure::Other, "OTHER")];

/// What the protocol handlers count.
#[derive(Debug, Default)]
pub(crate) struct Requests {
    success: AtomicU64,
    failure: [AtomicU64; REASONS.len()],
    /// Summed microseconds from a request's arrival to its answer.
    duration_us: AtomicU64,
}

impl Requests {
    /// One inference request, begun at `started`, answered or failed.
    pub(crate) fn record(&self, started: Instant, failure: Option<Failure>) {
        let counter = match failure {
            None => &self.success,
            Some(f) => &self.failure[REASONS.iter().position(|(r, _)| *r == f).unwrap_or(REASONS.len() - 1)],
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.duration_us.fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
    }
}

/// The text of `/metrics` for model `model` (version 1): inference requests, PNG
/// requests, the batcher's figures, requests refused for their API key (REST, gRPC).
pub(crate) fn render(
    model: &str,
    requests: &Requests,
    png: &Requests,
    batcher: &Stats,
    unauthorized: [u64; 2],
) -> String {
    let labels = format!("model=\"{}\",version=\"1\"", escape(model));
    let mut out = String::with_capacity(4096);
    let metric = |out: &mut String, name: &str, kind: &str, help: &str, value: u64| {
        let _ = write!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name}{{{labels}}} {value}\n");
    };
    let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
    for (prefix, what, counts) in [
        ("nv_inference_request", "inference requests (REST infer, gRPC ModelInfer)", requests),
        ("dcgan_samples_png_request", "/v1/samples.png requests", png),
    ] {
        let name = format!("{prefix}_success");
        metric(
            &mut out,
            &name,
            "counter",
            &format!("Number of successful {what}, all batch sizes"),
            load(&counts.success),
        );
        let name = format!("{prefix}_failure");
        let _ = write!(out, "# HELP {name} Number of failed {what}, all batch sizes\n# TYPE {name} counter\n");
        for ((_, reason), count) in REASONS.iter().zip(&counts.failure) {
            let _ = writeln!(out, "{name}{{{labels},reason=\"{reason}\"}} {}", load(count));
        }
    }
    let rows = "Number of inferences (rows) performed, for inference and PNG requests alike";
    metric(&mut out, "nv_inference_count", "counter", rows, batcher.rows);
    let runs = "Number of model executions performed, for inference and PNG requests alike";
    metric(&mut out, "nv_inference_exec_count", "counter", runs, batcher.runs);
    metric(
        &mut out,
        "nv_inference_request_duration_us",
        "counter",
        "Cumulative inference request duration in microseconds",
        load(&requests.duration_us),
    );
    metric(
        &mut out,
        "nv_inference_queue_duration_us",
        "counter",
        "Cumulative inference queuing duration in microseconds",
        batcher.queue_us,
    );
    metric(
        &mut out,
        "nv_inference_compute_infer_duration_us",
        "counter",
        "Cumulative compute inference duration in microseconds",
        batcher.compute_us,
    );
    metric(&mut out, "dcgan_queue_rows", "gauge", "Rows waiting or running now", batcher.queued_rows as u64);
    let name = "dcgan_batch_size";
    let _ = write!(out, "# HELP {name} Rows per model run\n# TYPE {name} histogram\n");
    let bounds = BATCH_BUCKETS.iter().map(u64::to_string).chain(["+Inf".to_string()]);
    for (bound, count) in bounds.zip(batcher.batch_buckets) {
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {count}");
    }
    let _ = writeln!(out, "{name}_sum{{{labels}}} {}", batcher.rows);
    let _ = writeln!(out, "{name}_count{{{labels}}} {}", batcher.runs);
    let name = "dcgan_unauthorized_requests_total";
    let _ = write!(out, "# HELP {name} Requests refused for a missing or wrong API key\n# TYPE {name} counter\n");
    for (protocol, count) in ["rest", "grpc"].into_iter().zip(unauthorized) {
        let _ = writeln!(out, "{name}{{protocol=\"{protocol}\"}} {count}");
    }
    out
}

/// A label value as the text format quotes it.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_histogram_is_cumulative_and_labels_are_escaped() {
        let stats = Stats {
            runs: 3,
            rows: 70,
            peak_in_flight: 1,
            queued_rows: 0,
            queue_us: 5,
            compute_us: 9,
            batch_buckets: [1, 1, 1, 1, 1, 2, 2, 3, 3, 3],
        };
        let text = render("a\"b", &Requests::default(), &Requests::default(), &stats, [3, 4]);
        assert!(text.contains("dcgan_batch_size_bucket{model=\"a\\\"b\",version=\"1\",le=\"64\"} 2\n"), "{text}");
        assert!(text.contains("dcgan_batch_size_bucket{model=\"a\\\"b\",version=\"1\",le=\"+Inf\"} 3\n"), "{text}");
        assert!(text.contains("nv_inference_count{model=\"a\\\"b\",version=\"1\"} 70\n"), "{text}");
        assert!(text.contains("dcgan_unauthorized_requests_total{protocol=\"grpc\"} 4\n"), "{text}");
    }
}
