"""Test the browser page (serve/web/) in Debian's Chromium, driven headless by Playwright.

usage: web_test.py --url http://127.0.0.1:PORT/ --raw EXPECTED.npy --png EXPECTED.png
                   --seed 42 --n 16 --scale S --out OUTDIR [--conditional-digit D]

EXPECTED.npy and EXPECTED.png are what `infer --seed 42 -n 16 --raw X.npy --out X.png
--scale S [--digit D]` writes for the model the server at --url serves. Checks:

- the page loads and runs with no console error and no uncaught page error;
- it is cross-origin isolated and runs onnxruntime-web on as many WASM threads as the
  browser offers cores;
- `window.dcgan.generate(seed, n[, D])` is within 1e-5 of EXPECTED.npy (prints max |d|);
- the canvas `#grid` has EXPECTED.png's size and pixels within 1 grey level;
- navigating to another seed and back reproduces the grid exactly (the URL is the state);
- a digit outside the model's reach (any digit for an unconditional model, 10 for a
  conditional one) is refused with an Error, and the digit buttons show only for a
  conditional model.

Writes OUTDIR/page.png (a 1280x800 screenshot) and measures the time from navigation
to the first grid and images/s of generate(seed, 64) (median of 5 after 3 warm-ups).
The last line on stdout is one JSON object with the measurements. Exit 0 when every
check passes, 1 otherwise (each failure on its own line on stderr).

Needs playwright and pillow in this Python (scripts/setup-web.sh installs them) and
/usr/bin/chromium; `playwright install` is never needed.
"""
import argparse
import json
import pathlib
import statistics
import sys

import numpy as np
from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MAX_ABS_DIFF = 1e-5  # measured 2.2e-6 (WASM vs tract), DESIGN.md §2
MAX_GREY_DIFF = 1
TIMEOUT_MS = 120_000

# The first grid of the page just navigated to: waits for the model and the first draw.
WAIT_FIRST_GRID = """async () => {
  await window.dcgan.ready;
  await window.dcgan.firstGrid;
  return window.dcgan.firstGridMs;
}"""

READ_CANVAS = """() => {
  const c = document.getElementById('grid');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const grey = new Array(c.width * c.height);
  let colour = 0;
  for (let i = 0, p = 0; p < d.length; i++, p += 4) {
    grey[i] = d[p];
    if (d[p + 1] !== d[p] || d[p + 2] !== d[p] || d[p + 3] !== 255) colour++;
  }
  return { width: c.width, height: c.height, grey, colour, search: location.search };
}"""

GENERATE = """async ([seed, n, digit]) => {
  const v = await window.dcgan.generate(seed, n, digit === null ? undefined : digit);
  return { type: Object.prototype.toString.call(v), values: Array.from(v) };
}"""

REFUSES = """async ([seed, digit]) => {
  try {
    await window.dcgan.generate(seed, 1, digit);
    return null;
  } catch (e) {
    return `${e instanceof Error ? e.constructor.name : typeof e}: ${e && e.message}`;
  }
}"""

SPEED = """async ([seed, n]) => {
  for (let i = 0; i < 3; i++) await window.dcgan.generate(seed, n);
  const ms = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await window.dcgan.generate(seed, n);
    ms.push(performance.now() - t);
  }
  return ms;
}"""


