//! The written bytes against the run's probe: loaded with tract (the runtime itself, not
//! the runtime library: `dcgan-infer` serves apps and depends on nothing that writes
//! models), run in one plan for the probe's exact shape, compared row for row.

use std::path::Path;

use dcgan::arch::Arch;
use dcgan::tensors::max_abs_diff;
use tract_onnx::prelude::*;

use crate::{Bn, Error, Precision, What, build_with_precision};

/// What [`check`] found about an existing ONNX file.
#[derive(Debug, Clone)]
pub struct Check {
    /// The file is byte for byte what this exporter writes from the run.
    pub identical: bool,
    /// Max |tract(file) − probe| on the run's probe.
    pub max_diff: f32,
    /// Probe rows compared.
    pub probe_rows: usize,
}

/// Check an existing ONNX `file` against the run (e.g. `models/` and the shipped
/// `gen.onnx`): its output on the run's probe, and whether it is byte-identical to a
/// fresh export. Fails like [`crate::build`] would, or with [`Error::SelfCheck`] when the file
/// disagrees with the probe.
pub fn check(run_dir: &Path, file: &Path, what: What, bn: Bn) -> Result<Check, Error> {
    check_with_precision(run_dir, file, what, bn, Precision::Fp32)
}

/// [`check`] for a file whose weights are stored in `precision`.
pub fn check_with_precision(
    run_dir: &Path,
    file: &Path,
    what: What,
    bn: Bn,
    precision: Precision,
) -> Result<Check, Error> {
    let built = build_with_precision(run_dir, what, bn, precision)?;
    let bytes = std::fs::read(file).map_err(|e| Error::Run(format!("{}: {e}", file.display())))?;
    let (max_diff, probe_rows) = self_check(&bytes, built.arch, &run_dir.join(what.files().1), precision)?;
    Ok(Check { identical: bytes == built.bytes, max_diff, probe_rows })
}

/// [`probe_check`], refused beyond `precision`'s tolerance.
pub(crate) fn self_check(
    bytes: &[u8],
    arch: &Arch,
    probe_path: &Path,
    precision: Precision,
) -> Result<(f32, usize), Error> {
    let (max_diff, probe_rows) = probe_check(bytes, arch, probe_path)?;
    let tolerance = precision.tolerance();
    if max_diff > tolerance {
        return Err(Error::SelfCheck { max_diff, tolerance });
    }
    Ok((max_diff, probe_rows))
}

/// Run the probe at `probe_path` through ONNX `bytes` with tract: (max |Δ|, rows).
pub fn probe_check(bytes: &[u8], arch: &Arch, probe_path: &Path) -> Result<(f32, usize), Error> {
    let (probe, _) = dcgan::tensors::read(probe_path)?;
    let (input, output) = (&probe.get(arch.input_name), &probe.get(arch.output_name));
    let (Some(input), Some(output)) = (input, output) else {
        return Err(Error::Run(format!("{}: not a probe of the {}", probe_path.display(), arch.name)));
    };
    let labels: Option<Vec<i64>> = match (arch.condition, probe.get(dcgan::contract::LABEL)) {
        (None, _) => None,
        (Some(_), Some(l)) => Some(l.data.iter().map(|&v| v as i64).collect()),
        (Some(_), None) => {
            return Err(Error::Run(format!(
                "{}: the probe of a conditional network has no `label`",
                probe_path.display()
            )));
        }
    };
    // A probe is the run's own file, but a damaged or foreign one must be refused in a
    // line, not crash the runtime: its shapes must be [N, input…] → [N, output…], N labels.
    let rows = input.shape.first().copied().unwrap_or(0);
    let shaped = |shape: &[usize], per_row: &[usize]| shape.len() == per_row.len() + 1 && shape[1..] == *per_row;
    let bad = if rows == 0 || !shaped(&input.shape, arch.input) {
        Some(format!("`{}` is {:?}, expected [N ≥ 1, {:?}…]", arch.input_name, input.shape, arch.input))
    } else if output.shape.first() != Some(&rows) || !shaped(&output.shape, &arch.output()) {
        Some(format!("`{}` is {:?} for {rows} input rows", arch.output_name, output.shape))
    } else {
        labels.as_ref().filter(|l| l.len() != rows).map(|l| format!("{} labels for {rows} rows", l.len()))
    };
    if let Some(why) = bad {
        return Err(Error::Run(format!("{}: not a usable probe: {why}", probe_path.display())));
    }
    // `--check FILE` may be anyone's file: screened before tract parses it.
    dcgan_onnx::decode(bytes)?;
    let got = run(bytes, &input.data, &input.shape, labels.as_deref()).map_err(|e| Error::Runtime(format!("{e:#}")))?;
    Ok((max_abs_diff(&got, &output.data), rows))
}

/// Run ONNX `bytes` on `input` of `shape` (batch first) and, for a conditional network,
/// one label per row: the first output's values.
/// e.g. z `[16,100]` (+ label `[16]`) -> image `[16,1,28,28]`
fn run(bytes: &[u8], input: &[f32], shape: &[usize], labels: Option<&[i64]>) -> TractResult<Vec<f32>> {
    let mut model = tract_onnx::onnx().model_for_read(&mut &bytes[..])?.with_input_fact(0, f32::fact(shape).into())?;
    let mut inputs = tvec!(Tensor::from_shape(shape, input)?.into_tvalue());
    if let Some(labels) = labels {
        model = model.with_input_fact(1, i64::fact([labels.len()]).into())?;
        inputs.push(Tensor::from_shape(&[labels.len()], labels)?.into_tvalue());
    }
    let result = model.into_optimized()?.into_runnable()?.run(inputs)?;
    Ok(result[0].to_plain_array_view::<f32>()?.iter().copied().collect())
}
