"""What hung submissions cost a batch, before and after the code-time limit.

Grades tests/submissions/reasons/{hung_loop.ipynb, sigterm_sleeper.py} and
tests/submissions/unseen/build_model_sleeps.py (a build_model() that never returns)
twice at the quick budget: once with the code-time limit as long as the wall-time limit
(as before it existed: only the wall-time limit stops them), once with the code-time
limit. Prints the batch's wall time for each, and each verdict with the line it names.
Prints figures; asserts nothing.

Usage: python bench/hung_submissions.py [--data DIR] [--wall-time S] [--code-time S]
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "cifar10-subset"
SUBMISSIONS = ROOT / "tests" / "submissions"
HUNG = [
    SUBMISSIONS / "reasons" / "hung_loop.ipynb",
    SUBMISSIONS / "reasons" / "sigterm_sleeper.py",
    SUBMISSIONS / "unseen" / "build_model_sleeps.py",
]


def batch(data: str, wall: float, code: float) -> tuple[float, dict[str, dict]]:
    """The batch's wall time, and each submission's result."""
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "grader", "grade", *map(str, HUNG), "--out", out, "--data",
             data, "--budget", "quick", "--wall-time", str(wall), "--code-time", str(code)],
            check=True, capture_output=True, cwd=ROOT,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        found = {p.parent.name: json.loads(p.read_text()) for p in Path(out).glob("*/result.json")}
        return seconds, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--wall-time", type=float, default=120.0)
    parser.add_argument("--code-time", type=float, default=30.0)
    args = parser.parse_args()
    before, _ = batch(args.data, args.wall_time, args.wall_time)
    after, found = batch(args.data, args.wall_time, args.code_time)
    print(f"{len(HUNG)} hung submissions, wall-time limit {args.wall_time:g} s:")
    print(f"  only the wall-time limit:            {before:6.1f} s")
    print(f"  code-time limit of {args.code_time:g} s:{'':<13} {after:6.1f} s")
    print(f"  saved: {before - after:.1f} s ({before / after:.1f}x faster)")
    for name, result in sorted(found.items()):
        failure = result["failure"] or {}
        print(f"  {name}: {result['duration_s']:.1f} s, {failure.get('message')}")


if __name__ == "__main__":
    main()
