"""The cores' peak single-precision rate, for the bench scripts' "% of the physical limit"."""
import pathlib
import subprocess
import sys
import tempfile


def peak_gflops(threads):
    """bench/peak_flops.c's rate with `threads` threads (GFLOP/s), built here with the C
    compiler; None, said on stderr, where it does not build (no compiler or OpenMP)."""
    source = pathlib.Path(__file__).with_name("peak_flops.c")
    with tempfile.TemporaryDirectory() as tmp:
        exe = pathlib.Path(tmp) / "peak_flops"
        flags = ["-O3", "-march=native", "-ffp-contract=fast", "-fopenmp"]
        try:
            subprocess.run(["cc", *flags, str(source), "-o", str(exe)], check=True, capture_output=True)
        except (OSError, subprocess.CalledProcessError) as e:
            print(f"no peak rate: bench/peak_flops.c did not build: {e}", file=sys.stderr)
            return None
        run = subprocess.run([str(exe), str(threads)], capture_output=True, text=True)
        if run.returncode != 0:
            print(f"no peak rate: peak_flops {threads}: {run.stderr.strip()}", file=sys.stderr)
            return None
        return float(run.stdout.split()[-1])
