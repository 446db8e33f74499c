"""A page on another origin calls `serve`'s API from Chromium (CORS, DESIGN.md §11).

usage: cors_test.py --api http://127.0.0.1:PORT --allowed-port A --other-port B --raw WANT.npy

The caller starts `serve --cors-origin http://127.0.0.1:A`. This script serves a small
page on 127.0.0.1:A and on 127.0.0.1:B (two origins, neither the API's), opens each in
headless Chromium (Playwright) and has it POST a seeded request (seed 42, count 2, JSON, so
the browser sends a preflight first) to /v2/models/dcgan/infer:
- from A the request succeeds and its values equal WANT.npy (`infer --seed 42 -n 2 --raw`);
- from B the browser refuses the answer (no Access-Control-Allow-Origin for B).
Exits 0 when both hold, 1 otherwise.
"""
import argparse
import http.server
import sys
import threading

import numpy as np
from playwright.sync_api import sync_playwright

from web_test import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS

AGREEMENT_TOLERANCE = 1e-5
PAGE = b"<!doctype html><meta charset=utf-8><link rel=icon href='data:,'><title>caller</title>"
CALL = """async (api) => {
  try {
    const r = await fetch(api + '/v2/models/dcgan/infer', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ parameters: { seed: 42, count: 2 } }),
    });
    const body = await r.json();
    return { status: r.status, data: body.outputs ? body.outputs[0].data : null };
  } catch (e) {
    return { error: `${e.name}: ${e.message}` };
  }
}"""


class Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args):
        pass


def serve_page(port):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--api", required=True)
    p.add_argument("--allowed-port", type=int, required=True)
    p.add_argument("--other-port", type=int, required=True)
    p.add_argument("--raw", required=True)
    a = p.parse_args()
    want = np.load(a.raw).astype(np.float32).ravel()
    servers = [serve_page(a.allowed_port), serve_page(a.other_port)]
    failures = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            for port, allowed in ((a.allowed_port, True), (a.other_port, False)):
                origin = f"http://127.0.0.1:{port}"
                page.goto(origin + "/", wait_until="load")
                got = page.evaluate(CALL, a.api)
                if allowed:
                    data = np.array(got.get("data") or [], dtype=np.float32)
                    diff = float(np.abs(data - want).max()) if data.size == want.size else float("inf")
                    ok = got.get("status") == 200 and diff <= AGREEMENT_TOLERANCE
                    detail = f"status {got.get('status')}, {data.size} values, max |d| {diff:.1e} (tolerance {AGREEMENT_TOLERANCE:.0e}), {got.get('error', '')}"
                else:
                    ok = "error" in got
                    detail = f"the browser {'refused' if ok else 'accepted'} the answer: {got}"
                print(f"{'ok  ' if ok else 'FAIL'} from {origin} ({'allowed' if allowed else 'not allowed'}): {detail}")
                if not ok:
                    failures.append(origin)
            browser.close()
    finally:
        for s in servers:
            s.shutdown()
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
