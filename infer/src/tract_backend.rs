//! The pure-Rust backend: tract, on the CPU.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Once};

use tract_linalg::multithread::{Executor, set_default_executor};
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
}

impl std::fmt::Debug for TractModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TractModel").finish_non_exhaustive()
    }
}

fn runtime(e: impl std::fmt::Display) -> Error {
    Error::Runtime(format!("tract: {e}"))
}

/// tract's matrix products run single-threaded unless given a pool; use every core
/// once per process (the setting is global to tract).
fn use_all_cores() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let n = std::thread::available_parallelism().map_or(1, |n| n.get());
        if n > 1 {
            set_default_executor(Executor::multithread(n));
        }
    });
}

impl TractModel {
    /// Parse ONNX bytes (plans are optimised on first use of each batch size).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        use_all_cores();
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
        Ok(Self { model, plans: Mutex::new(HashMap::new()) })
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
    /// one label per row, in chunks of [`CHUNK`] rows; returns the output's values and
    /// its shape with the batch summed over the chunks.
    pub fn run(&self, input: &[f32], shape: &[usize], labels: Option<&[i64]>) -> Result<(Vec<f32>, Vec<usize>), Error> {
        let per_row: usize = shape[1..].iter().product();
        let (mut out, mut out_shape) = (Vec::new(), Vec::new());
        for (i, chunk) in input.chunks(CHUNK * per_row).enumerate() {
            let mut chunk_shape = shape.to_vec();
            chunk_shape[0] = chunk.len() / per_row;
            let mut inputs = tvec!(Tensor::from_shape(&chunk_shape, chunk).map_err(runtime)?.into_tvalue());
            if let Some(labels) = labels {
                let rows = &labels[i * CHUNK..i * CHUNK + chunk_shape[0]];
                inputs.push(Tensor::from_shape(&[rows.len()], rows).map_err(runtime)?.into_tvalue());
            }
            let result = self.plan(&chunk_shape, labels.is_some())?.run(inputs).map_err(runtime)?;
            let view = result[0].to_plain_array_view::<f32>().map_err(runtime)?;
            match out_shape.first_mut() {
                None => out_shape = view.shape().to_vec(),
                Some(n) => *n += view.shape().first().copied().unwrap_or(0),
            }
            out.extend(view.iter().copied());
        }
        Ok((out, out_shape))
    }
}
