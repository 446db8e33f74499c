//! The one run of a written model that the self-check needs: tract, on the CPU, in one
//! plan for the probe's exact shape. `export` runs the bytes it is about to write with
//! the runtime itself, not through the runtime library (`dcgan-infer` serves apps and
//! depends on nothing that writes models).

use tract_onnx::prelude::*;

/// Run ONNX `bytes` on `input` of `shape` (batch first) and, for a conditional network,
/// one label per row: the first output's values.
/// e.g. z [16,100] (+ label [16]) -> image [16,1,28,28]
pub(crate) fn run(bytes: &[u8], input: &[f32], shape: &[usize], labels: Option<&[i64]>) -> TractResult<Vec<f32>> {
    let mut model = tract_onnx::onnx().model_for_read(&mut &bytes[..])?.with_input_fact(0, f32::fact(shape).into())?;
    let mut inputs = tvec!(Tensor::from_shape(shape, input)?.into_tvalue());
    if let Some(labels) = labels {
        model = model.with_input_fact(1, i64::fact([labels.len()]).into())?;
        inputs.push(Tensor::from_shape(&[labels.len()], labels)?.into_tvalue());
    }
    let result = model.into_optimized()?.into_runnable()?.run(inputs)?;
    Ok(result[0].to_plain_array_view::<f32>()?.iter().copied().collect())
}
