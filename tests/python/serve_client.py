"""Test a running `serve` (DESIGN.md §8) with the official Open Inference Protocol v2 client.

usage: serve_client.py --url 127.0.0.1:PORT --model dcgan --max-rows M
                       --z Z.npy --want WANT.npy --seed S --count N --seed-want SEEDWANT.npy
                       --png PNG --png-query 'seed=S&n=N&cols=C&scale=K' --onnx MODEL.onnx
                       [--max-body-bytes B] [--conditional --digit D]

Made by the caller with the same model and backend:
  Z.npy         float32 [n,100] latents
  WANT.npy      `infer --z Z.npy --raw WANT.npy` (conditional: add `--digit D`)
  SEEDWANT.npy  `infer --seed S -n N --raw SEEDWANT.npy` (conditional: add `--digit D`)
  PNG           `infer --seed .. -n .. --cols .. --scale .. --out PNG` (the --png-query flags)
  MODEL.onnx    the file the server was started with

Checks, with `tritonclient.http`: health, server and model metadata, model ready, infer with
binary tensors (client defaults, and an explicitly requested binary output) and with JSON
tensors, and a seeded request (no inputs, parameters seed/count[/digit]), each against the
files above. With plain http.client (so the bytes are ours): the error answers (status and
a JSON {"error": "..."} naming the problem), the PNG and /model.onnx bytes. With a raw socket:
garbage and a truncated request, after which the server still answers.
Prints every measured value beside its limit; exits 0 when all pass, 1 otherwise.
"""
import argparse
import http.client
import json
import socket

import numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

from checks import compare, finish, report

# The server's default --max-body-bytes: room for --max-rows rows of z as JSON (bin/serve.rs).
JSON_BYTES_PER_VALUE = 25
BODY_SLACK_BYTES = 65536
LATENT = 100
TIMEOUT_S = 60
GARBAGE_READ_TIMEOUT_S = 5


def tensors(args, z, binary):
    """InferInputs for z (and label = --digit on every row for a conditional model)."""
    t = httpclient.InferInput("z", list(z.shape), "FP32")
    t.set_data_from_numpy(z, binary_data=binary)
    out = [t]
    if args.conditional:
        label = httpclient.InferInput("label", [z.shape[0]], "INT64")
        label.set_data_from_numpy(np.full(z.shape[0], args.digit, dtype=np.int64), binary_data=binary)
        out.append(label)
    return out


def check_health_and_metadata(client, args):
    report("server live", client.is_server_live())
    report("server ready", client.is_server_ready())
    meta = client.get_server_metadata()
    report("server metadata", isinstance(meta.get("name"), str) and isinstance(meta.get("version"), str)
           and "binary_tensor_data" in meta.get("extensions", []), json.dumps(meta))
    inputs = [{"name": "z", "datatype": "FP32", "shape": [-1, LATENT]}]
    if args.conditional:
        inputs.append({"name": "label", "datatype": "INT64", "shape": [-1]})
    outputs = [{"name": "image", "datatype": "FP32", "shape": [-1, 1, 28, 28]}]
    for version in ["", "1"]:
        m = client.get_model_metadata(args.model, model_version=version)
        ok = (m.get("name") == args.model and m.get("platform") == "onnx" and m.get("inputs") == inputs
              and m.get("outputs") == outputs)
        report(f"model metadata (version {version or 'unspecified'})", ok, json.dumps(m))
    report("model ready", client.is_model_ready(args.model))
    report("version 1 ready", client.is_model_ready(args.model, model_version="1"))


def check_infer(client, args, z, want):
    # Client defaults: binary inputs, no requested outputs -> binary_data_output.
    r = client.infer(args.model, tensors(args, z, binary=True))
    compare("infer, binary tensors, default outputs", r.as_numpy("image"), want)
    out = [httpclient.InferRequestedOutput("image", binary_data=True)]
    r = client.infer(args.model, tensors(args, z, binary=True), outputs=out, request_id="req-7")
    compare("infer, binary output requested", r.as_numpy("image"), want)
    report("infer echoes the request id", r.get_response().get("id") == "req-7", repr(r.get_response().get("id")))
    out = [httpclient.InferRequestedOutput("image", binary_data=False)]
    r = client.infer(args.model, tensors(args, z, binary=False), outputs=out)
    compare("infer, JSON tensors in and out", r.as_numpy("image"), want)
    r = client.infer(args.model, tensors(args, z[:1], binary=True), model_version="1")
    compare("infer, 1 row, /versions/1", r.as_numpy("image"), want[:1])


