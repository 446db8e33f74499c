#!/usr/bin/env bash
# Load benchmark of `serve` (DESIGN.md §8) with a real HTTP load generator (Debian's wrk),
# on 127.0.0.1 only, bounded in time (--duration per case) and count (MAX_REQUESTS per case):
#
# - 1-row JSON infer requests (bench/serve.lua) at concurrency 1, 16, 64, 256 against
#   `serve` with its defaults -> requests/s, images/s, p50/p99 latency, errors (every
#   answer that is not a 200, and socket errors/timeouts: must be 0, these runs stay far
#   below the queue limit), the server's peak RSS (VmHWM) after each run;
# - an overload run: a second server with --max-rows 32 --max-queue-rows 32 hit at
#   concurrency 256 -> 503s expected, no error of any other kind, RSS sampled through the
#   run (steady memory);
# - the reference: in-process tract throughput at batch 64 (`infer -n 6400 --batch-size 64
#   --raw`, process start and model load included, so a slight underestimate).
#
# Goals on the 2-core machine: images/s at concurrency 64 >= 0.8x the reference, p99 <= 50 ms
# there, peak RSS <= 200 MB. wrk shares the two cores with the server (-t1 by default).
# Prints a markdown report (also written to bench/out.serve/report.md); raw wrk outputs,
# server logs and RSS samples go to bench/out.serve/ (git-ignored).
#
# usage: bench/serve.sh [--duration SECONDS] [--model MODEL.onnx] [--no-build]
#   env: DURATION (20), WRK_THREADS (1), MAX_REQUESTS (2000000 per case), CONCURRENCY ("1 16 64 256"),
#        SERVE_ARGS (more flags for the main server, e.g. "--backend ort" or "--runs-in-flight 1")
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
threads=${WRK_THREADS:-1}
max_requests=${MAX_REQUESTS:-2000000}
concurrency=${CONCURRENCY:-"1 16 64 256"}
out=bench/out.serve
mkdir -p "$out"

if ! command -v wrk > /dev/null; then
    if [[ $(id -u) -ne 0 ]]; then
        echo "bench/serve.sh: wrk is missing; install Debian's wrk (apt-get install wrk) as root" >&2
        exit 2
    fi
    echo "installing wrk: apt-get install -y wrk" >&2
    apt-get install -y wrk > /dev/null 2>&1 || { apt-get update > /dev/null && apt-get install -y wrk > /dev/null; }
fi
if [[ $build == 1 ]]; then
    cargo build --release --locked -p dcgan-infer --features serve --bin serve --bin infer 2>/dev/null
fi
for b in serve infer; do
    [[ -x target/release/$b ]] || { echo "bench/serve.sh: target/release/$b is missing (drop --no-build)" >&2; exit 2; }
done

# --- servers: started on 127.0.0.1:0, always stopped (SIGTERM) on exit
pids=()
stop_servers() {
    local pid
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}
trap stop_servers EXIT

# start_server NAME ARGS...: sets $port and $pid; the server's stdout/stderr go to $out/NAME.*
start_server() {
    local name=$1; shift
    : > "$out/$name.stdout"  # now: the redirection below happens in the child, later
    target/release/serve --onnx "$model" --host 127.0.0.1 --port 0 "$@" > "$out/$name.stdout" 2> "$out/$name.stderr" &
    pid=$!
    pids+=("$pid")
    local line=""
    for _ in $(seq 300); do
        line=$(head -n1 "$out/$name.stdout")
        [[ $line == "listening on http://"* ]] && break
        kill -0 "$pid" 2>/dev/null || { echo "serve ($name) exited:" >&2; cat "$out/$name.stderr" >&2; exit 1; }
        sleep 0.1
    done
    [[ $line == "listening on http://"* ]] || { echo "serve ($name) did not start in 30 s" >&2; exit 1; }
    port=${line##*:}
}

status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null; }

# run_wrk NAME PORT CONNECTIONS: the raw output in $out/NAME.txt; sets $result (the wrk-result line)
run_wrk() {
    local name=$1 p=$2 c=$3 t=$threads
    if (( t > c )); then t=$c; fi
    timeout $((duration + 60)) wrk -t"$t" -c"$c" -d"${duration}s" --timeout 5s --latency -s bench/serve.lua \
        "http://127.0.0.1:$p/v2/models/dcgan/infer" -- $(( (max_requests + t - 1) / t )) > "$out/$name.txt"
    result=$(grep '^wrk-result ' "$out/$name.txt")
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<< "$result"; }

# --- the reference: in-process tract at batch 64
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u +%F); model $model; ${duration} s per case, wrk -t$threads" >&2
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
main_pid=$pid main_port=$port
curl -sSf -o /dev/null -X POST -H 'Content-Type: application/json' "http://127.0.0.1:$main_port/v2/models/dcgan/infer" \
    -d '{"parameters":{"seed":1,"count":1}}' || { echo "the server does not answer an infer request; its log:" >&2; cat "$out/main.stderr" >&2; exit 1; }

