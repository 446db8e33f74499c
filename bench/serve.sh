#!/usr/bin/env bash
# Load benchmark of `serve` (DESIGN.md §8, §11) with real load generators, on 127.0.0.1
# only, bounded in time (--duration per case) and count (MAX_REQUESTS per case):
#
# - 1-row infer requests in three protocols, each at concurrency 1, 16, 64, 256, against
#   `serve` with its defaults: REST with JSON tensors and REST with binary tensor data
#   (Debian's wrk, bench/serve.lua), gRPC ModelInfer with raw_input_contents (Debian's
#   h2load posting a prepared gRPC frame; latencies from its per-request log) ->
#   requests/s (= images/s), p50/p99 latency, errors (for REST every answer that is not a
#   200 plus socket errors; for gRPC h2load's failed requests plus the server's
#   nv_inference_request_failure: must be 0, these runs stay below the queue limit), the
#   server's peak RSS (VmHWM);
# - per protocol an overload run: a server with --max-rows 32 --max-queue-rows 32 at
#   concurrency 256 -> only 503 (REST) / RESOURCE_EXHAUSTED (gRPC, counted by the server as
#   reason REJECTED) refusals, RSS sampled through the run (steady memory);
# - the reference: in-process tract at batch 64 (`infer -n 6400 --batch-size 64 --raw`,
#   process start and model load included, so a slight underestimate);
# - the CPU the load generator took beside the server's at concurrency 64 (both share the
#   2 cores).
#
# Goals on the 2-core machine: images/s at concurrency 64 >= 0.85x the reference for binary
# REST and gRPC, p99 <= 50 ms there, peak RSS <= 200 MB, no errors below the queue limit.
# Prints a markdown report (also bench/out.serve/report.md); raw outputs, server logs and
# RSS samples go to bench/out.serve/ (git-ignored).
#
# usage: bench/serve.sh [--duration SECONDS] [--model MODEL.onnx] [--no-build]
#   env: DURATION (20), MAX_REQUESTS (2000000 per case), CONCURRENCY ("1 16 64 256"),
#        SERVE_ARGS (more flags for the main server, e.g. "--backend ort" or "--runs-in-flight 2")
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

duration=${DURATION:-20}
model=models/gen.onnx
build=1
while [[ $# -gt 0 ]]; do
    case $1 in
        --duration) duration=$2; shift 2 ;;
        --model) model=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        *) echo "usage: bench/serve.sh [--duration SECONDS] [--model MODEL.onnx] [--no-build]" >&2; exit 2 ;;
    esac
done
max_requests=${MAX_REQUESTS:-2000000}
concurrency=${CONCURRENCY:-"1 16 64 256"}
out=bench/out.serve
mkdir -p "$out"
py=.native/venv/bin/python

for tool in wrk:wrk h2load:nghttp2-client; do
    command -v "${tool%%:*}" > /dev/null && continue
    if [[ $(id -u) -ne 0 ]]; then
        echo "bench/serve.sh: ${tool%%:*} is missing; install Debian's ${tool#*:} as root" >&2
        exit 2
    fi
    echo "installing ${tool#*:}" >&2
    apt-get install -y "${tool#*:}" > /dev/null 2>&1 || { apt-get update > /dev/null && apt-get install -y "${tool#*:}" > /dev/null; }
done
[[ -x $py ]] || scripts/setup.sh
if [[ $build == 1 ]]; then
    cargo build --release --locked -p dcgan-serve --bin serve -p dcgan-infer --features dcgan-infer/cli,dcgan-infer/ort --bin infer 2>/dev/null
fi
for b in serve infer; do
    [[ -x target/release/$b ]] || { echo "bench/serve.sh: target/release/$b is missing (drop --no-build)" >&2; exit 2; }
done

# The prepared bodies: binary REST (JSON head + 400 bytes) and a gRPC frame (flag, length,
# ModelInferRequest), both with the z of serve.lua's JSON.
"$py" - "$out" <<'EOF'
import json, struct, sys
from tritonclient.grpc import service_pb2
z = struct.pack("<100f", *[((i * 37) % 200) / 100 - 1 for i in range(100)])
head = json.dumps({"inputs": [{"name": "z", "shape": [1, 100], "datatype": "FP32",
                               "parameters": {"binary_data_size": len(z)}}],
                   "outputs": [{"name": "image", "parameters": {"binary_data": True}}]}).encode()