def check_seeded(client, args, seed_want):
    # tritonclient accepts an empty input list and custom (non-reserved) parameters.
    params = {"seed": args.seed, "count": args.count}
    if args.conditional:
        params["digit"] = args.digit
    r = client.infer(args.model, inputs=[], parameters=params)
    compare(f"seeded infer {params}, binary output", r.as_numpy("image"), seed_want)
    out = [httpclient.InferRequestedOutput("image", binary_data=False)]
    r = client.infer(args.model, inputs=[], outputs=out, parameters=params)
    compare(f"seeded infer {params}, JSON output", r.as_numpy("image"), seed_want)


def request(args, method, path, body=None, headers=None):
    """Plain HTTP: (status, headers, body bytes). A server may answer (413) before it has
    read all of a large body and close; the answer is still read."""
    conn = http.client.HTTPConnection(args.host, args.port, timeout=TIMEOUT_S)
    try:
        try:
            conn.request(method, path, body=body, headers=headers or {})
        except (BrokenPipeError, ConnectionResetError):
            pass
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def check_bytes(args):
    status, headers, body = request(args, "GET", f"/v1/samples.png?{args.png_query}")
    with open(args.png, "rb") as f:
        want = f.read()
    report(f"GET /v1/samples.png?{args.png_query} equals {args.png}",
           status == 200 and headers.get("content-type") == "image/png" and body == want,
           f"status {status}, {len(body)} bytes vs {len(want)}")
    status, _, body = request(args, "GET", "/model.onnx")
    with open(args.onnx, "rb") as f:
        want = f.read()
    report(f"GET /model.onnx equals {args.onnx}", status == 200 and body == want,
           f"status {status}, {len(body)} bytes vs {len(want)}")


def z_json(shape, values, datatype="FP32", name="z"):
    return {"name": name, "shape": shape, "datatype": datatype, "data": values}


def check_errors(args):
    m, infer = args.max_rows, f"/v2/models/{args.model}/infer"
    body_limit = args.max_body_bytes or m * LATENT * JSON_BYTES_PER_VALUE + BODY_SLACK_BYTES
    label = [{"name": "label", "shape": [1], "datatype": "INT64", "data": [args.digit or 0]}] if args.conditional else []

    def inputs(*tensors):
        return json.dumps({"inputs": list(tensors) + label}).encode()

    head = json.dumps({"inputs": [{"name": "z", "shape": [1, LATENT], "datatype": "FP32",
                                   "parameters": {"binary_data_size": 4 * LATENT}}] + label}).encode()
    one = [0.0] * LATENT
    cases = [  # (what, method, path, body, headers, status, a word the error must contain)
        ("unknown model", "POST", "/v2/models/nosuchmodel/infer", inputs(z_json([1, LATENT], one)), {}, 404, "nosuchmodel"),
        ("unknown model metadata", "GET", "/v2/models/nosuchmodel", None, {}, 404, "nosuchmodel"),
        ("unknown input name", "POST", infer, inputs(z_json([1, LATENT], one, name="zz")), {}, 400, "zz"),
        ("wrong datatype", "POST", infer, inputs(z_json([1, LATENT], one, datatype="FP64")), {}, 400, "FP64"),
        ("wrong shape", "POST", infer, inputs(z_json([1, LATENT + 1], one + [0.0])), {}, 400, "shape"),
        ("wrong element count", "POST", infer, inputs(z_json([1, LATENT], one[:-1])), {}, 400, str(LATENT - 1)),
        ("wrong binary byte count", "POST", infer, head + b"\0" * (4 * LATENT - 4),
         {"Inference-Header-Content-Length": str(len(head))}, 400, "binary_data_size"),
        (f"{m + 1} rows (over --max-rows {m})", "POST", infer, inputs(z_json([m + 1, LATENT], one * (m + 1))), {}, 400, str(m)),
        (f"seeded count {m + 1} (over --max-rows)", "POST", infer,
         json.dumps({"parameters": {"seed": 1, "count": m + 1}}).encode(), {}, 400, "count"),
        (f"body of {2 * body_limit} bytes (limit {body_limit})", "POST", infer, b" " * (2 * body_limit), {}, 413, "limit"),
        ("malformed JSON", "POST", infer, b'{"inputs": [', {}, 400, "JSON"),
        ("binary header longer than the body", "POST", infer, b"{}",
         {"Inference-Header-Content-Length": "999"}, 400, "Inference-Header-Content-Length"),
        ("binary header not a number", "POST", infer, b"{}",
         {"Inference-Header-Content-Length": "ten"}, 400, "Inference-Header-Content-Length"),
        ("PNG n=0", "GET", "/v1/samples.png?n=0", None, {}, 400, "n=0"),
        ("PNG scale=65", "GET", "/v1/samples.png?scale=65", None, {}, 400, "scale=65"),
        ("PNG seed=-1", "GET", "/v1/samples.png?seed=-1", None, {}, 400, "seed=-1"),
        ("PNG unknown parameter", "GET", "/v1/samples.png?colour=red", None, {}, 400, "colour"),
        (f"PNG n={m + 1} (over --max-rows)", "GET", f"/v1/samples.png?n={m + 1}", None, {}, 400, str(m + 1)),
    ]
    if args.conditional:
        cases += [
            ("PNG digit=10", "GET", "/v1/samples.png?digit=10", None, {}, 400, "10"),
            ("seeded digit 10", "POST", infer, json.dumps({"parameters": {"seed": 1, "digit": 10}}).encode(), {}, 400, "10"),
            ("label 10", "POST", infer, json.dumps({"inputs": [z_json([1, LATENT], one), {
                "name": "label", "shape": [1], "datatype": "INT64", "data": [10]}]}).encode(), {}, 400, "10"),
        ]
    else:
        cases += [
            ("PNG digit on an unconditional model", "GET", "/v1/samples.png?digit=3", None, {}, 400, "unconditional"),
            ("seeded digit on an unconditional model", "POST", infer,
             json.dumps({"parameters": {"seed": 1, "digit": 3}}).encode(), {}, 400, "unconditional"),
        ]
    for what, method, path, body, headers, want_status, word in cases:
        if body is not None:
            headers = {"Content-Type": "application/json", **headers}
        status, answer_headers, answer = request(args, method, path, body, headers)
        try:
            error = json.loads(answer)["error"]
        except (ValueError, KeyError, TypeError):
            error = None
        json_type = answer_headers.get("content-type") == "application/json"
        ok = status == want_status and json_type and isinstance(error, str) and word in error
        report(f"error: {what}", ok, f"status {status} (want {want_status}), {answer[:200]!r} (must name {word!r})")