table="| run | concurrency | requests/s | images/s | p50 ms | p99 ms | errors | 503 | peak RSS MB |
|---|---:|---:|---:|---:|---:|---:|---:|---:|"
bad_errors=0
declare -A ips p99
for c in $concurrency; do
    run_wrk "c$c" "$main_port" "$c"
    secs=$(awk -v d="$(field duration_us)" 'BEGIN { print d / 1e6 }')
    rps=$(awk -v n="$(field requests)" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
    errors=$(( $(field sother) + $(field s503) + $(field connect) + $(field read) + $(field write) + $(field timeout) ))
    if (( errors > 0 )); then bad_errors=1; fi
    hwm=$(( $(status_kb "$main_pid" VmHWM) / 1024 ))
    ips[$c]=$rps
    p99[$c]=$(awk -v u="$(field p99_us)" 'BEGIN { printf "%.1f", u / 1e3 }')
    if (( $(field requests) >= max_requests )); then
        echo "c$c: stopped at MAX_REQUESTS=$max_requests (req/s is an underestimate)" >&2
    fi
    table+="
| 1-row JSON | $c | $rps | $rps | $(awk -v u="$(field p50_us)" 'BEGIN { printf "%.1f", u / 1e3 }') | ${p99[$c]} | $errors | $(field s503) | $hwm |"
done
main_hwm=$(( $(status_kb "$main_pid" VmHWM) / 1024 ))

# --- overload: a queue of 32 rows at concurrency 256; RSS sampled every 0.5 s
start_server overload --max-rows 32 --max-queue-rows 32
over_pid=$pid
rss_start=$(( $(status_kb "$over_pid" VmRSS) / 1024 ))
( while kill -0 "$over_pid" 2>/dev/null; do status_kb "$over_pid" VmRSS; sleep 0.5; done ) > "$out/overload.rss" &
sampler=$!
run_wrk overload "$port" 256
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
# steady memory: the largest RSS of the run's first half against that of its second half
read -r rss_first rss_second < <(awk '{ v[NR] = $1 } END { h = int(NR / 2); for (i = 1; i <= NR; i++) { if (i <= h) { if (v[i] > a) a = v[i] } else if (v[i] > b) b = v[i] }; printf "%d %d\n", a / 1024, b / 1024 }' "$out/overload.rss")
over_other=$(( $(field sother) + $(field connect) + $(field read) + $(field write) + $(field timeout) ))
over_503=$(field s503)
over_rps=$(awk -v n="$(field s200)" -v d="$(field duration_us)" 'BEGIN { printf "%.0f", n / (d / 1e6) }')
table+="
| overload (queue 32 rows) | 256 | $(awk -v n="$(field requests)" -v d="$(field duration_us)" 'BEGIN { printf "%.0f", n / (d / 1e6) }') | $over_rps | $(awk -v u="$(field p50_us)" 'BEGIN { printf "%.1f", u / 1e3 }') | $(awk -v u="$(field p99_us)" 'BEGIN { printf "%.1f", u / 1e3 }') | $over_other | $over_503 | $(( $(status_kb "$over_pid" VmHWM) / 1024 )) |"
stop_servers
pids=()

verdict() { if [[ $1 == 1 ]]; then echo "met"; else echo "MISSED"; fi; }
c64=${ips[64]:-0}
ratio=$(awk -v a="$c64" -v r="$ref_best" 'BEGIN { printf "%.2f", a / r }')
tee "$out/report.md" <<EOF
## serve under load ($(nproc) cores, ${duration} s per case, wrk -t$threads, $(date -u +%F)${SERVE_ARGS:+, serve $SERVE_ARGS})

In-process reference, tract at batch 64 (\`infer -n $ref_n --batch-size 64 --raw\`, best of 3,
process start and model load included): **$(printf %.0f "$ref_best") images/s**.

$table

"errors": answers other than 200 and 503, socket errors and timeouts (5 s), plus 503s in the
non-overload runs. images/s counts 200s only in the overload run. Peak RSS is the server's
VmHWM after the run.

| goal | measured | |
|---|---|---|
| images/s at concurrency 64 >= 0.8x in-process | $c64 = ${ratio}x | $(verdict "$(awk -v r="$ratio" 'BEGIN { print (r >= 0.8) }')") |
| p99 at concurrency 64 <= 50 ms | ${p99[64]:-?} ms | $(verdict "$(awk -v p="${p99[64]:-1e9}" 'BEGIN { print (p <= 50) }')") |
| peak RSS <= 200 MB | $main_hwm MB | $(verdict "$(( main_hwm <= 200 ))") |
| no errors below the queue limit | $( (( bad_errors )) && echo some || echo none) | $(verdict "$(( ! bad_errors ))") |
| overload: 503s, nothing else | $over_503 x 503, $over_other other | $(verdict "$(( over_503 > 0 && over_other == 0 ))") |
| overload: steady memory (max RSS 1st half / 2nd half of the run, +10% allowed) | $rss_start MB idle, $rss_first / $rss_second MB | $(verdict "$(( rss_second * 10 <= rss_first * 11 ))") |

Raw wrk outputs, server logs and the overload RSS samples (KB, every 0.5 s): $out/.
RSS grows over the first seconds of a run (connections, allocator arenas) and then holds;
judge "steady memory" on runs of 10 s or more.
EOF
