"""The README's Python against the contract's golden vectors (dcgan/contract.json).

The latent function is taken from the README itself (the ```python block under
"Latents any language can reproduce"), so the README cannot drift from the CLI; the
pixel mapping and the label plans are written here as a Python user would write them
from DESIGN.md. Exits 1 naming the first difference.

usage: contract_check.py CONTRACT_JSON README_MD
"""
import json
import math
import re
import struct
import sys

SLERP_TOLERANCE = 1e-6  # Python's float64 arithmetic, rounded to float32 like Rust's


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def readme_latents(readme):
    """The README's `latents` function, after checking that its test vector, evaluated
    as the README writes it, is True."""
    text = open(readme, encoding="utf-8").read()
    section = text.split("### Latents any language can reproduce", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    scope = {}
    exec(code, scope)  # noqa: S102 - the project's own README
    vector = re.search(r"Test vector \(seed 0\).*?\n`([^`]+)`", section, re.S).group(1)
    if eval(vector, scope) is not True:  # noqa: S307 - the project's own README
        sys.exit(f"README: the test vector `{vector}` does not evaluate to True")
    print(f"README test vector evaluates to True: {vector}")
    return scope["latents"]


def slerp(a, b, t):
    dot = sum(p * q for p, q in zip(a, b))
    norms = math.sqrt(sum(p * p for p in a)) * math.sqrt(sum(q * q for q in b))
    omega = math.acos(max(-1.0, min(1.0, dot / norms))) if norms > 0 else 0.0
    if abs(math.sin(omega)) < 1e-6:
        wa, wb = 1 - t, t
    else:
        wa, wb = math.sin((1 - t) * omega) / math.sin(omega), math.sin(t * omega) / math.sin(omega)
    return [f32(wa * p + wb * q) for p, q in zip(a, b)]


def main():
    golden = json.load(open(sys.argv[1], encoding="utf-8"))
    latents = readme_latents(sys.argv[2])
    failures = []

    def check(ok, what):
        if not ok:
            failures.append(what)

    dim = golden["interface"]["latent_dim"]
    for case in golden["latents"]:
        seed, n = int(case["seed"]), case["n"]
        got = latents(seed, n, dim)
        want = [f32(v) for v in case["z"]]
        check(got == want, f"README latents({seed}, {n}) differ from contract.json")
    print(f"README latents: {len(golden['latents'])} seeds equal to contract.json exactly")

    worst = 0.0
    for case in golden["slerp"]:
        a, b = [f32(v) for v in case["a"]], [f32(v) for v in case["b"]]
        for at in case["at"]:
            got = slerp(a, b, at["t"])
            d = max(abs(g - f32(w)) for g, w in zip(got, at["z"]))
            worst = max(worst, d)
            check(d <= SLERP_TOLERANCE, f"slerp {case['what']} at t={at['t']}: max |d| {d:.3e} > {SLERP_TOLERANCE}")
    print(f"slerp: max |d| = {worst:.3e} (<= {SLERP_TOLERANCE:.0e}) over {len(golden['slerp'])} cases")

    for p, v in golden["pixel_to_unit"]:
        check(f32(f32(f32(p / 255.0) * 2.0) - 1.0) == f32(v), f"pixel {p} -> {v}")
    for v, gray in golden["unit_to_pixel"]:
        c = min(1.0, max(-1.0, f32(v)))
        check(math.floor(f32(f32(c + 1.0) * 127.5) + 0.5) == gray, f"value {v} -> gray {gray}")  # half away from 0
    classes = golden["interface"]["classes"]
    d = golden["default_labels"]
    check([i % classes for i in range(d["first"], d["first"] + d["n"])] == d["labels"], "default labels")
    a = golden["digits_all"]
    check([i // a["per_row"] for i in range(a["per_row"] * classes)] == a["labels"], "digits-all labels")
    print("pixels and label plans: as contract.json")

    for f in failures:
        print(f"FAIL: {f}", file=sys.stderr)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
