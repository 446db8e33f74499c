# Sourced: what a `train --keep-best` run folder holds, for the scripts that copy one
# (bench/ship-candidates.sh) and ship one (scripts/ship-generator.sh).

# best_epoch RUN: the epoch RUN/best/ holds (from best/best.json); nothing if none yet.
best_epoch() {
    sed -n 's/.*"epoch": *\([0-9]*\).*/\1/p' "$1/best/best.json" 2>/dev/null || true
}

# epoch_grid EPOCH: the path, inside a run folder, of that epoch's grid of samples.
epoch_grid() {
    printf 'samples/epoch_%03d.png' "$1"
}
