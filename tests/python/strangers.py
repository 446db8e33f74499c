"""ONNX files a stranger might hand an app, each made from a real generator with the
Python `onnx` package (the library every ONNX tool uses), for infer/tests/strangers.rs.

usage: strangers.py GEN.onnx OUTDIR
Writes into OUTDIR, one file per way a model can reach past its own bytes or past what
the loader inspects:
  external.onnx (+ w.bin)  weights kept as external data in w.bin
  if.onnx                  an If node whose branches are subgraphs
  function.onnx            a model-local function
  domain.onnx              a node from a custom operator domain
  lying.onnx               fc.weight declaring twice the rows its bytes hold
  unknown-op.onnx          an operator no runtime implements, in the standard domain
Tiny files that declare or compute huge tensors, with and without metadata:
  wide-z-2e31.onnx         z declared [N, 2^31], no latent_dim metadata
  wide-z-max.onnx          z declared [N, i64::MAX], no latent_dim metadata
  constant-of-shape.onnx   ConstantOfShape of 2^36 floats, summed into the image
  expand.onnx              a scalar Expanded to 2^36 floats, summed into the image
  broadcast.onnx           [2^18, 1] + [1, 2^18] constants (2^36 values), summed into the image
  matmul.onnx              [2^18, 1] · [1, 2^18] constants (2^36 values), summed into the image
  gather.onnx              2^18 rows gathered from a [1, 2^18] constant (2^36 values), summed
  folded-conv.onnx         a [1,1,4,4] constant transposed-convolved with stride 65536 (3.9·10^10 values)
  stride.onnx              ct1's stride set to 2^30
  wide-plan.onnx           ct1's stride set to 2^12: 1.9·10^10 values per row of the batch
  sparse.onnx              a sparse initializer whose values name an external file
"""
import os
import sys

import onnx
from onnx import TensorProto, helper

source, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
base = onnx.load(source)


def fresh():
    m = onnx.ModelProto()
    m.CopyFrom(base)
    return m


def save(m, name):
    with open(os.path.join(out, name), "wb") as f:
        f.write(m.SerializeToString())


onnx.save_model(
    fresh(),
    os.path.join(out, "external.onnx"),
    save_as_external_data=True,
    all_tensors_to_one_file=True,
    location="w.bin",
    size_threshold=1024,
)

# An If whose branches each yield a constant; its output is unused, so the generator
# would still run — the point is that the loader never inspects what a subgraph does.
m = fresh()
branch = lambda v: helper.make_graph(
    [helper.make_node("Constant", [], ["c"], value=helper.make_tensor("v", TensorProto.FLOAT, [1], [v]))],
    f"branch{v}",
    [],
    [helper.make_tensor_value_info("c", TensorProto.FLOAT, [1])],
)
m.graph.initializer.append(helper.make_tensor("flag", TensorProto.BOOL, [], [True]))
m.graph.node.append(helper.make_node("If", ["flag"], ["unused"], then_branch=branch(1.0), else_branch=branch(0.0)))
save(m, "if.onnx")

m = fresh()
m.functions.append(
    helper.make_function(
        "com.example", "Twice", ["x"], ["y"], [helper.make_node("Add", ["x", "x"], ["y"])],
        [helper.make_opsetid("", 17)],
    )
)
save(m, "function.onnx")

m = fresh()
m.graph.node.append(helper.make_node("Frob", ["z"], ["frobbed"], domain="com.example"))
save(m, "domain.onnx")

m = fresh()
fc = next(t for t in m.graph.initializer if t.name == "fc.weight")
fc.dims[0] *= 2
save(m, "lying.onnx")

# Replace the output's Tanh with an operator that does not exist.
m = fresh()
last = next(n for n in m.graph.node if n.op_type == "Tanh")
last.op_type = "Frobnicate"
save(m, "unknown-op.onnx")


def without_latent_metadata(m):
    keep = [p for p in m.metadata_props if p.key != "latent_dim"]
    del m.metadata_props[:]
    m.metadata_props.extend(keep)


for name, width in [("wide-z-2e31.onnx", 1 << 31), ("wide-z-max.onnx", (1 << 63) - 1)]:
    m = fresh()
    without_latent_metadata(m)
    m.graph.input[0].type.tensor_type.shape.dim[1].dim_value = width
    save(m, name)