open(f"{sys.argv[1]}/binary.body", "wb").write(head + z)
open(f"{sys.argv[1]}/binary.length", "w").write(str(len(head)))
req = service_pb2.ModelInferRequest(model_name="dcgan")
req.inputs.add(name="z", datatype="FP32", shape=[1, 100])
req.raw_input_contents.append(z)
msg = req.SerializeToString()
open(f"{sys.argv[1]}/grpc.frame", "wb").write(b"\0" + struct.pack(">I", len(msg)) + msg)
EOF

# --- servers: started on 127.0.0.1:0, always stopped (SIGTERM) on exit
pids=()
stop_servers() {
    local pid
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    pids=()
}
trap stop_servers EXIT

# start_server NAME ARGS...: sets $port, $grpc_port and $pid; stdout/stderr go to $out/NAME.*
start_server() {
    local name=$1; shift
    target/release/serve --onnx "$model" --host 127.0.0.1 --port 0 --grpc-port 0 "$@" \
        > "$out/$name.stdout" 2> "$out/$name.stderr" &
    pid=$!
    pids+=("$pid")
    for _ in $(seq 300); do
        grep -q "^listening on grpc://" "$out/$name.stdout" && break
        kill -0 "$pid" 2>/dev/null || { echo "serve ($name) exited:" >&2; cat "$out/$name.stderr" >&2; exit 1; }
        sleep 0.1
    done
    port=$(sed -n 's|^listening on http://.*:||p' "$out/$name.stdout")
    grpc_port=$(sed -n 's|^listening on grpc://.*:||p' "$out/$name.stdout")
    [[ -n $port && -n $grpc_port ]] || { echo "serve ($name) did not start in 30 s" >&2; exit 1; }
}

status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null; }
# CPU seconds (user + system) a process has used so far.
cpu_s() { awk -v t="$(getconf CLK_TCK)" '{ print ($14 + $15) / t }' "/proc/$1/stat"; }
# failures PORT REASON: the server's nv_inference_request_failure{reason=REASON}.
failures() {
    curl -sf "http://127.0.0.1:$1/metrics" | awk -v r="reason=\"$2\"" 'index($0, "nv_inference_request_failure{") == 1 && index($0, r) { print $2 }'
}

