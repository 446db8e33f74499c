"""`serve`'s /metrics after known traffic, parsed with prometheus_client's own parser.

usage: serve_metrics.py --http 127.0.0.1:PORT --grpc 127.0.0.1:PORT [--model dcgan]

Against a fresh server: REST and gRPC inference requests, some that succeed (known rows)
and some refused, PNG grids (one drawn, one refused), then GET /metrics. The counters must say exactly that traffic: successes,
failures (reason OTHER: the caller's), rows (nv_inference_count), model runs (nv_inference_exec_count, equal to the
batch-size histogram's count, whose sum is the rows), durations that grew, an empty queue.
Exits 0 when all pass, 1 otherwise.
"""
import argparse
import urllib.error
import urllib.request

import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from prometheus_client.parser import text_string_to_metric_families
from tritonclient.utils import InferenceServerException

from checks import finish, report

LATENT = 100


def traffic(args):
    """Send the known requests; (successes, failures, rows run)."""
    rest = httpclient.InferenceServerClient(url=args.http)
    grpc = grpcclient.InferenceServerClient(url=args.grpc)
    ok = bad = rows = 0
    for n in (1, 3, 5):
        z = np.zeros((n, LATENT), np.float32)
        for client, module in ((rest, httpclient), (grpc, grpcclient)):
            t = module.InferInput("z", [n, LATENT], "FP32")
            t.set_data_from_numpy(z)
            client.infer(args.model, [t])
            ok, rows = ok + 1, rows + n
    rest.infer(args.model, [], parameters={"seed": 1, "count": 4})
    grpc.infer(args.model, [], parameters={"seed": 1, "count": 4})
    ok, rows = ok + 2, rows + 8
    for client in (rest, grpc):
        for params in ({"seed": 1, "count": 0}, {"count": 2}):
            try:
                client.infer(args.model, [], parameters=params)
            except InferenceServerException:
                bad += 1
    # A PNG grid of 4 runs the model too: counted apart, its rows with the others'.
    with urllib.request.urlopen(f"http://{args.http}/v1/samples.png?seed=1&n=4", timeout=30) as r:
        assert r.read(8) == b"\x89PNG\r\n\x1a\n"
    rows += 4
    try:
        urllib.request.urlopen(f"http://{args.http}/v1/samples.png?n=0", timeout=30)
    except urllib.error.HTTPError:
        pass
    return ok, bad, rows


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--http", required=True)
    p.add_argument("--grpc", required=True)
    p.add_argument("--model", default="dcgan")
    args = p.parse_args()
    ok, bad, rows = traffic(args)
    with urllib.request.urlopen(f"http://{args.http}/metrics", timeout=30) as r:
        content_type = r.headers.get("Content-Type", "")
        text = r.read().decode()
    report("Content-Type is the text format 0.0.4", content_type.startswith("text/plain; version=0.0.4"), content_type)
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            labels = dict(s.labels)
            if labels.get("model") != args.model or labels.get("version") != "1":
                continue
            # The parser names a counter's sample NAME_total; serve, like Triton, exposes
            # it as NAME.
            name = family.name if family.type == "counter" else s.name
            key = name + "".join(f"[{labels[k]}]" for k in ("le", "reason") if k in labels)
            samples[key] = s.value
    print(f"parsed {len(samples)} samples after {ok} successes, {bad} failures, {rows} rows")

    def expect(name, want):
        got = samples.get(name)
        report(f"{name} = {want}", got == want, f"got {got}")

    expect("nv_inference_request_success", ok)
    expect("dcgan_samples_png_request_success", 1)
    expect("dcgan_samples_png_request_failure[OTHER]", 1)
    expect("nv_inference_request_failure[OTHER]", bad)
    expect("nv_inference_request_failure[REJECTED]", 0)
    expect("nv_inference_request_failure[BACKEND]", 0)
    expect("nv_inference_count", rows)
    expect("dcgan_queue_rows", 0)
    runs = samples.get("nv_inference_exec_count", 0)
    report("nv_inference_exec_count: 1 to one run per success", 1 <= runs <= ok + 1, f"got {runs}")
    expect("dcgan_batch_size_count", runs)
    expect("dcgan_batch_size_bucket[+Inf]", runs)
    expect("dcgan_batch_size_sum", rows)
    buckets = [v for k, v in samples.items() if k.startswith("dcgan_batch_size_bucket[")]
    report("the batch-size histogram is cumulative", buckets == sorted(buckets), str(buckets))
    for name in ("nv_inference_request_duration_us", "nv_inference_queue_duration_us",
                 "nv_inference_compute_infer_duration_us"):
        report(f"{name} > 0", samples.get(name, 0) > 0, f"got {samples.get(name)}")
    finish()


if __name__ == "__main__":
    main()
