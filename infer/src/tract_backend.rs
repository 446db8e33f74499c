//! The pure-Rust backend: tract, on the CPU.
//!
//! A request runs as row chunks side by side, one single-threaded plan run per core
//! (see `chunks`), rather than through tract's multithreaded matrix products.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tract_onnx::prelude::*;

use crate::Error;
use crate::chunks::{Output, available_threads, run_in_chunks};

/// Rows per run of a tract plan. tract optimises much better for a concrete batch size
/// than for a symbolic one, and its throughput falls for large batches (2 cores, this
/// model: about 2000 images/s at 1–32 rows, 800 at 256), so larger inputs are run in
/// chunks of at most this many rows, each with a plan optimised for its exact size.
pub const CHUNK: usize = 16;

/// An ONNX model with a batch-first float input (and, for a conditional generator, an
/// int64 `label` `[N]` second input) and one output, run by tract with plans optimised
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

/// Values one tensor of a plan may hold per row of the batch: the screening's bound
/// ([`dcgan_onnx::folded::MAX_VALUES_PER_ROW`]). A file whose shapes, once the batch is
/// concrete, call for more is refused before the plan is optimised or run: the shapes
/// the screening cannot work out from the file alone (a reshape computed at run time).
pub const MAX_VALUES_PER_ROW: usize = dcgan_onnx::folded::MAX_VALUES_PER_ROW as usize;

thread_local! {
    /// Whether this thread is inside [`guarded`], whose panics become errors.
    static GUARDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Keep the panic hook quiet about panics that `guarded` turns into errors (their text
/// is in the error); every other panic is reported as before. For binaries and apps that
/// print errors in one line: call once at start.
///
/// ```
/// dcgan_infer::quiet_guarded_panics(); // once, at the start of main
/// let g = dcgan_infer::Generator::builder().build()?;
/// assert_eq!(g.generate(dcgan_infer::Seed(0), 1)?.len(), 1);
/// # Ok::<(), dcgan_infer::Error>(())
/// ```
pub fn quiet_guarded_panics() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !GUARDED.with(std::cell::Cell::get) {
            previous(info);
        }
    }));
}

/// Run `f`, turning a panic inside tract into an error made by `error`: some files make
/// tract's own code panic (a division by zero in a reduction, an allocation it cannot
/// make), and an app that loads a stranger's model must get an error, not a crash.
fn guarded<T>(error: impl FnOnce(String) -> Error, f: impl FnOnce() -> T) -> Result<T, Error> {
    let outer = GUARDED.with(|g| g.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(outer));
    result.map_err(|panic| {
        let text = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into());
        error(format!("tract panicked: {text}"))
    })
}

/// `Err` when a tensor of `model`, typed for `rows` rows, is larger than the bound or of
/// a size tract cannot tell.
fn bound_sizes(model: &TypedModel, rows: usize) -> Result<(), Error> {
    let limit = MAX_VALUES_PER_ROW.saturating_mul(rows.max(1));
    for node in model.nodes() {
        for outlet in &node.outputs {
            let values =
                outlet.fact.shape.as_concrete().and_then(|s| s.iter().try_fold(1usize, |n, &d| n.checked_mul(d)));
            match values {
                Some(v) if v <= limit => {}
                _ => {
                    return Err(Error::Refused(format!(
                        "node `{}` ({}) makes a tensor of shape {:?} for {rows} rows (at most {limit} values)",
                        node.name,
                        node.op().name(),
                        outlet.fact.shape,
                    )));
                }
            }
        }
    }
    Ok(())
}

impl TractModel {
    /// Parse ONNX bytes (plans are optimised on first use of each batch size).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let model = guarded(Error::NotOnnx, || tract_onnx::onnx().model_for_read(&mut &bytes[..]))?
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

    /// Run at most `threads` chunks at once (default: [`crate::available_threads`]).
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// Chunks run at once.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// The plan for inputs of exactly `shape` (and labels `[shape[0]]` when `labelled`).
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
        let cannot = |e: TractError| Error::NotOnnx(format!("tract cannot build a plan for {} rows: {e:#}", shape[0]));
        let typed = guarded(Error::NotOnnx, || model.and_then(|m| m.into_typed()))?.map_err(cannot)?;
        bound_sizes(&typed, shape[0])?;
        let plan =
            guarded(Error::NotOnnx, || typed.into_optimized().and_then(|m| m.into_runnable()))?.map_err(cannot)?;
        plans.insert(shape[0], Arc::clone(&plan));
        Ok(plan)
    }

    /// Run on `input` of shape `shape` (batch first) and, for a conditional generator,
    /// one label per row, in chunks of at most [`CHUNK`] rows, up to [`TractModel::threads`]
    /// of them at once; returns the output's values and its shape with the batch summed over
    /// the chunks.
    pub fn run(&self, input: &[f32], shape: &[usize], labels: Option<&[i64]>) -> Result<Output, Error> {
        run_in_chunks(
            input,
            shape,
            labels,
            &chunk_sizes(shape[0], self.threads),
            self.threads,
            |_, chunk, chunk_shape, chunk_labels| {
                guarded(Error::Runtime, || {
                    let mut inputs = tvec!(Tensor::from_shape(chunk_shape, chunk).map_err(runtime)?.into_tvalue());
                    if let Some(rows) = chunk_labels {
                        inputs.push(Tensor::from_shape(&[rows.len()], rows).map_err(runtime)?.into_tvalue());
                    }
                    let result = self.plan(chunk_shape, labels.is_some())?.run(inputs).map_err(runtime)?;
                    let view = result[0].to_plain_array_view::<f32>().map_err(runtime)?;
                    Ok((view.iter().copied().collect(), view.shape().to_vec()))
                })?
            },
        )
    }
}

/// The chunk sizes of `rows` rows on `threads` threads: the rows shared evenly between
/// the threads (25 rows on two: 13 + 12, so no core idles at the end), each share cut
/// into powers of two of at most [`CHUNK`] rows (13 = 8 + 4 + 1). tract optimises a plan
/// per chunk size, and each plan holds its own packed weights: five sizes at most keep
/// the memory and the first-use optimisations of a server small. tract computes each row
/// the same whatever its chunk (checked bit for bit across thread counts in
/// `infer/tests/cli.rs`).
fn chunk_sizes(rows: usize, threads: usize) -> Vec<usize> {
    let threads = threads.clamp(1, rows.max(1));
    let mut sizes = Vec::new();
    for t in 0..threads {
        let mut share = rows / threads + usize::from(t < rows % threads);
        while share > 0 {
            let piece = CHUNK.min(1 << share.ilog2());
            sizes.push(piece);
            share -= piece;
        }
    }
    sizes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_balanced_powers_of_two() {
        assert_eq!(chunk_sizes(25, 2), [8, 4, 1, 8, 4]);
        assert_eq!(chunk_sizes(64, 2), [16, 16, 16, 16]);
        assert_eq!(chunk_sizes(1, 8), [1]);
        for rows in 1..300 {
            for threads in 1..5 {
                let sizes = chunk_sizes(rows, threads);
                assert_eq!(sizes.iter().sum::<usize>(), rows);
                assert!(sizes.iter().all(|s| s.is_power_of_two() && *s <= CHUNK), "{rows} on {threads}: {sizes:?}");
            }
        }
    }
}
