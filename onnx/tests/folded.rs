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

#[test]
fn nodes_fed_by_an_undeclared_input_are_left_to_the_plan() {
    // `z` is no constant and no declared input: the runtime library bounds this per row
    // once the batch is known.
    let nodes = vec![node("MatMul", &["z", "b"], vec![])];
    assert_eq!(folded(vec![floats("b", &[1, 1 << 18])], nodes), 0);
}

/// The values per row the screening says `nodes` make from the input `z` [N, 100] and
/// `initializer` (0 when it passes).
fn per_row(initializer: Vec<pb::TensorProto>, nodes: Vec<pb::NodeProto>) -> u64 {
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
    match screen(&pb::ModelProto { graph: Some(graph), ..Default::default() }) {
        Ok(()) => 0,
        Err(e) => {
            let text = e.to_string();
            assert!(text.contains("per row of the batch"), "{text}");
            text.split("makes up to ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap()
        }
    }
}

/// G's first layers from `z`: fc (Gemm), a reshape by [-1, 256, 4, 4], ct1 with `stride`.
fn generator_head(stride: i64) -> u64 {
    let with = |output: &str, n: pb::NodeProto| pb::NodeProto { output: vec![output.into()], ..n };
    per_row(
        vec![floats("fc", &[4096, 100]), ints("s", &[-1, 256, 4, 4]), floats("w", &[256, 128, 4, 4])],
        vec![
            with(
                "h",
                node(
                    "Gemm",
                    &["z", "fc"],
                    vec![pb::AttributeProto { name: "transB".into(), i: 1, ..Default::default() }],
                ),
            ),
            with("x", node("Reshape", &["h", "s"], vec![])),
            node(
                "ConvTranspose",
                &["x", "w"],
                vec![ints_attr("strides", &[stride, stride]), ints_attr("pads", &[1; 4])],
            ),
        ],
    )
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