def log(msg):
    print(f"web_test: {msg}", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True, help="the page, e.g. http://127.0.0.1:8080/")
    p.add_argument("--raw", required=True, type=pathlib.Path, help="infer --raw output (.npy, [n,1,28,28])")
    p.add_argument("--png", required=True, type=pathlib.Path, help="infer --out output (grid PNG)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--n", type=int, default=16)
    p.add_argument("--scale", type=int, default=1)
    p.add_argument("--out", required=True, type=pathlib.Path, help="folder for page.png")
    p.add_argument("--precision", default=None, help="the weight storage the served file's metadata must name")
    p.add_argument("--conditional-digit", type=int, default=None, metavar="D",
                   help="the model is conditional and EXPECTED was made with --digit D")
    a = p.parse_args()

    want = np.load(a.raw).astype(np.float32)
    if want.shape != (a.n, 1, 28, 28):
        sys.exit(f"web_test: {a.raw} has shape {want.shape}, expected ({a.n}, 1, 28, 28)")
    want_png = np.asarray(Image.open(a.png).convert("L"), dtype=np.int16)
    a.out.mkdir(parents=True, exist_ok=True)
    if not pathlib.Path(CHROMIUM).exists():
        sys.exit(f"web_test: {CHROMIUM} is missing (scripts/setup-web.sh installs Debian's chromium)")

    failures = []
    errors = []
    result = {"max_abs_diff": None, "max_grey_diff": None, "first_grid_ms": None,
              "images_per_s_64": None, "console_errors": errors}

    def check(ok, msg):
        if not ok:
            failures.append(msg)
            print(f"web_test: FAIL: {msg}", file=sys.stderr, flush=True)
        return ok

    base = a.url.split("?", 1)[0]
    digit_q = f"&digit={a.conditional_digit}" if a.conditional_digit is not None else ""
    url1 = f"{base}?seed={a.seed}&n={a.n}&scale={a.scale}{digit_q}"
    other = a.seed + 1 if a.seed < 2**64 - 1 else a.seed - 1
    url2 = f"{base}?seed={other}&n={a.n}&scale={a.scale}{digit_q}"

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        log(f"chromium {browser.version}")
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.set_default_timeout(TIMEOUT_MS)
        page.on("console", lambda m: m.type == "error" and errors.append(f"console: {m.text} ({m.location.get('url', '')})"))
        page.on("pageerror", lambda e: errors.append(f"page error: {e}"))

        def open_page(url):
            page.goto(url, wait_until="load")
            page.wait_for_function("() => window.dcgan && window.dcgan.ready")
            return page.evaluate(WAIT_FIRST_GRID)

        try:
            # 1. First load: time to the first grid, and the model it serves.
            first_ms = open_page(url1)
            result["first_grid_ms"] = round(first_ms, 1)
            info = page.evaluate("() => ({ conditional: window.dcgan.conditional, props: window.dcgan.metadata.props,"
                                 " ready: window.dcgan.modelReadyMs, bytes: window.dcgan.fileBytes, hidden: document.getElementById('digit-box').hidden })")
            result["model_ready_ms"] = round(info["ready"], 1)
            log(f"{url1}: model ready {info['ready']:.0f} ms, first grid {first_ms:.0f} ms after navigation "
                f"({'conditional' if info['conditional'] else 'unconditional'} model, epochs {info['props'].get('epochs')}, "
                f"weights {info['props'].get('precision')}, {info['bytes']} bytes)")
            # Cross-origin isolation (serve's COOP and COEP) lets onnxruntime-web use every
            # core the browser offers.
            t = page.evaluate("() => ({ threads: window.dcgan.threads, isolated: crossOriginIsolated,"
                              " cores: navigator.hardwareConcurrency })")
            result["threads"] = t["threads"]
            log(f"WASM threads {t['threads']} of {t['cores']} cores offered, cross-origin isolated: {t['isolated']}")
            check(t["isolated"], "the page is not cross-origin isolated (COOP/COEP headers missing)")
            check(t["threads"] == t["cores"], f"{t['threads']} WASM threads for {t['cores']} cores offered")
            if a.precision is not None:
                check(info["props"].get("precision") == a.precision,
                      f"the served file's weights are {info['props'].get('precision')}, not {a.precision}")
            if a.conditional_digit is not None:
                check(info["conditional"], "--conditional-digit given but the served model has no 'label' input")
            check(info["hidden"] == (not info["conditional"]),
                  f"digit buttons {'hidden' if info['hidden'] else 'shown'} for a{' conditional' if info['conditional'] else 'n unconditional'} model")

            # 2. The canvas against infer's PNG.
            c1 = page.evaluate(READ_CANVAS)
            got_png = np.array(c1["grey"], dtype=np.int16).reshape(c1["height"], c1["width"])
            if check(got_png.shape == want_png.shape,
                     f"canvas is {c1['width']}x{c1['height']}, infer's PNG {want_png.shape[1]}x{want_png.shape[0]}"):
                grey = int(np.abs(got_png - want_png).max())
                result["max_grey_diff"] = grey
                log(f"canvas vs {a.png.name}: {c1['width']}x{c1['height']}, max grey difference {grey} (<= {MAX_GREY_DIFF})")
                check(grey <= MAX_GREY_DIFF, f"canvas differs from infer's PNG by {grey} grey levels")
            check(c1["colour"] == 0, f"{c1['colour']} canvas pixels are not opaque grey")

            # 3. generate() against infer --raw.
            g = page.evaluate(GENERATE, [str(a.seed), a.n, a.conditional_digit])
            got = np.array(g["values"], dtype=np.float32)
            check(g["type"] == "[object Float32Array]", f"generate() gave {g['type']}, not a Float32Array")
            if check(got.size == want.size, f"generate({a.seed}, {a.n}) gave {got.size} values, expected {want.size}"):
                diff = float(np.abs(got.reshape(want.shape) - want).max())
                result["max_abs_diff"] = diff
                log(f"generate({a.seed}, {a.n}{', ' + str(a.conditional_digit) if a.conditional_digit is not None else ''})"
                    f" vs {a.raw.name}: max |d| = {diff:.3e} (<= {MAX_ABS_DIFF:.0e})")
                check(diff <= MAX_ABS_DIFF, f"generate() differs from infer --raw by {diff:.3e}")

            # 4. Digits the model cannot take are refused with an Error.
            bad = 10 if info["conditional"] else 3
            refusal = page.evaluate(REFUSES, [str(a.seed), bad])
            log(f"generate({a.seed}, 1, {bad}) on a{' conditional' if info['conditional'] else 'n unconditional'} model: {refusal}")
            check(refusal is not None and refusal.startswith(("Error", "RangeError")),
                  f"generate({a.seed}, 1, {bad}) was not refused with an Error (got {refusal!r})")

            # 5. The URL reproduces the grid: another seed, then back.
            open_page(url2)
            c2 = page.evaluate(READ_CANVAS)
            check(c2["grey"] != c1["grey"], f"seed {other} drew the same grid as seed {a.seed}")
            open_page(url1)
            c3 = page.evaluate(READ_CANVAS)
            same = c3["grey"] == c1["grey"] and (c3["width"], c3["height"]) == (c1["width"], c1["height"])
            log(f"seed {other} then back to seed {a.seed}: grid {'reproduced' if same else 'NOT reproduced'}; URL {c3['search']}")
            check(same, f"navigating back to {url1} did not reproduce the grid")
            check(f"seed={a.seed}" in c3["search"], f"the page's URL lost the seed: {c3['search']}")

            # 5b. Under a path prefix (as behind a reverse proxy): every URL the page uses is
            # relative, so /deep/sub/ serves the same page and draws the same grid.
            root = base.rstrip("/") + "/"
            prefix = root + "deep/sub/"
            # Outside the prefix nothing answers (as behind a proxy), so an absolute URL fails.
            page.route(root + "**", lambda route: route.abort())
            page.route(prefix + "**", lambda route: route.fulfill(
                response=route.fetch(url=root + route.request.url[len(prefix):])))
            open_page(f"{prefix}?seed={a.seed}&n={a.n}&scale={a.scale}{digit_q}")
            c4 = page.evaluate(READ_CANVAS)
            same = c4["grey"] == c1["grey"]
            log(f"under the prefix /deep/sub/: grid {'the same' if same else 'DIFFERENT'}")
            check(same, "the page under /deep/sub/ did not draw the same grid")
            page.unroute(prefix + "**")
            page.unroute(root + "**")

            # 6. Screenshot.
            shot = a.out / "page.png"
            page.screenshot(path=str(shot))
            log(f"screenshot: {shot}")

            # 7. Speed: 64 digits per call after warm-up.
            ms = page.evaluate(SPEED, [str(a.seed), 64])
            med = statistics.median(ms)
            result["images_per_s_64"] = round(64_000 / med, 1)
            log(f"generate(seed, 64): median {med:.1f} ms of {[round(x, 1) for x in ms]} -> {64_000 / med:.0f} images/s")
        except PlaywrightError as e:
            check(False, f"browser: {str(e).splitlines()[0]}")
        finally:
            browser.close()

    check(not errors, f"{len(errors)} console/page error(s): {errors}")
    result["ok"] = not failures
    print(json.dumps(result))
    sys.exit(0 if not failures else 1)


if __name__ == "__main__":
    main()
