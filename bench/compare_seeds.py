"""Does a candidate generator beat the shipped one? The ship rule of the quality issue.

usage: compare_seeds.py SHIPPED.json CANDIDATE.json [KEY]
Both files are `eval --onnx FILE --seeds N --out FILE.json` of the same N seeds. The
seeds pair the two models (the same latents, the same labels), so the difference is
taken seed by seed: its mean, its standard error (sd / √N), how many seeds the candidate
wins, and the verdict: ship when the mean difference in KEY (default frechet_report,
the odd half of MNIST test) is below zero by more than SHIP_MARGIN standard errors.
Prints per-digit label accuracy of both when the models are conditional.
exit: 0 ship, 3 do not ship, 2 the files cannot be compared.
"""
import json
import math
import sys

# Standard errors the mean improvement must clear: a one-sided test at about 2.3%.
SHIP_MARGIN = 2.0


def seeds(path):
    try:
        with open(path) as f:
            runs = json.load(f).get("seeds")
    except (OSError, ValueError, AttributeError) as e:
        refuse(f"{path}: {e}")
    if not runs:
        refuse(f"{path} has no per-seed figures (eval --seeds N)")
    return runs


def refuse(why):
    print(f"compare_seeds: {why}", file=sys.stderr)
    sys.exit(2)


def per_digit(runs):
    digits = [r["label_accuracy"]["per_digit"] for r in runs if r.get("label_accuracy")]
    return [sum(d[i] for d in digits) / len(digits) for i in range(len(digits[0]))] if digits else None


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    key = sys.argv[3] if len(sys.argv) == 4 else "frechet_report"
    old, new = seeds(sys.argv[1]), seeds(sys.argv[2])
    if len(old) != len(new) or any(key not in r for r in old + new):
        refuse(f"{len(old)} against {len(new)} seeds, or no `{key}` in each")
    diffs = [b[key] - a[key] for a, b in zip(old, new)]
    n = len(diffs)
    mean = sum(diffs) / n
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1)) if n > 1 else float("inf")
    se = sd / math.sqrt(n)
    print(f"{key}, seed by seed (candidate − shipped):")
    for i, (a, b, d) in enumerate(zip(old, new, diffs)):
        print(f"  seed {i}: {a[key]:.4f} → {b[key]:.4f}  {d:+.4f}")
    mean_old = sum(r[key] for r in old) / n
    mean_new = sum(r[key] for r in new) / n
    wins = sum(d < 0 for d in diffs)
    print(f"mean {mean_old:.4f} → {mean_new:.4f}: difference {mean:+.4f} ± {se:.4f} (standard error), "
          f"candidate ahead on {wins} of {n} seeds")
    for label, runs in (("shipped", old), ("candidate", new)):
        acc = per_digit(runs)
        if acc:
            print(f"  {label} label accuracy per digit: " + ", ".join(f"{i}: {a:.4f}" for i, a in enumerate(acc)))
    ship = mean < -SHIP_MARGIN * se
    print(f"{'ship' if ship else 'do not ship'}: the difference must be below −{SHIP_MARGIN:g} standard errors "
          f"({-SHIP_MARGIN * se:+.4f})")
    return 0 if ship else 3


if __name__ == "__main__":
    sys.exit(main())
