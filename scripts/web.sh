#!/usr/bin/env bash
# The page in your browser: installs the page's npm packages if needed (onnxruntime-web,
# pinned by serve/web/package-lock.json; no root needed), then starts `serve` on the
# shipped model; open the URL it prints. Extra arguments go to `serve` (try --port 8080,
# or --onnx models/gen-cond.onnx for the digit buttons). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -d serve/web/node_modules/onnxruntime-web/dist ]; then
    command -v npm >/dev/null || { echo "web: npm is required (Debian: apt-get install npm)" >&2; exit 1; }
    echo "web: npm ci in serve/web (onnxruntime-web, once)" >&2
    (cd serve/web && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
# No --onnx here: serve runs the gen.onnx built into it unless you pass one.
exec cargo run --release --locked --quiet -p dcgan-serve --bin serve -- "$@"
