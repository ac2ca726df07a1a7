"""Sandbox start-up cost: `python -I -c "import grader"` bare, and inside the same
bubblewrap sandbox a submission gets. Prints medians and the difference (goal < 0.1 s).

Usage: python bench/sandbox_startup.py [--runs N]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.runner import sandbox
from grader.spec_types import Limits


def timed(argv: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, env=env, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    isolation = sandbox.detect(sandbox.BUBBLEWRAP)
    argv = [sys.executable, "-I", "-c", "import grader"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = sandbox.environment(isolation, folder, 2)
        uid = 60998 if os.geteuid() == 0 else None
        box = sandbox.Box(
            argv, {"/data": (folder, False), "/out": (folder, True)}, env, Limits(), uid
        )
        wrapped = sandbox.command(isolation, box)
        bare, boxed = [], []
        for _ in range(args.runs):  # alternate, so drift hits both alike
            bare.append(timed(argv, env))
            boxed.append(timed(wrapped, env))
    b, s = statistics.median(bare), statistics.median(boxed)
    print(f"bare python      : median {b * 1000:.1f} ms over {args.runs} runs")
    print(f"inside bubblewrap: median {s * 1000:.1f} ms over {args.runs} runs")
    print(f"sandbox start-up : {(s - b) * 1000:.1f} ms per process (goal < 100 ms)")


if __name__ == "__main__":
    main()