# load PROTOCOL NAME PORT GRPC_PORT CONNECTIONS: one run; sets rps ok refused other p50 p99 gen_cpu
load() {
    local protocol=$1 name=$2 p=$3 g=$4 c=$5 started
    started=$(date +%s.%N)
    if [[ $protocol == grpc ]]; then
        local other_before rejected_before
        other_before=$(( $(failures "$p" OTHER) + $(failures "$p" BACKEND) ))
        rejected_before=$(failures "$p" REJECTED)
        /usr/bin/time -f "%U %S" -o "$out/$name.cpu" timeout $((duration + 60)) \
            h2load -c "$c" -m 1 -D "$duration" -d "$out/grpc.frame" \
            -H 'content-type: application/grpc' -H 'te: trailers' --log-file "$out/$name.log" \
            "http://127.0.0.1:$g/inference.GRPCInferenceService/ModelInfer" > "$out/$name.txt" 2>&1 || true
        local done_ failed
        done_=$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' "$out/$name.txt")
        failed=$(sed -n 's/^requests: .* \([0-9]*\) failed, \([0-9]*\) errored, \([0-9]*\) timeout.*/\1 \2 \3/p' "$out/$name.txt" | awk '{ print $1 + $2 + $3 }')
        refused=$(( $(failures "$p" REJECTED) - rejected_before ))
        other=$(( ${failed:-0} + $(failures "$p" OTHER) + $(failures "$p" BACKEND) - other_before ))
        ok=$(( ${done_:-0} - refused - (other - ${failed:-0}) ))
        read -r p50 p99 < <(awk '{ print $3 }' "$out/$name.log" | sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "0 0"; exit } printf "%.1f %.1f\n", v[int(NR * 0.5) + 1] / 1e3, v[int(NR * 0.99) + 1] / 1e3 }')
        local secs; secs=$(sed -n 's/^finished in \([0-9.]*\)s.*/\1/p' "$out/$name.txt")
        rps=$(awk -v n="$ok" -v s="${secs:-$duration}" 'BEGIN { printf "%.0f", n / s }')
    else
        local -a env=()
        [[ $protocol == binary ]] && env=(SERVE_BODY="$out/binary.body" SERVE_JSON_LENGTH="$(cat "$out/binary.length")")
        env "${env[@]}" /usr/bin/time -f "%U %S" -o "$out/$name.cpu" timeout $((duration + 60)) \
            wrk -t1 -c"$c" -d"${duration}s" --timeout 5s --latency -s bench/serve.lua \
            "http://127.0.0.1:$p/v2/models/dcgan/infer" -- "$max_requests" > "$out/$name.txt"
        local r; r=$(grep '^wrk-result ' "$out/$name.txt")
        f() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<< "$r"; }
        ok=$(f s200)
        refused=$(f s503)
        other=$(( $(f sother) + $(f connect) + $(f read) + $(f write) + $(f timeout) ))
        rps=$(awk -v n="$ok" -v d="$(f duration_us)" 'BEGIN { printf "%.0f", n / (d / 1e6) }')
        p50=$(awk -v u="$(f p50_us)" 'BEGIN { printf "%.1f", u / 1e3 }')
        p99=$(awk -v u="$(f p99_us)" 'BEGIN { printf "%.1f", u / 1e3 }')
    fi
    gen_cpu=$(awk '{ print $1 + $2 }' "$out/$name.cpu")
}

# --- the reference: in-process tract at batch 64
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u +%F); model $model; ${duration} s per case" >&2
ref_n=6400
ref_best=0
for _ in 1 2 3; do
    started=$(date +%s.%N)
    target/release/infer --onnx "$model" -n $ref_n --batch-size 64 --seed 1 --raw "$out/reference.npy" > /dev/null 2>&1
    ended=$(date +%s.%N)
    ref_best=$(awk -v a="$started" -v b="$ended" -v n=$ref_n -v best="$ref_best" 'BEGIN { r = n / (b - a); print (r > best ? r : best) }')
done
rm -f "$out/reference.npy"

# --- the main server, defaults (max batch 256, max delay 2 ms, queue 4 x 4096 rows)
# shellcheck disable=SC2086 # SERVE_ARGS is a list of flags
start_server main ${SERVE_ARGS:-}
main_pid=$pid main_port=$port main_grpc=$grpc_port

table="| protocol | concurrency | images/s | p50 ms | p99 ms | errors | refused | peak RSS MB |
|---|---:|---:|---:|---:|---:|---:|---:|"
cpu_table="| protocol, concurrency 64 | server CPU s | load generator CPU s | generator's share |
|---|---:|---:|---:|"
bad_errors=0
declare -A ips p99s
for protocol in json binary grpc; do
    for c in $concurrency; do
        server_before=$(cpu_s "$main_pid")
        load "$protocol" "$protocol-c$c" "$main_port" "$main_grpc" "$c"
        server_cpu=$(awk -v a="$server_before" -v b="$(cpu_s "$main_pid")" 'BEGIN { printf "%.1f", b - a }')
        errors=$(( other + refused ))
        (( errors > 0 )) && bad_errors=1
        ips[$protocol$c]=$rps p99s[$protocol$c]=$p99
        table+="
| $protocol | $c | $rps | $p50 | $p99 | $errors | – | $(( $(status_kb "$main_pid" VmHWM) / 1024 )) |"
        if [[ $c == 64 ]]; then
            cpu_table+="
| $protocol | $server_cpu | $gen_cpu | $(awk -v s="$server_cpu" -v g="$gen_cpu" 'BEGIN { printf "%.0f%%", 100 * g / (s + g) }') |"
        fi
    done
