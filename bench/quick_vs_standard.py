"""How well `grader check`'s quick budget predicts the instructor's standard grade.

Grades the bundled examples, the rule fixtures (tests/rules) and the realistic
submissions (tests/submissions/validity: BatchNorm models among them) at both budgets with
the bundled calibrations, then prints each score, the differences, the rank
correlation and how often pass/fail agree, with the time each budget took. Prints
figures; asserts nothing.

Usage: python bench/quick_vs_standard.py [--data DIR] [--jobs N]
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "cifar10-subset"
SOURCES = [
    ROOT / "assignments" / "cifar10_cnn" / "examples",
    ROOT / "tests" / "rules",
    ROOT / "tests" / "submissions" / "validity",  # BatchNorm models and realistic notebooks
]


def ranks(values: list[float]) -> list[float]:
    """Average ranks (ties share theirs), for Spearman's correlation."""
    order = sorted(range(len(values)), key=values.__getitem__)
    out = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            out[order[k]] = (i + j) / 2
        i = j + 1
    return out


def spearman(a: list[float], b: list[float]) -> float:
    return statistics.correlation(ranks(a), ranks(b))


def grade(folder: Path, out: Path, budget: str, data: str, jobs: int) -> tuple[dict, float]:
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grader",
            "grade",
            str(folder),
            "--out",
            str(out),
            "--data",
            data,
            "--budget",
            budget,
            "--jobs",
            str(jobs),
        ],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    seconds = time.perf_counter() - started
    found = {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/result.json")}
    return found, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        for source in SOURCES:
            for path in source.iterdir():
                if path.suffix in (".py", ".ipynb"):
                    shutil.copy2(path, folder / path.name)
        quick, t_quick = grade(folder, Path(tmp) / "quick", "quick", args.data, args.jobs)
        std, t_std = grade(folder, Path(tmp) / "standard", "standard", args.data, args.jobs)
    names = sorted(std)
    print(f"{'submission':<26} {'quick':>6} {'acc':>6} {'standard':>8} {'acc':>6} {'diff':>6}")
    for n in names:
        q, s = quick[n], std[n]
        qa = "" if q["accuracy"] is None else f"{q['accuracy']:.3f}"
        sa = "" if s["accuracy"] is None else f"{s['accuracy']:.3f}"
        print(
            f"{n:<26} {q['score']:>6g} {qa:>6} {s['score']:>8g} {sa:>6} "
            f"{q['score'] - s['score']:>+6.1f}"
        )
    diffs = [abs(quick[n]["score"] - std[n]["score"]) for n in names]
    agree = sum(quick[n]["passed"] == std[n]["passed"] for n in names)
    rho = spearman([quick[n]["score"] for n in names], [std[n]["score"] for n in names])
    print(
        f"\n{len(names)} submissions: score difference mean {statistics.fmean(diffs):.2f}, "
        f"largest {max(diffs):.2f} points (of 100); Spearman rank correlation {rho:.3f}; "
        f"pass/fail agree on {agree}/{len(names)}"
    )
    print(
        f"time: quick {t_quick:.0f} s ({t_quick / len(names):.1f} s each), standard "
        f"{t_std:.0f} s ({t_std / len(names):.1f} s each)"
    )


if __name__ == "__main__":
    main()
