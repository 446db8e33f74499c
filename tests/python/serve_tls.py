"""Test a `serve --tls-cert --tls-key --api-key-file` with tritonclient over HTTPS and
gRPC over TLS, trusting the test's own certificate authority, as a client of a keyed
Triton endpoint behind TLS would.

usage: serve_tls.py --http 127.0.0.1:PORT --grpc 127.0.0.1:PORT --model dcgan --key KEY
                    --ca CERT.pem --z Z.npy --want WANT.npy

With the certificate trusted and the key sent, the images equal `infer --raw` for the
same z on both protocols; a client that does not trust the certificate is refused by its
own verification; plain HTTP and plain gRPC to the TLS ports get no answer. Prints every
measured value; exits 0 when all pass, 1 otherwise.
"""
import argparse
import ssl
import urllib.request

import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient

from checks import compare, finish, report


def fails(name, call):
    try:
        call()
    except Exception as e:  # any failure is the expected outcome; the text says which
        return report(name, True, f"{type(e).__name__}: {str(e).splitlines()[0][:120] if str(e) else ''}")
    return report(name, False, "answered")


def main():
    p = argparse.ArgumentParser()
    for flag in ["--http", "--grpc", "--model", "--key", "--ca", "--z", "--want"]:
        p.add_argument(flag, required=True)
    args = p.parse_args()
    z, want = np.load(args.z), np.load(args.want)
    good = lambda: {"Authorization": f"Bearer {args.key}"}

    h = httpclient.InferenceServerClient(args.http, ssl=True, ssl_options={"ca_certs": args.ca})
    report("HTTPS health", h.is_server_live() and h.is_server_ready())
    t = httpclient.InferInput("z", list(z.shape), "FP32")
    t.set_data_from_numpy(z, binary_data=True)
    compare("HTTPS infer with the key", h.infer(args.model, [t], headers=good()).as_numpy("image"), want)

    g = grpcclient.InferenceServerClient(args.grpc, ssl=True, root_certificates=args.ca)
    report("gRPC over TLS health", g.is_server_live() and g.is_model_ready(args.model))
    t = grpcclient.InferInput("z", list(z.shape), "FP32")
    t.set_data_from_numpy(z)
    # gRPC metadata keys are lower case.
    keyed = {"authorization": f"Bearer {args.key}"}
    compare("gRPC over TLS infer with the key", g.infer(args.model, [t], headers=keyed).as_numpy("image"), want)

    untrusted = ssl.create_default_context()  # the system's authorities only
    fails(
        "HTTPS from a client that does not trust the certificate",
        lambda: urllib.request.urlopen(f"https://{args.http}/v2/health/live", context=untrusted, timeout=10),
    )
    fails("plain HTTP to the TLS port", lambda: urllib.request.urlopen(f"http://{args.http}/v2/health/live", timeout=10))
    plain = grpcclient.InferenceServerClient(args.grpc)
    fails("plain gRPC to the TLS port", lambda: plain.is_server_live(client_timeout=10))
    finish()


if __name__ == "__main__":
    main()
