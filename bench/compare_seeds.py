"""Does a candidate generator beat the shipped one? The ship rule of the quality issue.

usage: python3 bench/compare_seeds.py SHIPPED.json CANDIDATE.json
Both files are `eval --onnx FILE --seeds N --out FILE.json` with the same first seed,
N and sample count. The seeds pair the two models (the same latents, the same labels),
so the Fréchet distance to the odd half of MNIST test (`frechet_report`, lower is
better) is compared seed by seed: the mean difference, its standard error (sd / √N),
how many seeds the candidate wins, and the verdict: ship when the mean difference is
below zero by more than SHIP_MARGIN standard errors. Prints per-digit label accuracy of
both when the models are conditional.
exit: 0 ship, 3 do not ship, 2 the files cannot be compared.
"""
import json
import math
import sys

KEY = "frechet_report"
# Standard errors the mean improvement must clear. With ten seeds (t with 9 degrees of
# freedom) that is a one-sided test at about 4%.
SHIP_MARGIN = 2.0


def refuse(why):
    print(f"compare_seeds: {why}", file=sys.stderr)
    sys.exit(2)


def load(path):
    """(first seed, [(frechet_report, count, per-digit accuracy or None)] per seed)."""
    try:
        with open(path) as f:
            doc = json.load(f)
        runs = [(float(r[KEY]), int(r["count"]), (r.get("label_accuracy") or {}).get("per_digit"))
                for r in doc["seeds"]]
        return int(doc["seed"]), runs
    except OSError as e:
        refuse(f"{path}: {e}")
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        refuse(f"{path} is not `eval --seeds N` output (needs seed and seeds[].{KEY}, count): {e!r}")


def mean_per_digit(runs):
    digits = [d for _, _, d in runs if d]
    return [sum(d[i] for d in digits) / len(digits) for i in range(len(digits[0]))] if digits else None


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    (seed_old, old), (seed_new, new) = load(sys.argv[1]), load(sys.argv[2])
    if min(len(old), len(new)) < 2:
        refuse(f"{len(old)} and {len(new)} seeds: the rule needs at least 2 in each")
    if (seed_old, len(old), old[0][1]) != (seed_new, len(new), new[0][1]):
        refuse(f"not the same seeds: first seed {seed_old} × {len(old)} of {old[0][1]} samples against "
               f"{seed_new} × {len(new)} of {new[0][1]}")
    diffs = [b[0] - a[0] for a, b in zip(old, new)]
    n = len(diffs)
    mean = sum(diffs) / n
    se = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1)) / math.sqrt(n)
    print(f"{KEY}, seed by seed (candidate − shipped):")
    for i, (a, b, d) in enumerate(zip(old, new, diffs)):
        print(f"  seed {seed_old + i}: {a[0]:.4f} → {b[0]:.4f}  {d:+.4f}")
    wins = sum(d < 0 for d in diffs)
    print(f"mean {sum(a[0] for a in old) / n:.4f} → {sum(b[0] for b in new) / n:.4f}: difference "
          f"{mean:+.4f} ± {se:.4f} (standard error), candidate ahead on {wins} of {n} seeds")
    for label, runs in (("shipped", old), ("candidate", new)):
        acc = mean_per_digit(runs)
        if acc:
            print(f"  {label} label accuracy per digit: " + ", ".join(f"{i}: {a:.4f}" for i, a in enumerate(acc)))
    ship = mean < -SHIP_MARGIN * se
    print(f"{'ship' if ship else 'do not ship'}: the difference must be below −{SHIP_MARGIN:g} standard "
          f"errors ({-SHIP_MARGIN * se:+.4f})")
    return 0 if ship else 3


if __name__ == "__main__":
    sys.exit(main())
