//! Compact weights for pages and apps: the large weight tensors stored as fp16, or as
//! int8 with one scale per output channel, each turned back into float32 by one node at
//! the top of the graph (Cast, DequantizeLinear). Inputs, outputs and every computation
//! stay float32, so every runtime that runs the fp32 file runs these.

use dcgan::arch::LABEL_TABLE;
use dcgan_onnx::pb::{AttributeProto, GraphProto, NodeProto, TensorProto, tensor_proto::DataType};

use crate::onnx::int;

/// How the weights are stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Precision {
    /// float32, as trained.
    #[default]
    Fp32,
    /// IEEE half precision (about half the size).
    Fp16,
    /// int8 with a float32 scale per output channel (about a quarter of the size).
    Int8,
}

/// Tensors smaller than this stay float32: biases and BatchNorm vectors are a few
/// hundred values, and the error of rounding them is not worth the bytes.
const MIN_VALUES: usize = 1024;

impl Precision {
    /// Every precision, widest first.
    pub const ALL: [Precision; 3] = [Precision::Fp32, Precision::Fp16, Precision::Int8];

    /// The name used on the command line and in the file's metadata.
    pub fn name(self) -> &'static str {
        match self {
            Precision::Fp32 => "fp32",
            Precision::Fp16 => "fp16",
            Precision::Int8 => "int8",
        }
    }

    /// The precision called `name` (as [`Precision::name`] writes it).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Largest |tract(exported) − probe| the self-check accepts for this storage. fp32
    /// differs from the trainer by rounding only (DESIGN.md §2); fp16 and int8 by their
    /// weights' rounding, which on the shipped generators measured 3.0e-3 and 8.7e-2 at
    /// worst over the probe's pixels (images in `[-1, 1]`; 1.0e-1 over 256 samples).
    pub fn tolerance(self) -> f32 {
        match self {
            Precision::Fp32 => 1e-5,
            Precision::Fp16 => 1e-2,
            Precision::Int8 => 0.25,
        }
    }
}

/// Rewrite `graph`'s large float32 weights in `precision` (nothing for fp32).
pub fn compact(graph: &mut GraphProto, precision: Precision) {
    if precision == Precision::Fp32 {
        return;
    }
    let (mut decode, mut extra) = (Vec::new(), Vec::new());
    for t in &mut graph.initializer {
        let large = t.raw_data.len() / 4 >= MIN_VALUES;
        if t.data_type != DataType::Float as i32 || !large || !(t.name.ends_with(".weight") || t.name == LABEL_TABLE) {
            continue;
        }
        let values: Vec<f32> =
            t.raw_data.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        let name = std::mem::take(&mut t.name);
        match precision {
            Precision::Fp32 => unreachable!("returned above"),
            Precision::Fp16 => {
                t.name = format!("{name}.fp16");
                t.data_type = DataType::Float16 as i32;
                t.raw_data = values.iter().flat_map(|&v| half::f16::from_f32(v).to_le_bytes()).collect();
                decode.push(node("Cast", &[&t.name], &name, vec![int("to", DataType::Float as i64)]));
            }
            Precision::Int8 => {
                // ConvTranspose weights are [in, out, k, k]; every other is [out, …].
                let consumer = graph.node.iter().find(|n| n.input.contains(&name)).map(|n| n.op_type.as_str());
                let axis = usize::from(consumer == Some("ConvTranspose"));
                let (q, scales) = quantize(&values, &t.dims, axis);
                t.name = format!("{name}.int8");
                t.data_type = DataType::Int8 as i32;
                t.raw_data = q.iter().map(|&v| v as u8).collect();
                let scale = format!("{name}.scale");
                let zero = format!("{name}.zero");
                extra.push(tensor(
                    &scale,
                    DataType::Float,
                    scales.iter().flat_map(|v| v.to_le_bytes()).collect(),
                    scales.len(),
                ));
                extra.push(tensor(&zero, DataType::Int8, vec![0; scales.len()], scales.len()));
                decode.push(node("DequantizeLinear", &[&t.name, &scale, &zero], &name, vec![int("axis", axis as i64)]));
            }
        }
    }
    graph.initializer.extend(extra);
    decode.append(&mut graph.node);
    graph.node = decode;
}

/// Symmetric int8 per channel along `axis` of a tensor of `dims`: q = round(w / s) with
/// s = max|w| / 127 over the channel; returns (q, s per channel).
fn quantize(values: &[f32], dims: &[i64], axis: usize) -> (Vec<i8>, Vec<f32>) {
    let dims: Vec<usize> = dims.iter().map(|&d| d as usize).collect();
    let channels = dims[axis];
    let inner: usize = dims[axis + 1..].iter().product();
    let channel = |i: usize| (i / inner) % channels;
    let mut max = vec![0f32; channels];
    for (i, v) in values.iter().enumerate() {
        max[channel(i)] = max[channel(i)].max(v.abs());
    }
    let scales: Vec<f32> = max.iter().map(|&m| if m > 0.0 { m / 127.0 } else { 1.0 }).collect();
    let q =
        values.iter().enumerate().map(|(i, v)| (v / scales[channel(i)]).round().clamp(-127.0, 127.0) as i8).collect();
    (q, scales)
}

fn tensor(name: &str, data_type: DataType, raw_data: Vec<u8>, len: usize) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: vec![len as i64],
        data_type: data_type as i32,
        raw_data,
        ..Default::default()
    }
}

fn node(op: &str, inputs: &[&str], output: &str, attribute: Vec<AttributeProto>) -> NodeProto {
    NodeProto {
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        name: format!("{output}.{}", op.to_lowercase()),
        op_type: op.into(),
        attribute,
        ..Default::default()
    }
}
