//! The pure-Rust backend: tract, on the CPU.

use tract_onnx::prelude::*;

use crate::Error;

/// An optimised tract plan of an ONNX model with one input and one output, batch symbolic.
///
/// Running takes `&self`; a plan is `Send + Sync` and can be shared between threads.
#[derive(Debug)]
pub struct TractModel {
    plan: std::sync::Arc<TypedRunnableModel>,
}

fn runtime(e: impl std::fmt::Display) -> Error {
    Error::Runtime(format!("tract: {e}"))
}

impl TractModel {
    /// Load and optimise ONNX bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let model = tract_onnx::onnx()
            .model_for_read(&mut &bytes[..])
            .map_err(|e| Error::NotOnnx(format!("tract cannot load it: {e:#}")))?;
        let plan = model.into_optimized().map_err(runtime)?.into_runnable().map_err(runtime)?;
        Ok(Self { plan })
    }

    /// Run on `input` of shape `shape` (batch first); returns the output's values.
    pub fn run(&self, input: &[f32], shape: &[usize]) -> Result<Vec<f32>, Error> {
        let x = Tensor::from_shape(shape, input).map_err(runtime)?;
        let out = self.plan.run(tvec!(x.into_tvalue())).map_err(runtime)?;
        let view = out[0].to_plain_array_view::<f32>().map_err(runtime)?;
        Ok(view.iter().copied().collect())
    }
}