def check_garbage(client, args, z, want):
    """Bytes that are not HTTP, a request cut short and a silent connection, on raw sockets:
    each gets a 4xx, or the connection closed (an orderly close, or a reset when the server
    closes with our bytes unread), never a hang; afterwards a normal request succeeds."""
    cut = f"POST /v2/models/{args.model}/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{{\"inputs\":"
    for what, data in [("garbage bytes", bytes(range(256)) * 8 + b"\r\n\r\n"), ("truncated request", cut.encode()),
                       ("connect and close", None)]:
        with socket.create_connection((args.host, args.port), timeout=GARBAGE_READ_TIMEOUT_S) as s:
            if data is None:
                # Connect, send nothing, close: the server must shrug it off (checked by
                # the requests that follow), there is nothing to read.
                s.shutdown(socket.SHUT_RDWR)
                report(f"raw socket, {what}", True, "closed without a byte")
                continue
            try:
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)  # the server sees the stream end early
                answer = s.recv(200).split(b"\r\n")[0] or b"<closed>"
            except socket.timeout:
                answer = b"<no answer in %d s>" % GARBAGE_READ_TIMEOUT_S
            except OSError as e:  # the server answered and closed already: reset / not connected
                answer = f"<{type(e).__name__}: {e.strerror}>".encode()
        ok = answer.startswith(b"HTTP/1.1 4") or (answer.startswith(b"<") and b"no answer" not in answer)
        report(f"raw socket, {what}", ok, f"answer {answer!r}")
    report("server live after garbage", client.is_server_live())
    r = client.infer(args.model, tensors(args, z, binary=True))
    compare("infer after garbage", r.as_numpy("image"), want)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True, help="HOST:PORT (tritonclient form)")
    p.add_argument("--model", default="dcgan")
    p.add_argument("--z", required=True)
    p.add_argument("--want", required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--seed-want", required=True)
    p.add_argument("--max-rows", type=int, required=True, help="the server's --max-rows")
    p.add_argument("--max-body-bytes", type=int, help="the server's --max-body-bytes, if given")
    p.add_argument("--png", required=True)
    p.add_argument("--png-query", required=True)
    p.add_argument("--onnx", required=True)
    p.add_argument("--conditional", action="store_true")
    p.add_argument("--digit", type=int)
    args = p.parse_args()
    if args.conditional and args.digit is None:
        p.error("--conditional needs --digit")
    args.url = args.url.removeprefix("http://").rstrip("/")
    args.host, port = args.url.rsplit(":", 1)
    args.port = int(port)

    z = np.load(args.z).astype(np.float32)
    want = np.load(args.want)
    seed_want = np.load(args.seed_want)
    client = httpclient.InferenceServerClient(url=args.url, network_timeout=TIMEOUT_S)
    groups = [(check_health_and_metadata, (client, args)), (check_infer, (client, args, z, want)),
              (check_seeded, (client, args, seed_want)), (check_bytes, (args,)), (check_errors, (args,)),
              (check_garbage, (client, args, z, want))]
    for check, check_args in groups:
        try:
            check(*check_args)
        except (InferenceServerException, OSError, http.client.HTTPException, KeyError, ValueError) as e:
            report(f"{check.__name__} raised", False, f"{type(e).__name__}: {e}")
    client.close()
    finish()


if __name__ == "__main__":
    main()
