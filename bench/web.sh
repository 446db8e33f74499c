#!/usr/bin/env bash
# The page's speed per weight storage, in one sitting: each of the fp32, fp16 and int8
# files of the shipped generator served by `serve` and run in Chromium by onnxruntime-web
# (tests/python/web_test.py: generate(seed, 64), median of 5 after warm-ups), beside
# native tract on the same file at batch 64 (benches/throughput.rs). The fp16 file is
# exported from models/ into a temporary folder; int8 is the shipped one.
# usage: bench/web.sh [SECONDS_PER_NATIVE_CASE]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${1:-2}
scripts/setup.sh > /dev/null
scripts/setup-web.sh > /dev/null
py=.native/venv/bin/python
cargo build --release --locked -p dcgan-serve --bin serve -p dcgan-infer --features dcgan-infer/cli,dcgan-infer/ort --bin infer 2>/dev/null
cargo build --release --locked -p dcgan-export --bin export 2>/dev/null
cargo bench --locked -p dcgan-infer --features ort --bench throughput --no-run 2>/dev/null
tmp=$(mktemp -d)
server=
cleanup() {
    [[ -n $server ]] && kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
target/release/export --run models --precision fp16 --out "$tmp/gen.fp16.onnx" > /dev/null

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u +%F); $(/usr/bin/chromium --version)"
echo
echo "| file | bytes | WASM threads | browser img/s at 64 | native tract img/s at 64 | browser / tract | first grid ms | max abs diff vs infer |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for file in models/gen.onnx "$tmp/gen.fp16.onnx" models/gen.int8.onnx; do
    file=$(realpath "$file")
    target/release/infer --onnx "$file" --seed 42 -n 16 --scale 2 --raw "$tmp/x.npy" --out "$tmp/x.png" > /dev/null
    target/release/serve --onnx "$file" --host 127.0.0.1 --port 0 > "$tmp/serve.out" 2> "$tmp/serve.err" &
    server=$!
    for _ in $(seq 300); do grep -q "^listening on http://" "$tmp/serve.out" && break; sleep 0.1; done
    addr=$(sed -n 's|^listening on http://||p' "$tmp/serve.out")
    result=$("$py" tests/python/web_test.py --url "http://$addr/" --raw "$tmp/x.npy" --png "$tmp/x.png" \
        --seed 42 --n 16 --scale 2 --out "$tmp/page" 2> "$tmp/web.log" | tail -n1)
    kill -TERM "$server"; wait "$server" || true; server=
    browser=$("$py" -c 'import json, sys; r = json.loads(sys.argv[1]); print(r["images_per_s_64"], r["first_grid_ms"], r["threads"], r["max_abs_diff"])' "$result")
    native=$(cargo bench --locked -q -p dcgan-infer --features ort --bench throughput -- "$file" "$seconds" 2>/dev/null | awk '$1 == "tract" && $2 == 64 { print $3 }')
    read -r b first threads diff <<< "$browser"
    awk -v name="$(basename "$file")" -v bytes="$(stat -c %s "$file")" -v b="$b" -v t="$native" -v f="$first" -v th="$threads" -v d="$diff" \
        'BEGIN { printf "| %s | %d | %d | %.0f | %.0f | %.2f | %.0f | %.1e |\n", name, bytes, th, b, t, b / t, f, d }'
done
