"""One way for the client tests (serve_client.py, serve_grpc.py, serve_metrics.py) to
report: a line per check with what was measured, the failures collected, the exit
status decided by them."""

import sys

import numpy as np

# Same backend (tract) in the server and in `infer`: bit-identical in practice.
AGREEMENT_TOLERANCE = 1e-6

failures = []


def report(name, ok, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")
    if not ok:
        failures.append(name)
    return ok


def compare(name, got, want):
    """`got` equal to `want` within AGREEMENT_TOLERANCE, the difference printed."""
    if got.shape != want.shape:
        return report(name, False, f"shape {list(got.shape)}, expected {list(want.shape)}")
    diff = float(np.abs(got.astype(np.float64) - want).max())
    return report(name, diff <= AGREEMENT_TOLERANCE, f"max |d| = {diff:.3e} (tolerance {AGREEMENT_TOLERANCE:.0e})")


def finish():
    """Exit 0 when every check passed, 1 otherwise, naming the failed ones."""
    print(f"{len(failures)} failed: {'; '.join(failures)}" if failures else "all checks passed")
    sys.exit(1 if failures else 0)
