"""What publishing costs for a large class: the results folder, the gradebook and the
class overview for N results (default 5000), written as a batch writes them.

Grades one example at the quick budget for a real result, makes N variants of it (ids,
scores, accuracies), then saves them and publishes the class pages two ways: as the batch used to,
re-reading every result and rewriting grades.csv and index.html after each one (one
such step timed with 1 and with N results in the folder, summed over 1..N), and through
``grader.reporting.publish`` (class pages at most every 5 s and at the end). Also times a
student's own page, which costs the same either way. Prints figures; asserts nothing.

Usage: python bench/class_pages.py [--n 5000] [--data DIR]
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

from grader.reporting import (  # noqa: E402
    html,
    publish,
    results,  # noqa: E402
)

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


def old_step(out: Path, r: dict, output: str) -> float:
    """What the batch used to do after each result: save it, re-read every result in the
    folder, rewrite both class pages."""
    started = time.perf_counter()
    results.save(out, r, output)
    every = results.all_results(out)
    results.write_gradebook(out, every)
    html.write_index(out, every, TITLE)
    return time.perf_counter() - started


def new_way(out: Path, rows: list[dict], output: str) -> tuple[float, int, float]:
    """Each result saved, and handed to the class pages (written every few seconds)."""
    pages = publish.ClassPages(out, TITLE)
    started = time.perf_counter()
    for r in rows:
        results.save(out, r, output)
        pages.add(r, output, False)
    pages.close()
    total = time.perf_counter() - started
    once = time.perf_counter()
    pages.write()
    return total, pages.writes - 1, time.perf_counter() - once


def page_seconds(out: Path, rows: list[dict], output: str) -> float:
    """A student's own page (plots included): the same per result, before and now."""
    started = time.perf_counter()
    for r in rows:
        html.write_submission(out, r, output)
    return (time.perf_counter() - started) / len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base, output = real_result(Path(tmp), args.data)
        rows = variants(base, args.n)
        t_new, writes, final = new_way(Path(tmp) / "new", rows, output)
        page = page_seconds(Path(tmp) / "pages", rows[:20], output)
        first = old_step(Path(tmp) / "old", rows[0], output)
        last = old_step(Path(tmp) / "new", rows[-1], output)  # with N results in the folder
    # the step grows about linearly with the results in the folder: sum over 1..N
    t_old = args.n * (first + last) / 2
    print(
        f"before (class pages after every result): one step {first:.2f} s with 1 result in "
        f"the folder, {last:.2f} s with {args.n}; about {t_old / 60:.0f} min over {args.n}"
    )
    print(
        f"now (class pages every {publish.EVERY_S:g} s and at the end): {args.n} results "
        f"{t_new:.1f} s ({t_new / args.n * 1000:.1f} ms each, {writes} class-page writes; "
        f"one write at {args.n} results takes {final:.2f} s)"
    )
    print(
        f"each student's own page (plots included, unchanged): {page * 1000:.0f} ms, "
        f"{page * args.n / 60:.1f} min over {args.n} results, spread over the grading"
    )


if __name__ == "__main__":
    main()
