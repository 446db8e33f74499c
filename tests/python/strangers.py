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
print(f"strangers: {len(os.listdir(out))} files in {out}")
