//! What a runtime would compute from constants alone is bounded before it loads a file:
//! each graph below is a few bytes of protobuf that would fold into a huge tensor, next
//! to the same operators at a generator's sizes, which pass.

#![allow(clippy::unwrap_used)] // a panic is the failure report

use dcgan_onnx::folded::{MAX_FOLDED_VALUES, MAX_VALUES_PER_ROW};
use dcgan_onnx::pb::{self, tensor_proto::DataType};
use dcgan_onnx::screen::screen;

fn floats(name: &str, dims: &[i64]) -> pb::TensorProto {
    let count: i64 = dims.iter().product();
    pb::TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: DataType::Float as i32,
        raw_data: vec![0; count as usize * 4],
        ..Default::default()
    }
}

fn ints(name: &str, values: &[i64]) -> pb::TensorProto {
    pb::TensorProto {
        name: name.into(),
        dims: vec![values.len() as i64],
        data_type: DataType::Int64 as i32,
        int64_data: values.to_vec(),
        ..Default::default()
    }
}

fn node(op: &str, inputs: &[&str], attribute: Vec<pb::AttributeProto>) -> pb::NodeProto {
    pb::NodeProto {
        op_type: op.into(),
        name: op.to_lowercase(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec!["out".into()],
        attribute,
        ..Default::default()
    }
}

fn ints_attr(name: &str, values: &[i64]) -> pb::AttributeProto {
    pb::AttributeProto { name: name.into(), ints: values.to_vec(), ..Default::default() }
}

/// The values the screening says `nodes` compute from `initializer` (0 when it passes).
fn folded(initializer: Vec<pb::TensorProto>, nodes: Vec<pb::NodeProto>) -> u64 {
    let graph = pb::GraphProto { node: nodes, initializer, ..Default::default() };
    let model = pb::ModelProto { graph: Some(graph), ..Default::default() };
    match screen(&model) {
        Ok(()) => 0,
        Err(e) => {
            let text = e.to_string();
            assert!(text.contains("from constants alone"), "{text}");
            text.split("computes up to ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap()
        }
    }
}

#[test]
fn huge_tensors_computed_from_constants_are_refused() {
    let side = 1 << 18;
    let (col, row) = (|| floats("a", &[side, 1]), || floats("b", &[1, side]));
    let strided = vec![ints_attr("strides", &[1 << 16, 1 << 16])];
    let reshaped = pb::NodeProto { output: vec!["col".into()], ..node("Reshape", &["a", "s"], vec![]) };
    let cases = [
        ("broadcast Add", folded(vec![col(), row()], vec![node("Add", &["a", "b"], vec![])])),
        ("MatMul", folded(vec![col(), row()], vec![node("MatMul", &["a", "b"], vec![])])),
        ("Gemm", folded(vec![col(), row()], vec![node("Gemm", &["a", "b"], vec![])])),
        ("Gather", folded(vec![row(), ints("i", &vec![0; side as usize])], vec![node("Gather", &["b", "i"], vec![])])),
        (
            "ConvTranspose, stride 2^16",
            folded(
                vec![floats("x", &[1, 1, 4, 4]), floats("w", &[1, 1, 4, 4])],
                vec![node("ConvTranspose", &["x", "w"], strided)],
            ),
        ),
        (
            "Add after a Reshape by a constant shape",
            folded(
                vec![floats("a", &[side]), ints("s", &[side, 1]), row()],
                vec![reshaped, node("Add", &["col", "b"], vec![])],
            ),
        ),
    ];
    for (what, values) in cases {
        println!("{what}: up to {values} values, refused (at most {MAX_FOLDED_VALUES})");
        assert!(values > MAX_FOLDED_VALUES, "{what}");
    }
}

#[test]
fn a_generators_constant_work_passes() {
    // fp16 weights cast up, a bias broadcast, a reshape by a constant shape, a constant
    // transposed convolution the size of ct1's: all far under the bound.
    let cases = [
        folded(vec![floats("w", &[256, 128, 4, 4])], vec![node("Cast", &["w"], vec![])]),
        folded(vec![floats("a", &[1, 128, 7, 7]), floats("b", &[128, 1, 1])], vec![node("Add", &["a", "b"], vec![])]),
        folded(vec![floats("a", &[4096]), ints("s", &[1, 256, 4, 4])], vec![node("Reshape", &["a", "s"], vec![])]),
        folded(
            vec![floats("x", &[1, 256, 4, 4]), floats("w", &[256, 128, 4, 4])],
            vec![node("ConvTranspose", &["x", "w"], vec![ints_attr("strides", &[2, 2])])],
        ),
    ];
    assert_eq!(cases, [0; 4]);
    // The shipped generators, end to end.
    for bytes in [dcgan_models::GEN_ONNX, dcgan_models::GEN_COND_ONNX] {
        dcgan_onnx::decode(bytes).unwrap();
    }
}

/// Why the screening refuses `nodes` on the input `z` `[N, 100]` and `initializer`.
fn refusal(initializer: Vec<pb::TensorProto>, nodes: Vec<pb::NodeProto>) -> Option<String> {
    use pb::tensor_shape_proto::{Dimension, dimension::Value as Dim};
    let dims = [Dim::DimParam("N".into()), Dim::DimValue(100)];
    let shape = pb::TensorShapeProto {
        dim: dims.into_iter().map(|d| Dimension { value: Some(d), ..Default::default() }).collect(),
    };
    let tensor = pb::type_proto::Tensor { elem_type: DataType::Float as i32, shape: Some(shape) };
    let z = pb::ValueInfoProto {
        name: "z".into(),
        r#type: Some(pb::TypeProto { value: Some(pb::type_proto::Value::TensorType(tensor)), ..Default::default() }),
        ..Default::default()
    };
    let graph = pb::GraphProto { node: nodes, initializer, input: vec![z], ..Default::default() };
    screen(&pb::ModelProto { graph: Some(graph), ..Default::default() }).err().map(|e| e.to_string())
}

/// The values per row the screening says `nodes` make from the input `z` `[N, 100]` and
/// `initializer` (0 when it passes).
fn per_row(initializer: Vec<pb::TensorProto>, nodes: Vec<pb::NodeProto>) -> u64 {
    let Some(text) = refusal(initializer, nodes) else { return 0 };
    assert!(text.contains("per row of the batch"), "{text}");
    text.split("makes up to ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap()
}

fn with(output: &str, n: pb::NodeProto) -> pb::NodeProto {
    pb::NodeProto { output: vec![output.into()], ..n }
}

/// G's first layers from `z`: fc (Gemm), a reshape by `[-1, 256, 4, 4]`, ct1 with `stride`.
fn generator_head(stride: i64) -> u64 {
    per_row(head_weights(), head(stride, with("x", node("Reshape", &["h", "s"], vec![])), vec![]))
}

fn head_weights() -> Vec<pb::TensorProto> {
    vec![floats("fc", &[4096, 100]), ints("s", &[-1, 256, 4, 4]), floats("w", &[256, 128, 4, 4])]
}

/// fc, then `reshape` (making `x` from `h`), `between` (ending in `x2`, or none), then ct1.
fn head(stride: i64, reshape: pb::NodeProto, between: Vec<pb::NodeProto>) -> Vec<pb::NodeProto> {
    let transposed = pb::AttributeProto { name: "transB".into(), i: 1, ..Default::default() };
    let ct1_input = if between.is_empty() { "x" } else { "x2" };
    let ct1 = vec![ints_attr("strides", &[stride, stride]), ints_attr("pads", &[1; 4])];
    let fc = with("h", node("Gemm", &["z", "fc"], vec![transposed]));
    [vec![fc, reshape], between, vec![node("ConvTranspose", &[ct1_input, "w"], ct1)]].concat()
}

#[test]
fn huge_tensors_per_row_of_the_input_are_refused() {
    let wide = pb::NodeProto { output: vec!["zz".into()], ..node("Reshape", &["z", "s"], vec![]) };
    let cases = [
        ("ct1 with stride 4096", generator_head(4096)),
        (
            "z [N, 100, 1] broadcast against a [1, 1, 2^16] constant",
            per_row(
                vec![ints("s", &[0, 100, 1]), floats("c", &[1, 1, 1 << 16])],
                vec![wide, node("Add", &["zz", "c"], vec![])],
            ),
        ),
    ];
    for (what, values) in cases {
        println!("{what}: up to {values} values per row, refused (at most {MAX_VALUES_PER_ROW})");
        assert!(values > MAX_VALUES_PER_ROW, "{what}");
    }
    // ct1's output: 128 channels of (4096·3 + 3 + 1)² (the pads not subtracted: a bound).
    assert_eq!(generator_head(4096), 128 * 12292 * 12292);
    // The same layers as the generator has them pass (the shipped files: above).
    assert_eq!(generator_head(2), 0);
}

/// What a stranger could do around ct1 to hide its size: an Unsqueeze/Squeeze pair, a
/// reshape computed from the input's own shape (as PyTorch's exporter writes it), nodes
/// out of order, the batch folded into another axis, an output_shape with the batch and
/// channels first. Each is bounded or refused; the same graphs at ct1's real stride pass.
#[test]
fn shapes_hidden_from_the_screening_are_worked_out_or_refused() {
    let reshape = || with("x", node("Reshape", &["h", "s"], vec![]));
    let axes = || vec![ints_attr("axes", &[4])];
    let pair = || vec![with("u", node("Unsqueeze", &["x"], axes())), with("x2", node("Squeeze", &["u"], axes()))];
    for stride in [2, 4096] {
        let values = per_row(head_weights(), head(stride, reshape(), pair()));
        println!("Unsqueeze/Squeeze before ct1, stride {stride}: {values} values per row");
        assert_eq!(values > 0, stride == 4096);
    }
    // PyTorch's x.view(x.size(0), 256, 4, 4): Shape -> Gather -> Concat -> Reshape.
    let computed = |stride| {
        let mut weights = head_weights();
        weights.extend([ints("zero", &[0]), ints("rest", &[256, 4, 4])]);
        let axis = pb::AttributeProto { name: "axis".into(), ..Default::default() };
        let shape = vec![
            with("shape", node("Shape", &["h"], vec![])),
            with("batch", node("Gather", &["shape", "zero"], vec![])),
            with("dims", node("Concat", &["batch", "rest"], vec![axis])),
            with("x", node("Reshape", &["h", "dims"], vec![])),
        ];
        let nodes = head(stride, reshape(), vec![]);
        per_row(weights, [vec![nodes[0].clone()], shape, vec![nodes[2].clone()]].concat())
    };
    assert_eq!(computed(2), 0, "a computed reshape at ct1's real stride passes");
    assert_eq!(computed(4096), 128 * 12292 * 12292);

    let mut reversed = head(2, reshape(), vec![]);
    reversed.reverse();
    let text = refusal(head_weights(), reversed).unwrap();
    println!("nodes reversed: {text}");
    assert!(text.contains("before any node makes it"), "{text}");

    // z [N, 100] as [100N, 1] and [1, 100N]: their product grows with N².
    let nodes = vec![
        with("col", node("Reshape", &["z", "c"], vec![])),
        with("row", node("Reshape", &["z", "r"], vec![])),
        node("MatMul", &["col", "row"], vec![]),
    ];
    let text = refusal(vec![ints("c", &[-1, 1]), ints("r", &[1, -1])], nodes).unwrap();
    println!("batch folded into an axis: {text}");
    assert!(text.contains("moves the batch off the first axis"), "{text}");

    let nodes = head(2, reshape(), vec![]);
    let shaped = vec![ints_attr("output_shape", &[1, 128, 65536, 65536])];
    let ct1 = pb::NodeProto { attribute: shaped, ..nodes[2].clone() };
    let values = per_row(head_weights(), vec![nodes[0].clone(), nodes[1].clone(), ct1]);
    println!("output_shape [1, 128, 65536, 65536]: {values} values per row");
    assert_eq!(values, 128 * 65536 * 65536);
}
