"""Check an exported generator with the reference ONNX tools.

usage: conformance.py MODEL.onnx Z.f32 WANT.f32 N TOLERANCE [LABELS.i64]

Runs onnx.checker.check_model(full_check=True), checks the declared interface
(z [N,100] -> image [N,1,28,28], and label int64 [N] for a conditional model given
LABELS), then compares onnxruntime's output with the trainer's (raw little-endian
files). Exits 1 on failure.
"""
import sys

import numpy as np
import onnx
import onnxruntime as ort

model_path, z_path, want_path, n, tol = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
labels_path = sys.argv[6] if len(sys.argv) > 6 else None
model = onnx.load(model_path)
onnx.checker.check_model(model, full_check=True)
assert model.ir_version == 8, model.ir_version
assert [(o.domain, o.version) for o in model.opset_import] == [("", 17)], model.opset_import

def dims(v):
    return [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]

inputs = [i.name for i in model.graph.input]
assert inputs == (["z", "label"] if labels_path else ["z"]) and dims(model.graph.input[0]) == ["N", 100], inputs
if labels_path:
    assert model.graph.input[1].type.tensor_type.elem_type == onnx.TensorProto.INT64 and dims(model.graph.input[1]) == ["N"]
assert [o.name for o in model.graph.output] == ["image"] and dims(model.graph.output[0]) == ["N", 1, 28, 28]
meta = {p.key: p.value for p in model.metadata_props}
assert meta["latent_dim"] == "100" and meta["latent_distribution"] == "uniform(-1,1)", meta
if labels_path:
    assert meta["conditional"] == "true" and meta["num_classes"] == "10", meta

z = np.fromfile(z_path, dtype="<f4").reshape(n, 100)
want = np.fromfile(want_path, dtype="<f4").reshape(n, 1, 28, 28)
session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
feed = {"z": z}
if labels_path:
    feed["label"] = np.fromfile(labels_path, dtype="<i8")
(got,) = session.run(["image"], feed)
diff = float(np.abs(got - want).max())
print(f"{model_path.rsplit('/', 1)[-1]}: onnx.checker full_check ok; python onnxruntime {ort.__version__} vs tch: max |d| = {diff:.3e} (tolerance {tol:.0e})")
sys.exit(0 if diff <= tol else 1)
