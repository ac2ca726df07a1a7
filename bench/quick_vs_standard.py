"""How well `grader check`'s quick budget predicts the instructor's standard grade, and
what the standard grade's extra seeds near a threshold cost.

Grades the bundled examples, the rule fixtures (tests/rules) and the realistic
submissions (tests/submissions/validity: BatchNorm models among them;
tests/submissions/reasons: hung, huge and Colab-style notebooks) at both budgets with the
bundled calibrations, then prints each score, the quick verdict against the standard
pass/fail (agreement, false passes, false fails, borderline share), the rank correlation,
how many standard grades needed more seeds and the seconds they cost. Prints figures;
asserts nothing.

Usage: python bench/quick_vs_standard.py [--data DIR] [--jobs N] [--code-time S]
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
    ROOT / "tests" / "submissions" / "reasons",  # hung, huge, Colab-style
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


def grade(folder: Path, out: Path, budget: str, args) -> tuple[dict, float]:
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
            args.data,
            "--budget",
            budget,
            "--jobs",
            str(args.jobs),
            "--code-time",
            str(args.code_time),
            "--weights",
            str(out.parent / "no-weights"),  # none: a download attempt gets its verdict
        ],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    seconds = time.perf_counter() - started
    found = {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/result.json")}
    return found, seconds


def verdicts(quick: dict, std: dict, names: list[str]) -> None:
    """The quick verdict against the standard grade's pass/fail."""
    rows = [(quick[n]["estimate"]["verdict"], std[n]["passed"]) for n in names]
    false_pass = [
        n for n, (v, p) in zip(names, rows, strict=True) if v == "likely to pass" and not p
    ]
    false_fail = [n for n, (v, p) in zip(names, rows, strict=True) if v == "likely to fail" and p]
    borderline = [n for n, (v, _) in zip(names, rows, strict=True) if v == "borderline"]
    agree = len(names) - len(false_pass) - len(false_fail) - len(borderline)
    decided = len(names) - len(borderline)
    print(
        f"quick verdicts: {agree}/{decided} decided ones agree with the standard grade; "
        f"false passes {len(false_pass)} {false_pass}; false fails {len(false_fail)} "
        f"{false_fail}; borderline {len(borderline)}/{len(names)} "
        f"({len(borderline) / len(names):.0%}) {borderline}"
    )


def seeds(std: dict, names: list[str], seconds: float) -> None:
    """What the standard grade's extra seeds cost."""
    more = [n for n in names if len((std[n].get("seeds") or {}).get("runs", [])) > 1]
    extra = sum(r["seconds"] for n in more for r in std[n]["seeds"]["runs"][1:])
    runs = sum(len(std[n]["seeds"]["runs"]) - 1 for n in more)
    print(
        f"standard grade: {len(more)}/{len(names)} submissions near a threshold trained "
        f"{runs} extra seeds, {extra:.0f} s ({extra / seconds:.0%} of the standard batch's "
        f"{seconds:.0f} s); " + ", ".join(f"{n} x{len(std[n]['seeds']['runs'])}" for n in more)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--code-time", type=float, default=60, help="hung code stops here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        (Path(tmp) / "no-weights").mkdir()
        for source in SOURCES:
            for path in source.iterdir():
                if path.suffix in (".py", ".ipynb"):
                    shutil.copy2(path, folder / path.name)
        quick, t_quick = grade(folder, Path(tmp) / "quick", "quick", args)
        std, t_std = grade(folder, Path(tmp) / "standard", "standard", args)
    names = sorted(std)
    print(
        f"{'submission':<26} {'quick':>6} {'acc':>6} {'verdict':>15} {'standard':>8} "
        f"{'acc':>6} {'seeds':>5} {'passed':>6}"
    )
    for n in names:
        q, s = quick[n], std[n]
        qa = "" if q["accuracy"] is None else f"{q['accuracy']:.3f}"
        sa = "" if s["accuracy"] is None else f"{s['accuracy']:.3f}"
        runs = len((s.get("seeds") or {}).get("runs", [])) or ""
        print(
            f"{n:<26} {q['score']:>6g} {qa:>6} {q['estimate']['verdict']:>15} "
            f"{s['score']:>8g} {sa:>6} {runs:>5} {str(s['passed']):>6}"
        )
    diffs = [abs(quick[n]["score"] - std[n]["score"]) for n in names]
    rho = spearman([quick[n]["score"] for n in names], [std[n]["score"] for n in names])
    print(
        f"\n{len(names)} submissions: score difference mean {statistics.fmean(diffs):.2f}, "
        f"largest {max(diffs):.2f} points (of 100); Spearman rank correlation {rho:.3f}"
    )
    verdicts(quick, std, names)
    seeds(std, names, t_std)
    print(
        f"time (--jobs {args.jobs}): quick {t_quick:.0f} s ({t_quick / len(names):.1f} s each), "
        f"standard {t_std:.0f} s ({t_std / len(names):.1f} s each)"
    )


if __name__ == "__main__":
    main()