done
main_hwm=$(( $(status_kb "$main_pid" VmHWM) / 1024 ))
stop_servers

# --- overload, per protocol: a queue of 32 rows at concurrency 256; RSS sampled every 0.5 s
over_ok=1
for protocol in json binary grpc; do
    start_server "overload-$protocol" --max-rows 32 --max-queue-rows 32
    over_pid=$pid
    ( while kill -0 "$over_pid" 2>/dev/null; do status_kb "$over_pid" VmRSS; sleep 0.5; done ) > "$out/overload-$protocol.rss" &
    sampler=$!
    load "$protocol" "overload-$protocol" "$port" "$grpc_port" 256
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    # Memory holds: RSS rises while connections and allocator arenas warm up, then stays;
    # compare the largest RSS of the run's middle third with that of its last third.
    read -r rss_middle rss_last < <(awk '{ v[NR] = $1 } END { t = int(NR / 3); for (i = t + 1; i <= NR; i++) { if (i <= 2 * t) { if (v[i] > a) a = v[i] } else if (v[i] > b) b = v[i] }; printf "%d %d\n", a / 1024, b / 1024 }' "$out/overload-$protocol.rss")
    (( refused > 0 && other == 0 && rss_last * 10 <= rss_middle * 11 )) || over_ok=0
    table+="
| $protocol, overload (queue 32 rows) | 256 | $rps | $p50 | $p99 | $other | $refused | $(( $(status_kb "$over_pid" VmHWM) / 1024 )) (RSS $rss_middle → $rss_last) |"
    stop_servers
done

verdict() { if [[ $1 == 1 ]]; then echo "met"; else echo "MISSED"; fi; }
ratio() { awk -v a="${ips[$1]:-0}" -v r="$ref_best" 'BEGIN { printf "%.2f", a / r }'; }
goal_row() {
    local p=$1 r; r=$(ratio "${p}64")
    echo "| $p at concurrency 64 >= 0.85x in-process, p99 <= 50 ms | ${ips[${p}64]:-0} images/s = ${r}x, p99 ${p99s[${p}64]:-?} ms | $(verdict "$(awk -v r="$r" -v p="${p99s[${p}64]:-1e9}" 'BEGIN { print (r >= 0.85 && p <= 50) }')") |"
}
# JSON has no goal of its own: its row is there to compare.
json_row() { echo "| json at concurrency 64 (no goal: for comparison) | ${ips[json64]:-0} images/s = $(ratio json64)x, p99 ${p99s[json64]:-?} ms | – |"; }
tee "$out/report.md" <<EOF
## serve under load: REST JSON, REST binary, gRPC ($(nproc) cores, ${duration} s per case, $(date -u +%F)${SERVE_ARGS:+, serve $SERVE_ARGS})

In-process reference, tract at batch 64 (\`infer -n $ref_n --batch-size 64 --raw\`, best of 3,
process start and model load included): **$(printf %.0f "$ref_best") images/s**.

$table

1-row requests, so images/s = requests/s (answered ones only). "errors": REST answers other
than 200 and 503 and socket errors or timeouts (5 s); gRPC requests h2load saw fail plus those
the server counted as failed for a reason other than REJECTED. "refused": 503 (REST) or
RESOURCE_EXHAUSTED (gRPC) in the overload runs. Peak RSS: the server's VmHWM after the run
(overload: and the largest RSS over the middle and over the last third of the run).

The load generator shares the 2 cores with the server:

$cpu_table

| goal | measured | |
|---|---|---|
$(goal_row binary)
$(goal_row grpc)
$(json_row)
| peak RSS <= 200 MB | $main_hwm MB | $(verdict "$(( main_hwm <= 200 ))") |
| no errors below the queue limit | $( (( bad_errors )) && echo some || echo none) | $(verdict "$(( ! bad_errors ))") |
| overload: only 503 / RESOURCE_EXHAUSTED, memory holds (last third ≤ 1.1× middle third) | see the overload rows | $(verdict "$over_ok") |

Raw outputs, server logs and the overload RSS samples (KB, every 0.5 s): $out/.
EOF
