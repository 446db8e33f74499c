"""Test a running `serve --grpc-port` (DESIGN.md §11) with the official gRPC client of the
Open Inference Protocol, `tritonclient.grpc`, and with its generated stubs for what the
client cannot send (typed `contents`, malformed requests).

usage: serve_grpc.py check  --url 127.0.0.1:PORT --model dcgan --max-rows M --z Z.npy --want WANT.npy
                            --seed S --count N --seed-want SEEDWANT.npy [--conditional --digit D]
       serve_grpc.py limits --url 127.0.0.1:PORT --model dcgan --pid PID --rows R

check: health, server and model metadata, infer with raw_input_contents (tritonclient's way)
and with typed contents, each equal to `infer --raw` for the same z, a seeded request, and
every bad request answered with its status code and a message naming the problem.
limits: against a server started with --max-queue-rows below 2·R and a long --max-delay-us,
so that a first request of R rows waits: a second one gets RESOURCE_EXHAUSTED; then SIGTERM
to PID while the first is in flight: it still gets its images, and a later call fails
UNAVAILABLE.
Prints every measured value beside its limit; exits 0 when all pass, 1 otherwise.
"""
import argparse
import os
import queue
import signal
import time

import grpc
import numpy as np
import tritonclient.grpc as grpcclient
from tritonclient.grpc import service_pb2, service_pb2_grpc
from tritonclient.utils import InferenceServerException

from checks import compare, finish, report

LATENT = 100
TIMEOUT_S = 60


def inputs(args, z):
    """InferInputs for z (and label = --digit on every row for a conditional model)."""
    t = grpcclient.InferInput("z", list(z.shape), "FP32")
    t.set_data_from_numpy(z)
    out = [t]
    if args.conditional:
        label = grpcclient.InferInput("label", [z.shape[0]], "INT64")
        label.set_data_from_numpy(np.full(z.shape[0], args.digit, dtype=np.int64))
        out.append(label)
    return out


def check_metadata(client, args):
    report("server live", client.is_server_live())
    report("server ready", client.is_server_ready())
    report("model ready", client.is_model_ready(args.model))
    meta = client.get_server_metadata(as_json=True)
    report("server metadata", bool(meta.get("name")) and "binary_tensor_data" in meta.get("extensions", []), str(meta))
    want_inputs = [{"name": "z", "datatype": "FP32", "shape": ["-1", str(LATENT)]}]
    if args.conditional:
        want_inputs.append({"name": "label", "datatype": "INT64", "shape": ["-1"]})
    want_outputs = [{"name": "image", "datatype": "FP32", "shape": ["-1", "1", "28", "28"]}]
    for version in ["", "1"]:
        m = client.get_model_metadata(args.model, model_version=version, as_json=True)
        ok = (m.get("name") == args.model and m.get("platform") == "onnx" and m.get("inputs") == want_inputs
              and m.get("outputs") == want_outputs)
        report(f"model metadata (version {version or 'unspecified'})", ok, str(m))


def typed_request(args, z, labels=None, **overrides):
    """A ModelInferRequest with typed contents, built with the generated stubs."""
    req = service_pb2.ModelInferRequest(model_name=overrides.pop("model", args.model), id="typed-1")
    t = req.inputs.add(name=overrides.pop("name", "z"), datatype=overrides.pop("datatype", "FP32"),
                       shape=overrides.pop("shape", list(z.shape)))
    t.contents.fp32_contents.extend(z.ravel().tolist())
    if labels is not None:
        t = req.inputs.add(name="label", datatype="INT64", shape=[len(labels)])
        t.contents.int64_contents.extend(labels)
    assert not overrides, overrides
    return req


