//! The pure-Rust backend: tract, on the CPU.
//!
//! tract's own multithreaded matrix products buy little on this small model (measured:
//! two cores did what one does), so a request is split into row chunks instead and the
//! chunks run side by side, one single-threaded plan run per core. The chunking does not
//! depend on the thread count, so results are bit-identical whatever it is.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tract_onnx::prelude::*;

use crate::Error;

/// Rows per run of a tract plan. tract optimises much better for a concrete batch size
/// than for a symbolic one, and its throughput falls for large batches (2 cores, this
/// model: about 2000 images/s at 1–32 rows, 800 at 256), so larger inputs are run in
/// chunks of this many rows, each with a plan optimised for its exact size.
pub const CHUNK: usize = 16;

/// An ONNX model with a batch-first float input (and, for a conditional generator, an
/// int64 `label` [N] second input) and one output, run by tract with plans optimised
/// per batch size (built on first use and cached).
///
/// Running takes `&self`: a `TractModel` is `Send + Sync` and can be shared between
/// threads; runs proceed in parallel.
pub struct TractModel {
    model: InferenceModel,
    plans: Mutex<HashMap<usize, Arc<TypedRunnableModel>>>,
    threads: usize,
}

impl std::fmt::Debug for TractModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TractModel").field("threads", &self.threads).finish_non_exhaustive()
    }
}

fn runtime(e: impl std::fmt::Display) -> Error {
    Error::Runtime(format!("tract: {e}"))
}

/// The cores this process may use (at least 1).
pub fn available_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// One chunk's output: values and shape.
type Output = (Vec<f32>, Vec<usize>);

impl TractModel {
    /// Parse ONNX bytes (plans are optimised on first use of each batch size).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let model = tract_onnx::onnx()
            .model_for_read(&mut &bytes[..])
            .map_err(|e| Error::NotOnnx(format!("tract cannot load it: {e:#}")))?;
        // tract loads an operator it does not know as a placeholder that fails only when
        // a plan is built; the file is the caller's, so say so now.
        if let Some(node) = model.nodes().iter().find(|n| n.op().name().starts_with("Unimplemented(")) {
            return Err(Error::NotOnnx(format!(
                "tract does not implement {} (node `{}`)",
                node.op().name(),
                node.name
            )));
        }
        Ok(Self { model, plans: Mutex::new(HashMap::new()), threads: available_threads() })
    }

    /// Run at most `threads` chunks at once (default: [`available_threads`]).
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// Chunks run at once.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// The plan for inputs of exactly `shape` (and labels [shape[0]] when `labelled`).
    fn plan(&self, shape: &[usize], labelled: bool) -> Result<Arc<TypedRunnableModel>, Error> {
        let mut plans = self.plans.lock().map_err(|_| runtime("a thread panicked while optimising"))?;
        if let Some(plan) = plans.get(&shape[0]) {
            return Ok(Arc::clone(plan));
        }
        let mut model = self.model.clone().with_input_fact(0, f32::fact(shape).into());
        if labelled {
            model = model.and_then(|m| m.with_input_fact(1, i64::fact([shape[0]]).into()));
        }
        // A plan that cannot be built is the file's doing (shapes or attributes that do
        // not fit together), so the caller's: exit 2 like any other unusable model.
        let plan = model
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .map_err(|e| Error::NotOnnx(format!("tract cannot build a plan for {} rows: {e:#}", shape[0])))?;
        plans.insert(shape[0], Arc::clone(&plan));
        Ok(plan)
    }

    /// Run on `input` of shape `shape` (batch first) and, for a conditional generator,
    /// one label per row, in chunks of [`CHUNK`] rows, up to [`TractModel::threads`] of
    /// them at once; returns the output's values and its shape with the batch summed over
    /// the chunks.
    pub fn run(&self, input: &[f32], shape: &[usize], labels: Option<&[i64]>) -> Result<Output, Error> {
        let per_row: usize = shape[1..].iter().product();
        let chunks: Vec<(usize, &[f32])> = input.chunks(CHUNK * per_row.max(1)).enumerate().collect();
        let run_chunk = |&(i, chunk): &(usize, &[f32])| {
            let mut chunk_shape = shape.to_vec();
            chunk_shape[0] = chunk.len() / per_row.max(1);
            let mut inputs = tvec!(Tensor::from_shape(&chunk_shape, chunk).map_err(runtime)?.into_tvalue());
            if let Some(labels) = labels {
                let rows =
                    labels.get(i * CHUNK..i * CHUNK + chunk_shape[0]).ok_or_else(|| runtime("too few labels"))?;
                inputs.push(Tensor::from_shape(&[rows.len()], rows).map_err(runtime)?.into_tvalue());
            }
            let result = self.plan(&chunk_shape, labels.is_some())?.run(inputs).map_err(runtime)?;
            let view = result[0].to_plain_array_view::<f32>().map_err(runtime)?;
            Ok((view.iter().copied().collect(), view.shape().to_vec()))
        };
        let count = chunks.len();
        let outputs: Vec<Result<Output, Error>> = match self.threads.min(count) {
            0 | 1 => chunks.iter().map(run_chunk).collect(),
            workers => in_parallel(&chunks, workers, &run_chunk),
        };
        if outputs.len() != count {
            return Err(runtime(format!("{} of {count} chunks came back", outputs.len())));
        }
        let (mut out, mut out_shape) = (Vec::with_capacity(input.len() / per_row.max(1) * 784), Vec::new());
        for output in outputs {
            let (values, shape) = output?;
            match out_shape.first_mut() {
                None => out_shape = shape,
                Some(n) => *n += shape.first().copied().unwrap_or(0),
            }
            out.extend(values);
        }
        Ok((out, out_shape))
    }
}

/// `f` of every item on `workers` scoped threads, each taking the next item when done
/// with one; results in the items' order. A worker that panics loses its results, which
/// the caller sees as fewer results than items.
fn in_parallel<T: Sync, R: Send>(items: &[T], workers: usize, f: &(impl Fn(&T) -> R + Sync)) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break out };
                        out.push((i, f(item)));
                    }
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}