def summed_into_image(m, nodes, huge):
    """Adds ReduceSum(huge) (a scalar) to the image: the output keeps its shape."""
    out = m.graph.output[0].name
    last = next(n for n in m.graph.node if out in n.output)
    last.output[list(last.output).index(out)] = "image_before"
    m.graph.node.extend(nodes)
    m.graph.node.append(helper.make_node("ReduceSum", [huge], ["huge_sum"], keepdims=0))
    m.graph.node.append(helper.make_node("Add", ["image_before", "huge_sum"], [out]))
    return m


huge_shape = helper.make_tensor("huge_shape", TensorProto.INT64, [1], [1 << 36])
m = fresh()
m.graph.initializer.append(huge_shape)
save(summed_into_image(m, [helper.make_node("ConstantOfShape", ["huge_shape"], ["huge"])], "huge"), "constant-of-shape.onnx")

m = fresh()
m.graph.initializer.extend([huge_shape, helper.make_tensor("one", TensorProto.FLOAT, [], [1.0])])
save(summed_into_image(m, [helper.make_node("Expand", ["one", "huge_shape"], ["huge"])], "huge"), "expand.onnx")

m = fresh()
m.graph.initializer.extend([
    helper.make_tensor("col", TensorProto.FLOAT, [1 << 18, 1], [0.0] * (1 << 18)),
    helper.make_tensor("row", TensorProto.FLOAT, [1, 1 << 18], [0.0] * (1 << 18)),
])
save(summed_into_image(m, [helper.make_node("Add", ["col", "row"], ["huge"])], "huge"), "broadcast.onnx")

m = fresh()
m.graph.initializer.extend([
    helper.make_tensor("col", TensorProto.FLOAT, [1 << 18, 1], [0.0] * (1 << 18)),
    helper.make_tensor("row", TensorProto.FLOAT, [1, 1 << 18], [0.0] * (1 << 18)),
])
save(summed_into_image(m, [helper.make_node("MatMul", ["col", "row"], ["huge"])], "huge"), "matmul.onnx")

m = fresh()
m.graph.initializer.extend([
    helper.make_tensor("row", TensorProto.FLOAT, [1, 1 << 18], [0.0] * (1 << 18)),
    helper.make_tensor("picks", TensorProto.INT64, [1 << 18], [0] * (1 << 18)),
])
save(summed_into_image(m, [helper.make_node("Gather", ["row", "picks"], ["huge"], axis=0)], "huge"), "gather.onnx")

m = fresh()
m.graph.initializer.extend([
    helper.make_tensor("small", TensorProto.FLOAT, [1, 1, 4, 4], [0.0] * 16),
    helper.make_tensor("kernel", TensorProto.FLOAT, [1, 1, 4, 4], [0.0] * 16),
])
wide = helper.make_node("ConvTranspose", ["small", "kernel"], ["huge"], strides=[1 << 16, 1 << 16])
save(summed_into_image(m, [wide], "huge"), "folded-conv.onnx")

def with_ct1_stride(stride):
    m = fresh()
    ct = next(n for n in m.graph.node if n.op_type == "ConvTranspose")
    next(a for a in ct.attribute if a.name == "strides").ints[:] = [stride, stride]
    return m


save(with_ct1_stride(1 << 30), "stride.onnx")
# Within every attribute bound, but ct1 then makes 128 x 12290 x 12290 values per row:
# ONNX Runtime would try to allocate 77 GB on the first row.
save(with_ct1_stride(1 << 12), "wide-plan.onnx")

m = fresh()
values = helper.make_tensor("sparse_values", TensorProto.FLOAT, [1], [0.0])
values.ClearField("float_data")
values.data_location = TensorProto.EXTERNAL
values.external_data.add(key="location", value="w.bin")
m.graph.sparse_initializer.append(
    helper.make_sparse_tensor(values, helper.make_tensor("sparse_indices", TensorProto.INT64, [1], [0]), [4])
)
save(m, "sparse.onnx")
print(f"strangers: {len(os.listdir(out))} files in {out}")