def check_infer(client, stub, args, z, want):
    r = client.infer(args.model, inputs(args, z), request_id="req-7")
    compare("infer, raw_input_contents (tritonclient)", r.as_numpy("image"), want)
    report("infer echoes the request id", r.get_response().id == "req-7", repr(r.get_response().id))
    labels = [args.digit] * len(z) if args.conditional else None
    answer = stub.ModelInfer(typed_request(args, z, labels), timeout=TIMEOUT_S)
    got = np.frombuffer(answer.raw_output_contents[0], dtype="<f4").reshape(list(answer.outputs[0].shape))
    compare("infer, typed contents (fp32_contents / int64_contents)", got, want)
    r = client.infer(args.model, inputs(args, z[:1]), model_version="1")
    compare("infer, 1 row, version 1", r.as_numpy("image"), want[:1])


def check_seeded(client, args, seed_want):
    params = {"seed": args.seed, "count": args.count}
    if args.conditional:
        params["digit"] = args.digit
    r = client.infer(args.model, inputs=[], parameters=params)
    compare(f"seeded infer {params}", r.as_numpy("image"), seed_want)
    if args.conditional:
        digits = ",".join(str(args.digit) for _ in range(args.count))
        r = client.infer(args.model, inputs=[], parameters={"seed": args.seed, "count": args.count, "digits": digits})
        compare(f"seeded infer with digits '{digits}'", r.as_numpy("image"), seed_want)


def status_of(call):
    """(status code name, message) of a call that should fail; ('OK', '') if it did not."""
    try:
        call()
        return "OK", ""
    except InferenceServerException as e:
        return (e.status() or "").replace("StatusCode.", ""), e.message() or ""
    except grpc.RpcError as e:
        return e.code().name, e.details() or ""


def check_errors(client, stub, args):
    m = args.max_rows
    one = np.zeros((1, LATENT), np.float32)
    label = [args.digit or 0] if args.conditional else None

    def typed(**kw):
        z = kw.pop("z", one)
        return lambda: stub.ModelInfer(typed_request(args, z, label, **kw), timeout=TIMEOUT_S)

    def raw(z_bytes, shape=(1, LATENT)):
        req = service_pb2.ModelInferRequest(model_name=args.model)
        req.inputs.add(name="z", datatype="FP32", shape=list(shape))
        req.raw_input_contents.append(z_bytes)
        if args.conditional:
            req.inputs.add(name="label", datatype="INT64", shape=[1])
            req.raw_input_contents.append(np.array(label, np.int64).tobytes())
        return lambda: stub.ModelInfer(req, timeout=TIMEOUT_S)

    nan = one.copy()
    nan[0, 3] = np.nan
    big = np.zeros((m + 1, LATENT), np.float32)
    cases = [  # (what, call, status code, a word the message must contain)
        ("unknown model", typed(model="nosuchmodel"), "NOT_FOUND", "nosuchmodel"),
        ("unknown model metadata", lambda: client.get_model_metadata("nosuchmodel"), "NOT_FOUND", "nosuchmodel"),
        ("unknown version", lambda: client.get_model_metadata(args.model, model_version="2"), "NOT_FOUND", "version"),
        ("unknown input name", typed(name="zz"), "INVALID_ARGUMENT", "zz"),
        ("wrong datatype", typed(datatype="FP64"), "INVALID_ARGUMENT", "FP64"),
        ("wrong shape", typed(shape=[1, LATENT + 1]), "INVALID_ARGUMENT", "shape"),
        ("wrong raw byte count", raw(b"\0" * (4 * LATENT - 4)), "INVALID_ARGUMENT", "bytes"),
        ("non-finite value", raw(nan.tobytes()), "INVALID_ARGUMENT", "non-finite"),
        (f"{m + 1} rows (over --max-rows {m})", typed(z=big), "INVALID_ARGUMENT", str(m)),
        (f"seeded count {m + 1}", lambda: client.infer(args.model, [], parameters={"seed": 1, "count": m + 1}),
         "INVALID_ARGUMENT", "count"),
        ("seeded without a seed", lambda: client.infer(args.model, [], parameters={"count": 2}),
         "INVALID_ARGUMENT", "seed"),
        ("unknown output", lambda: client.infer(args.model, inputs(args, one),
                                                outputs=[grpcclient.InferRequestedOutput("picture")]),
         "INVALID_ARGUMENT", "picture"),
    ]
    if args.conditional:
        cases += [
            ("seeded digit 10", lambda: client.infer(args.model, [], parameters={"seed": 1, "digit": 10}),
             "INVALID_ARGUMENT", "10"),
            ("digits of the wrong count", lambda: client.infer(args.model, [], parameters={
                "seed": 1, "count": 3, "digits": "1,2"}), "INVALID_ARGUMENT", "digits"),
            ("label missing", lambda: stub.ModelInfer(typed_request(args, one), timeout=TIMEOUT_S),
             "INVALID_ARGUMENT", "label"),
        ]
    else:
        cases += [
            ("seeded digit on an unconditional model", lambda: client.infer(args.model, [], parameters={
                "seed": 1, "digit": 3}), "INVALID_ARGUMENT", "unconditional"),
        ]
    for what, call, want, word in cases:
        code, message = status_of(call)
        report(f"error: {what}", code == want and word in message,
               f"{code} (want {want}), {message[:160]!r} (must name {word!r})")
    report("server live after the errors", client.is_server_live())


