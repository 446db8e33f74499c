//! A Triton model repository for the generator: `DIR/NAME/config.pbtxt` and
//! `DIR/NAME/1/model.onnx`, so the same file scales out on Triton (or KServe's Triton
//! runtime) and answers the same v2 requests as `serve`.

use std::fmt::Write as _;
use std::path::PathBuf;

use dcgan::Arch;
use dcgan::contract::{INPUT_DTYPE, LABEL, LABEL_DTYPE, OUTPUT_DTYPE};

/// Where the repository's model runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// `KIND_GPU`: one instance per GPU.
    Gpu,
    /// `KIND_CPU`.
    Cpu,
}

/// Options of the repository.
#[derive(Debug, Clone)]
pub struct Repository {
    /// The folder holding the model folders.
    pub dir: PathBuf,
    /// The model's name (its folder, and `name:` in config.pbtxt).
    pub model_name: String,
    /// GPU or CPU instances.
    pub kind: Kind,
    /// Triton's `max_batch_size` (the rows dynamic batching may coalesce).
    pub max_batch_size: usize,
    /// `dynamic_batching.max_queue_delay_microseconds`.
    pub max_delay_us: u64,
}

/// `config.pbtxt` for `arch` (inputs and outputs without the batch dimension, which
/// `max_batch_size` adds). A conditional G's `label` `[N]` is `dims: [1]` reshaped to a
/// scalar per row, Triton's way of declaring a batched vector.
pub fn config_pbtxt(arch: &Arch, r: &Repository) -> String {
    let dims = |d: &[usize]| d.iter().map(usize::to_string).collect::<Vec<_>>().join(", ");
    let mut text = String::new();
    let _ = writeln!(
        text,
        "name: \"{}\"\nplatform: \"onnxruntime_onnx\"\nmax_batch_size: {}",
        r.model_name, r.max_batch_size
    );
    // Both networks take and give float32, as the generator's contract says; a label is int64.
    let (float, int) = (INPUT_DTYPE.triton(), LABEL_DTYPE.triton());
    let mut inputs = vec![format!(
        "  {{\n    name: \"{}\"\n    data_type: {float}\n    dims: [ {} ]\n  }}",
        arch.input_name,
        dims(arch.input)
    )];
    if arch.condition.is_some() {
        inputs.push(format!(
            "  {{\n    name: \"{LABEL}\"\n    data_type: {int}\n    dims: [ 1 ]\n    reshape: {{ shape: [ ] }}\n  }}"
        ));
    }
    let _ = writeln!(text, "input [\n{}\n]", inputs.join(",\n"));
    let _ = writeln!(
        text,
        "output [\n  {{\n    name: \"{}\"\n    data_type: {}\n    dims: [ {} ]\n  }}\n]",
        arch.output_name,
        OUTPUT_DTYPE.triton(),
        dims(&arch.output())
    );
    let _ = writeln!(text, "dynamic_batching {{\n  max_queue_delay_microseconds: {}\n}}", r.max_delay_us);
    let kind = match r.kind {
        Kind::Gpu => "KIND_GPU",
        Kind::Cpu => "KIND_CPU",
    };
    let _ = write!(text, "instance_group [\n  {{\n    count: 1\n    kind: {kind}\n  }}\n]\n");
    text
}

/// Write the repository for `arch` with the ONNX `bytes`; returns the model's folder.
pub fn write(arch: &Arch, bytes: &[u8], r: &Repository) -> std::io::Result<PathBuf> {
    let model_dir = r.dir.join(&r.model_name);
    let version = model_dir.join("1");
    std::fs::create_dir_all(&version)?;
    dcgan::output::write_atomic(&version.join("model.onnx"), bytes)?;
    dcgan::output::write_atomic(&model_dir.join("config.pbtxt"), config_pbtxt(arch, r).as_bytes())?;
    Ok(model_dir)
}

/// Whether `name` can be a Triton model folder (no path separators, no dot files).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}
