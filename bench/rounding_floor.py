"""How far float32 rounding alone carries a replay: the floor under trainer_vs_torch.py.

usage: python3 bench/rounding_floor.py [--train target/release/train] [--batches 100,256]
       [--steps 2,6,10] [--limit-batches 12] [flags for train...]

For each batch size it traces the first steps of `train` (`--trace-steps`, on the CPU,
one thread, seed 5, the shipped conditional recipe with both class terms at 1 unless
flags are given) and replays them three ways with tests/python/trainer_vs_torch.py:
PyTorch in float32 against the trainer (what the test checks), PyTorch in float64
against the trainer, and PyTorch in float64 against PyTorch in float32, the same code
where only the rounding differs. Each is printed per step in the test's tolerance units
(≤ 1 passes). Where the last column is as large as the first, the trainer's distance from
PyTorch is rounding that the GAN's steps amplify, not a different computation.
Flags it does not know go to `train` as they are. Needs MNIST_DIR and PyTorch
(scripts/setup.sh). Exit 0 when every replay ran, 1 when `train` failed (its stderr shown).
"""
import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "python"))
import trainer_vs_torch as tv  # noqa: E402
from dcgan_torch import read_safetensors  # noqa: E402

CLASS_LOSS = "--recipe improved --loss bce --conditional projection --class-loss 1 --class-loss-g 1".split()
# The checks that follow the steps (the EMA's BatchNorm refresh is compared once, after
# the last step, against the trainer's own refresh, so it has no PyTorch-only floor).
CHECKS = ("losses", "G and D", "BN statistics")


def trace(train, batch, steps, limit_batches, flags, folder):
    path = os.path.join(folder, f"trace-{batch}-{steps}.safetensors")
    args = [train, "--limit", str(batch * limit_batches), "--batch-size", str(batch), "--threads", "1"]
    args += ["--device", "cpu", "--seed", "5", "--data", os.environ["MNIST_DIR"], *flags]
    args += ["--trace-steps", str(steps), "--trace", path, "--out", os.path.join(folder, f"run-{batch}-{steps}")]
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"rounding_floor: {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return path


def worst(tensors, config, dtype, record=None):
    figures = tv.replay(tensors, config, dtype=dtype, record=record)
    return [figures.get(check, 0.0) for check in CHECKS]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train", default="target/release/train")
    parser.add_argument("--batches", default="100,256")
    parser.add_argument("--steps", default="2,6,10")
    parser.add_argument("--limit-batches", type=int, default=12, help="images traced on, in batches")
    args, flags = parser.parse_known_args()
    torch.set_num_threads(1)
    print(f"train {' '.join(flags or CLASS_LOSS)}; figures: {', '.join(CHECKS)} in tolerance units")
    print("| batch | steps | trainer vs PyTorch f32 | trainer vs PyTorch f64 | PyTorch f32 vs f64 |")
    print("|---:|---:|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for batch in map(int, args.batches.split(",")):
            for steps in map(int, args.steps.split(",")):
                tensors, meta = read_safetensors(trace(args.train, batch, steps, args.limit_batches, flags or CLASS_LOSS, folder))
                config = json.loads(meta["config"])
                own = {}
                # The replay's per-step lines would bury the table.
                with contextlib.redirect_stdout(io.StringIO()):
                    rows = [worst(tensors, config, torch.float32, own), worst(tensors, config, torch.float64)]
                    rows.append(worst({**tensors, **own}, config, torch.float64))
                cells = [" / ".join(f"{v:.3g}" for v in row) for row in rows]
                print(f"| {batch} | {steps} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
