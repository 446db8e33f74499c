//! The layer table as ONNX nodes (opset 17, IR version 8), with the workspace's ONNX protobuf types (`dcgan_onnx::pb`).

use dcgan::arch::{Act, Arch, BN_EPS, Condition, LABEL_TABLE, LEAKY_SLOPE, Op};
use dcgan::{Tensor, TensorMap};
use dcgan_onnx::pb::{
    self, AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, StringStringEntryProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto, attribute_proto::AttributeType, tensor_proto::DataType,
    tensor_shape_proto::Dimension, tensor_shape_proto::dimension::Value as Dim, type_proto,
};

/// Opset of the default domain.
pub const OPSET: i64 = 17;
/// ONNX IR version (readable by ONNX Runtime 1.17+ and tract).
pub const IR_VERSION: i64 = 8;
/// Name of the symbolic batch dimension.
pub const BATCH: &str = "N";

/// How BatchNorm appears in the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bn {
    /// Folded into the preceding ConvTranspose's weights and bias (default: fewer nodes).
    Folded,
    /// Kept as BatchNormalization nodes with the running statistics.
    Kept,
}

/// Emits nodes and initializers in order.
struct Builder {
    nodes: Vec<NodeProto>,
    init: Vec<TensorProto>,
}

impl Builder {
    fn node(&mut self, op: &str, name: &str, inputs: &[&str], attrs: Vec<AttributeProto>) -> String {
        let output = name.to_string();
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.clone()],
            name: name.into(),
            op_type: op.into(),
            attribute: attrs,
            ..Default::default()
        });
        output
    }

    fn f32(&mut self, name: &str, t: &Tensor) -> String {
        self.init.push(TensorProto {
            name: name.into(),
            dims: t.shape.iter().map(|&d| d as i64).collect(),
            data_type: DataType::Float as i32,
            raw_data: t.data.iter().flat_map(|v| v.to_le_bytes()).collect(),
            ..Default::default()
        });
        name.into()
    }

    fn i64s(&mut self, name: &str, values: &[i64]) -> String {
        self.init.push(TensorProto {
            name: name.into(),
            dims: vec![values.len() as i64],
            data_type: DataType::Int64 as i32,
            raw_data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
            ..Default::default()
        });
        name.into()
    }
}

fn ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::Ints as i32, ints: v.to_vec(), ..Default::default() }
}

pub(crate) fn int(name: &str, v: i64) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::Int as i32, i: v, ..Default::default() }
}

fn float(name: &str, v: f32) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::Float as i32, f: v, ..Default::default() }
}

/// A float tensor type `[N, dims...]` with N symbolic.
fn value_info(name: &str, dims: &[usize]) -> ValueInfoProto {
    typed_value_info(name, DataType::Float, dims)
}

