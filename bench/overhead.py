"""Grader overhead: wall time of `grader grade` on the reference solution against a plain
script doing the same import, data loading, training and prediction. Prints figures;
the goal is a ratio of at most 1.10.

Usage: python bench/overhead.py [--data DIR] [--runs N]
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "cifar10-subset"


def timed(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    reference = ROOT / "reference" / "cifar10_cnn" / "solution.py"
    graded, plain = [], []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(args.runs):  # alternate, so drift hits both alike
            graded.append(
                timed(
                    [
                        sys.executable,
                        "-m",
                        "grader",
                        "grade",
                        str(reference),
                        "--data",
                        args.data,
                        "--out",
                        out,
                        "--force",
                    ]
                )
            )
            plain.append(
                timed([sys.executable, str(ROOT / "bench" / "plain_reference.py"), args.data])
            )
    g, p = statistics.median(graded), statistics.median(plain)
    print(f"grader grade (reference): median {g:.2f} s  runs {[round(x, 2) for x in graded]}")
    print(f"plain script            : median {p:.2f} s  runs {[round(x, 2) for x in plain]}")
    print(f"ratio                   : {g / p:.3f}  (goal <= 1.10)")


if __name__ == "__main__":
    main()