def check_limits(args):
    """Queue full -> RESOURCE_EXHAUSTED; SIGTERM with a request in flight -> it completes,
    later calls -> UNAVAILABLE."""
    client = grpcclient.InferenceServerClient(url=args.url)
    z = np.zeros((args.rows, LATENT), np.float32)
    done = queue.Queue()
    started = time.monotonic()
    client.async_infer(args.model, inputs(args, z), callback=lambda result, error: done.put((result, error)))
    time.sleep(0.2)  # the first request waits in the queue (the server's long --max-delay-us)
    code, message = status_of(lambda: client.infer(args.model, inputs(args, z)))
    report("a request beyond --max-queue-rows", code == "RESOURCE_EXHAUSTED" and "queue" in message,
           f"{code} (want RESOURCE_EXHAUSTED), {message!r}")
    os.kill(args.pid, signal.SIGTERM)
    result, error = done.get(timeout=TIMEOUT_S)
    ok = error is None and result.as_numpy("image").shape == (args.rows, 1, 28, 28)
    report("the request in flight at SIGTERM gets its images", ok,
           f"error {error}, {time.monotonic() - started:.2f} s after it was sent")
    time.sleep(0.5)
    code, message = status_of(lambda: grpcclient.InferenceServerClient(url=args.url).is_server_live())
    report("a call after the shutdown", code == "UNAVAILABLE", f"{code} (want UNAVAILABLE), {message[:100]!r}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["check", "limits"])
    p.add_argument("--url", required=True)
    p.add_argument("--model", default="dcgan")
    p.add_argument("--max-rows", type=int, default=64)
    p.add_argument("--z")
    p.add_argument("--want")
    p.add_argument("--seed", type=int)
    p.add_argument("--count", type=int)
    p.add_argument("--seed-want")
    p.add_argument("--conditional", action="store_true")
    p.add_argument("--digit", type=int)
    p.add_argument("--pid", type=int)
    p.add_argument("--rows", type=int, default=40)
    args = p.parse_args()
    if args.mode == "limits":
        check_limits(args)
    else:
        client = grpcclient.InferenceServerClient(url=args.url)
        stub = service_pb2_grpc.GRPCInferenceServiceStub(grpc.insecure_channel(args.url))
        z, want, seed_want = np.load(args.z), np.load(args.want), np.load(args.seed_want)
        check_metadata(client, args)
        check_infer(client, stub, args, z, want)
        check_seeded(client, args, seed_want)
        check_errors(client, stub, args)
    finish()


if __name__ == "__main__":
    main()