/// A tensor type `[N, dims...]` of `elem` with N symbolic.
fn typed_value_info(name: &str, elem: DataType, dims: &[usize]) -> ValueInfoProto {
    let mut dim = vec![Dimension { value: Some(Dim::DimParam(BATCH.into())), ..Default::default() }];
    dim.extend(dims.iter().map(|&d| Dimension { value: Some(Dim::DimValue(d as i64)), ..Default::default() }));
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: elem as i32,
                shape: Some(TensorShapeProto { dim }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Fold BatchNorm (γ, β, μ, σ²) into a ConvTranspose whose weight is `[cin, cout, k, k]`:
/// `w'[:,c] = w[:,c]·s_c` and b'_c = (b_c − μ_c)·s_c + β_c with s_c = γ_c / √(σ²_c + ε).
/// Computed in f64 so that folding adds no error beyond the final rounding.
pub fn fold_bn(w: &Tensor, b: &Tensor, params: &TensorMap, bn: &str) -> (Tensor, Tensor) {
    let p = |s: &str| &params[&format!("{bn}.{s}")].data;
    let (gamma, beta, mean, var) = (p("weight"), p("bias"), p("running_mean"), p("running_var"));
    let scale: Vec<f64> = gamma.iter().zip(var).map(|(&g, &v)| f64::from(g) / (f64::from(v) + BN_EPS).sqrt()).collect();
    let cout = w.shape[1];
    let per_out: usize = w.shape[2..].iter().product();
    let mut wf = w.clone();
    for (i, v) in wf.data.iter_mut().enumerate() {
        let c = (i / per_out) % cout;
        *v = (f64::from(*v) * scale[c]) as f32;
    }
    let bf = (0..cout)
        .map(|c| ((f64::from(b.data[c]) - f64::from(mean[c])) * scale[c] + f64::from(beta[c])) as f32)
        .collect();
    (wf, Tensor { shape: b.shape.clone(), data: bf })
}

pub use dcgan::contract::LABEL;

/// The graph of `arch` with `params` (checked by the caller): input `arch.input_name`
/// `[N, input...]` (and `label` int64 `[N]` for a conditional table) to output
/// `arch.output_name` `[N, output...]`. A label enters through Gather on the
/// [`LABEL_TABLE`] (an op every runtime here runs): added to a layer's output (Embed) or
/// dotted with the last layer's input and added to the output (Projection).
pub fn graph(arch: &Arch, params: &TensorMap, bn: Bn) -> GraphProto {
    let mut b = Builder { nodes: Vec::new(), init: Vec::new() };
    let mut x = arch.input_name.to_string();
    let mut shape = arch.input.to_vec();
    let last = arch.layers.len() - 1;
    let rows = arch.condition.map(|_| {
        let table = b.f32(LABEL_TABLE, &params[LABEL_TABLE]);
        b.node("Gather", "label.gather", &[&table, LABEL], vec![int("axis", 0)])
    });
    for (i, layer) in arch.layers.iter().enumerate() {
        let name = layer.name;
        let w = &params[&format!("{name}.weight")];
        let bias = &params[&format!("{name}.bias")];
        let embed_here = arch.embed_layer() == Some(i);
        // A class vector added before BatchNorm would have to be folded too: keep BN there.
        let fold =
            bn == Bn::Folded && layer.norm.is_some() && matches!(layer.op, Op::ConvTranspose { .. }) && !embed_here;
        let projection_input = (i == last && matches!(arch.condition, Some(Condition::Projection { .. }))).then(|| {
            if shape.len() > 1 { b.node("Flatten", "label.flatten", &[&x], vec![int("axis", 1)]) } else { x.clone() }
        });
        let (w, bias) = match layer.norm {
            Some(norm) if fold => fold_bn(w, bias, params, norm),
            _ => (w.clone(), bias.clone()),
        };
        let (wn, bn_) = (b.f32(&format!("{name}.weight"), &w), b.f32(&format!("{name}.bias"), &bias));
        x = match layer.op {
            Op::Linear { reshape, .. } => {
                if shape.len() > 1 {
                    x = b.node("Flatten", &format!("{name}.flatten"), &[&x], vec![int("axis", 1)]);
                }
                let y = b.node("Gemm", name, &[&x, &wn, &bn_], vec![int("transB", 1)]);
                match reshape {
                    Some(s) => {
                        let target = b.i64s(&format!("{name}.shape"), &[-1, s[0] as i64, s[1] as i64, s[2] as i64]);
                        b.node("Reshape", &format!("{name}.reshape"), &[&y, &target], vec![])
                    }
                    None => y,
                }
            }
            Op::ConvTranspose { kernel, stride, pad, keep, .. } => {
                let (k, s, p) = (kernel as i64, stride as i64, pad as i64);
                let attrs = vec![ints("kernel_shape", &[k, k]), ints("strides", &[s, s]), ints("pads", &[p, p, p, p])];
                let y = b.node("ConvTranspose", name, &[&x, &wn, &bn_], attrs);
                match keep {
                    // Symmetric pads plus a Slice rather than asymmetric pads: ONNX
                    // Runtime's CUDA provider moves asymmetric ConvTranspose to the CPU.
                    Some(k) => {
                        let starts = b.i64s(&format!("{name}.crop.starts"), &[0, 0]);
                        let ends = b.i64s(&format!("{name}.crop.ends"), &[k as i64, k as i64]);
                        let axes = b.i64s(&format!("{name}.crop.axes"), &[2, 3]);
                        b.node("Slice", &format!("{name}.crop"), &[&y, &starts, &ends, &axes], vec![])
                    }
                    None => y,
                }
            }
            Op::Conv { kernel, stride, pad_before, pad_after, .. } => {
                let (k, s, a, z) = (kernel as i64, stride as i64, pad_before as i64, pad_after as i64);
                let attrs = vec![ints("kernel_shape", &[k, k]), ints("strides", &[s, s]), ints("pads", &[a, a, z, z])];
                b.node("Conv", name, &[&x, &wn, &bn_], attrs)
            }
        };
        if let (true, Some(rows)) = (embed_here, rows.as_deref()) {
            let out: Vec<i64> =
                std::iter::once(-1).chain(layer.op.output_shape(&shape).iter().map(|&d| d as i64)).collect();
            let target = b.i64s("label.shape", &out);
            let vector = b.node("Reshape", "label.reshape", &[rows, &target], vec![]);
            x = b.node("Add", "label.add", &[&x, &vector], vec![]);
        }
        if let (Some(norm), false) = (layer.norm, fold) {
            let p = |s: &str| params[&format!("{norm}.{s}")].clone();
            let inputs: Vec<String> = ["weight", "bias", "running_mean", "running_var"]
                .iter()
                .map(|s| b.f32(&format!("{norm}.{s}"), &p(s)))
                .collect();
            x = b.node(
                "BatchNormalization",
                norm,
                &[&x, &inputs[0], &inputs[1], &inputs[2], &inputs[3]],
                vec![float("epsilon", BN_EPS as f32)],
            );
        }
        x = apply_act(&mut b, layer.act, &x, name);
        if let (Some(h), Some(rows)) = (projection_input, rows.as_deref()) {
            let product = b.node("Mul", "label.mul", &[rows, &h], vec![]);
            let axes = b.i64s("label.axes", &[1]);
            let dot = b.node("ReduceSum", "label.dot", &[&product, &axes], vec![int("keepdims", 1)]);
            x = b.node("Add", "label.project", &[&x, &dot], vec![]);
        }
        shape = layer.op.output_shape(&shape);
        if i == last {
            // Name the graph output as the contract says.
            if let Some(n) = b.nodes.last_mut() {
                n.output = vec![arch.output_name.to_string()];
            }
        }
    }
    let mut input = vec![value_info(arch.input_name, arch.input)];
    if arch.condition.is_some() {
        input.push(typed_value_info(LABEL, DataType::Int64, &[]));
    }
    GraphProto {
        name: arch.name.into(),
        node: b.nodes,
        initializer: b.init,
        input,
        output: vec![value_info(arch.output_name, &arch.output())],
        ..Default::default()
    }
}

fn apply_act(b: &mut Builder, act: Act, x: &str, name: &str) -> String {
    match act {
        Act::None => x.into(),
        Act::Relu => b.node("Relu", &format!("{name}.relu"), &[x], vec![]),
        Act::LeakyRelu => b.node("LeakyRelu", &format!("{name}.lrelu"), &[x], vec![float("alpha", LEAKY_SLOPE as f32)]),
        Act::Tanh => b.node("Tanh", &format!("{name}.tanh"), &[x], vec![]),
    }
}

/// A whole model: `graph` plus opset, IR version, producer and `metadata_props`.
pub fn model(graph: GraphProto, metadata: &[(String, String)]) -> ModelProto {
    ModelProto {
        ir_version: IR_VERSION,
        opset_import: vec![OperatorSetIdProto { domain: String::new(), version: OPSET }],
        producer_name: "dcgan-export".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        doc_string: "MNIST DCGAN (TF tutorial architecture), exported from a dcgan-train run".into(),
        graph: Some(graph),
        metadata_props: metadata
            .iter()
            .map(|(k, v)| StringStringEntryProto { key: k.clone(), value: v.clone() })
            .collect(),
        ..Default::default()
    }
}

/// Serialised protobuf bytes of a model.
pub fn to_bytes(model: &pb::ModelProto) -> Vec<u8> {
    prost::Message::encode_to_vec(model)
}
