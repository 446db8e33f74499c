# shellcheck shell=bash
# Sourced by bench/ablation.sh and bench/ship-candidates.sh: many `train` runs at once on
# one device, stopped at a deadline.
#
# train_in_parallel DEVICE OUTDIR SECONDS SPEC...
#   SPEC is "NAME|EPOCHS|FLAGS". Starts, all at once, one
#     $bin/train --device DEVICE --threads 1 --epochs EPOCHS --keep-best "${common[@]}"
#                --out OUTDIR/NAME FLAGS $DCGAN_TRAIN_FLAGS
#   per SPEC, logging to OUTDIR/NAME.log; sends SIGTERM to those still running at the
#   deadline (a run keeps its last whole epoch and best/), waits, and prints each run's
#   last log line. While they run, calls `on_tick` every 60 s if the caller defines it.
#   Needs `bin` (the folder with train) and `common` (an array of flags for every run).
train_in_parallel() {
    local device=$1 out=$2 seconds=$3
    shift 3
    local pids=() spec name n flags
    for spec in "$@"; do
        IFS='|' read -r name n flags <<<"$spec"
        # shellcheck disable=SC2086 # flags are words
        "$bin/train" --device "$device" --threads 1 --epochs "$n" --keep-best "${common[@]}" \
            --out "$out/$name" $flags ${DCGAN_TRAIN_FLAGS:-} >"$out/$name.log" 2>&1 &
        pids+=($!)
    done
    echo "$(basename "$0"): $# runs on $device, deadline in $seconds s" >&2
    local deadline=$((SECONDS + seconds)) tick=$((SECONDS + 60))
    while [ $SECONDS -lt $deadline ] && any_alive "${pids[@]}"; do
        sleep 2
        if [ $SECONDS -ge $tick ] && declare -F on_tick >/dev/null; then
            on_tick
            tick=$((SECONDS + 60))
        fi
    done
    kill -TERM "${pids[@]}" 2>/dev/null
    wait "${pids[@]}"
    for spec in "$@"; do
        name=${spec%%|*}
        echo "$name: $(tail -n 1 "$out/$name.log")" >&2
    done
}

any_alive() {
    local p
    for p in "$@"; do
        kill -0 "$p" 2>/dev/null && return 0
    done
    return 1
}
