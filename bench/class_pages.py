"""What publishing costs for a large class: the results folder, the gradebook and the
class overview for N results (default 5000), written as a batch writes them.

Grades one example at the quick budget for a real result, makes N variants of it (ids,
scores, accuracies), then publishes them two ways: as the batch used to, re-reading every
result and rewriting grades.csv and index.html after each one (timed on the first
--old-n results, and extrapolated to N with a quadratic fit), and through
``grader.report.publish`` (class pages at most every 5 s and at the end). Prints
figures; asserts nothing.

Usage: python bench/class_pages.py [--n 5000] [--old-n 300] [--data DIR]
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader import results  # noqa: E402
from grader.report import html, publish  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "cifar10-subset"
EXAMPLE = ROOT / "assignments" / "cifar10_cnn" / "examples" / "good_cnn.py"
TITLE = "CIFAR-10 CNN (bench)"


def real_result(tmp: Path, data: str) -> tuple[dict, str]:
    out = tmp / "seed"
    subprocess.run(
        [sys.executable, "-m", "grader", "check", str(EXAMPLE), "--data", data, "--out", str(out)],
        capture_output=True,
        cwd=ROOT,
    )
    folder = out / EXAMPLE.stem
    return json.loads((folder / "result.json").read_text()), (folder / "output.txt").read_text()


def variants(result: dict, n: int) -> list[dict]:
    rng = random.Random(0)
    made = []
    for i in range(n):
        r = copy.deepcopy(result)
        r["submission"] = f"student{i:05d}"
        r["accuracy"] = round(rng.uniform(0.1, 0.5), 4)
        r["score"] = round(rng.uniform(0, r["max_score"]), 2)
        r["duration_s"] = round(rng.uniform(20, 60), 1)
        made.append(r)
    return made


def old_way(out: Path, rows: list[dict], output: str) -> float:
    """After each result: save it, re-read every result, rewrite both class pages."""
    started = time.perf_counter()
    for r in rows:
        results.save(out, r, output)
        html.write_submission(out, r, output)
        every = results.all_results(out)
        results.write_gradebook(out, every)
        html.write_index(out, every, TITLE)
    return time.perf_counter() - started


def new_way(out: Path, rows: list[dict], output: str) -> tuple[float, int, float]:
    consumers = publish.to_folder(out, TITLE)
    started = time.perf_counter()
    for r in rows:
        for c in consumers:
            c.add(r, output, False)
    for c in consumers:
        c.close()
    total = time.perf_counter() - started
    pages = consumers[1]
    once = time.perf_counter()
    pages.write()
    return total, pages.writes - 1, time.perf_counter() - once


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--old-n", type=int, default=300)
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base, output = real_result(Path(tmp), args.data)
        rows = variants(base, args.n)
        half = args.old_n // 2
        t_half = old_way(Path(tmp) / "old_half", rows[:half], output)
        t_full = old_way(Path(tmp) / "old_full", rows[: args.old_n], output)
        # t(n) = a n + b n^2 through both measurements
        b = (t_full / args.old_n - t_half / half) / (args.old_n - half)
        a = t_full / args.old_n - b * args.old_n
        t_old = a * args.n + b * args.n**2
        t_new, writes, final = new_way(Path(tmp) / "new", rows, output)
    print(
        f"before (class pages after every result): {half} results {t_half:.1f} s, "
        f"{args.old_n} results {t_full:.1f} s; extrapolated to {args.n}: {t_old / 60:.0f} min"
    )
    print(
        f"now (class pages every {publish.EVERY_S:g} s and at the end): {args.n} results "
        f"{t_new:.1f} s ({t_new / args.n * 1000:.1f} ms each, {writes} class-page writes; "
        f"one write at {args.n} results takes {final:.2f} s)"
    )


if __name__ == "__main__":
    main()
