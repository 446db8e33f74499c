"""Test a `serve --api-key-file` with tritonclient's own `headers=` (HTTP and gRPC), as a
client of a keyed Triton or KServe endpoint sends them.

usage: serve_auth.py --http 127.0.0.1:PORT --grpc 127.0.0.1:PORT --model dcgan --key KEY
                     --z Z.npy --want WANT.npy

Health is open to anyone; inference without a key or with a wrong one is refused (HTTP
401, gRPC UNAUTHENTICATED); with the key, the images equal `infer --raw` for the same z;
metadata and /metrics are closed without the key (no --open); /metrics counts the refusals.
Prints every measured value; exits 0 when all pass, 1 otherwise.
"""
import argparse
import urllib.error
import urllib.request

import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

from checks import compare, finish, report


def refused(name, call, want):
    try:
        call()
    except InferenceServerException as e:
        return report(name, want in str(e.status()) or want in str(e), f"{e.status()}: {e.message()}")
    return report(name, False, "answered without the key")


def http_get(url, headers):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def main():
    p = argparse.ArgumentParser()
    for flag in ["--http", "--grpc", "--model", "--key", "--z", "--want"]:
        p.add_argument(flag, required=True)
    args = p.parse_args()
    z, want = np.load(args.z), np.load(args.want)
    # Fresh dicts per call: tritonclient.http adds its own entries to the dict it is given.
    good = lambda: {"Authorization": f"Bearer {args.key}"}
    bad = lambda: {"Authorization": "Bearer " + "x" * len(args.key)}

    h = httpclient.InferenceServerClient(args.http)
    report("HTTP health without a key", h.is_server_live() and h.is_server_ready())
    t = httpclient.InferInput("z", list(z.shape), "FP32")
    t.set_data_from_numpy(z, binary_data=True)
    refused("HTTP infer without a key", lambda: h.infer(args.model, [t]), "401")
    refused("HTTP infer with a wrong key", lambda: h.infer(args.model, [t], headers=bad()), "401")
    refused("HTTP metadata without a key", lambda: h.get_model_metadata(args.model), "401")
    compare("HTTP infer with the key", h.infer(args.model, [t], headers=good()).as_numpy("image"), want)

    g = grpcclient.InferenceServerClient(args.grpc)
    report("gRPC health without a key", g.is_server_live() and g.is_server_ready() and g.is_model_ready(args.model))
    t = grpcclient.InferInput("z", list(z.shape), "FP32")
    t.set_data_from_numpy(z)
    refused("gRPC infer without a key", lambda: g.infer(args.model, [t]), "UNAUTHENTICATED")
    # gRPC metadata keys are lower case.
    lower = lambda headers: {k.lower(): v for k, v in headers.items()}
    refused("gRPC infer with a wrong key", lambda: g.infer(args.model, [t], headers=lower(bad())), "UNAUTHENTICATED")
    refused("gRPC metadata without a key", lambda: g.get_model_metadata(args.model), "UNAUTHENTICATED")
    compare("gRPC infer with the key", g.infer(args.model, [t], headers=lower(good())).as_numpy("image"), want)

    status, _ = http_get(f"http://{args.http}/metrics", {})
    report("/metrics without a key", status == 401, f"HTTP {status}")
    status, text = http_get(f"http://{args.http}/metrics", good())
    counts = {
        line.split("{")[1].split('"')[1]: int(line.split()[-1])
        for line in text.splitlines()
        if line.startswith("dcgan_unauthorized_requests_total{")
    }
    # REST: infer ×2, metadata, /metrics; gRPC: infer ×2, metadata.
    report("refusals counted in /metrics", status == 200 and counts == {"rest": 4, "grpc": 3}, str(counts))
    finish()


if __name__ == "__main__":
    main()
