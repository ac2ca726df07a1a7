"""Warm stages against bubblewrap, side by side on the same batches: the examples at the
standard budget (bundled calibration, one seed each so every run's training is in its
result), the examples and the realistic BatchNorm/data-science submissions at the tiny
budget (calibrated once before timing), and `grader check` on the good notebook (with no
warm parent running, then again with the parent the last command left warm). Prints
wall and CPU time of each command (the machine's, which runs nothing else), each stage's
start-up (from the grader asking for it to its first line) and TensorFlow import, and
the share of the CPU that is the model's own training (``fit``'s process CPU time, all
its threads, as the trainer stage measures it), and where the rest goes: the student's
own code (its cells or module, their capped ``fit`` included), the grader's work inside
the stages (each stage's CPU less those two), and everything else (the grader's own
process, the warm parent, the sandbox, the kernel). Two lines give the floor under ours:
training's share were only the student's code and the trainer's work on the model
counted, and the part of `check`'s wall time that is the notebook's code and the model's
rebuilding, training and predicting. The warm path's first batch (the tiny
one) starts with no warm parent, so its import is in that batch's figures; the standard
batch and the second check find the parent the command before left warm.

Usage: python bench/warm_vs_bubblewrap.py [--data PATH]
"""

from __future__ import annotations

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
sys.path.insert(0, str(ROOT))
import psutil  # noqa: E402

from tests.conftest import EXAMPLES, TINY, spec_text  # noqa: E402

DATA = ROOT.parent / "shared" / "datasets" / "cifar10-subset"
VALIDITY = ROOT / "tests" / "submissions" / "validity"
EXAMPLE_FILES = sorted(p for p in EXAMPLES.iterdir() if p.suffix in (".py", ".ipynb"))
TINY_BATCH = EXAMPLE_FILES + sorted(p for p in VALIDITY.iterdir() if p.stem != "compile_raises")
MODES = ("warm", "bubblewrap")
MODEL_STEPS = ("rebuild_s", "batch_norm_s", "predict_s")  # the trainer's, besides training


def busy() -> float:
    """CPU seconds the whole machine has spent (a sandboxed process killed before its
    parent reaped it never reaches this process's RUSAGE_CHILDREN)."""
    t = psutil.cpu_times()
    return t.user + t.nice + t.system + t.irq + t.softirq


def timed(argv: list[str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall and CPU seconds of a command and everything it started."""
    before = busy()
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True)
    wall = time.perf_counter() - started
    cpu = busy() - before
    if done.returncode not in (0, 1, 3):
        sys.exit(f"{' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    return wall, cpu, done


def stage_figures(out: Path) -> dict[str, list[float]]:
    """Per stage start-up, import and CPU, and each submission's training and own code,
    from its result."""
    found: dict[str, list[float]] = {
        k: [] for k in ("start", "import", "train", "code", "stage", "judged")
    }
    for path in out.glob("*/result.json"):
        timings = json.loads(path.read_text()).get("timings") or {}
        for prefix in ("", "trainer_"):
            for key in ("start", "import"):
                if f"{prefix}{key}_s" in timings:
                    found[key].append(timings[f"{prefix}{key}_s"])
            found["stage"].append(timings.get(f"{prefix}cpu_s", 0))
        found["train"].append(timings.get("trainer_train_cpu_s", timings.get("train_cpu_s", 0)))
        found["code"].append(timings.get("code_cpu_s", 0))
        # rebuilding, BatchNorm statistics, predicting: their wall time (a stage's CPU
        # less training would count bubblewrap's import too)
        found["judged"].append(sum(timings.get(f"trainer_{step}", 0) for step in MODEL_STEPS))
    return found


def grade(mode: str, paths: list[Path], spec: Path | None, data: str, out: Path) -> dict:
    argv = [sys.executable, "-m", "grader", "grade", *map(str, paths), "--out", str(out)]
    argv += ["--data", data, "--sandbox", mode, "--jobs", "2", "--force"]
    if spec is not None:
        argv += ["--assignment", str(spec.parent)]
    wall, cpu, _ = timed(argv)
    figures = stage_figures(out)
    return {"wall": wall, "cpu": cpu, **figures}


def check(mode: str, data: str, out: Path) -> tuple[float, float]:
    """Its wall time, and the part of it no grader could remove: the notebook's code,
    then rebuilding, training and predicting its model (the trainer's own steps)."""
    notebook = EXAMPLES / "good_cnn_notebook.ipynb"
    argv = [sys.executable, "-m", "grader", "check", str(notebook), "--data", data]
    wall, _, _ = timed([*argv, "--sandbox", mode, "--out", str(out)])
    t = json.loads((out / notebook.stem / "result.json").read_text())["timings"]
    return wall, t["code_s"] + sum(t[f"trainer_{step}"] for step in ("train_s", *MODEL_STEPS))


def no_warm_parent() -> None:
    """End this user's warm parents, and wait until they are gone."""
    from grader.runner.warm import client

    parents = [p for p in psutil.process_iter(["cmdline"]) if _a_parent(p)]
    client.stop_all()
    psutil.wait_procs(parents, timeout=30)


def _a_parent(p: psutil.Process) -> bool:
    line = " ".join(p.info["cmdline"] or [])
    return "grader.runner.warm.parent" in line and "grader.runner.warm.parent" not in " ".join(
        p.parent().cmdline() if p.parent() else []
    )


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:8.0f} ms" if values else "       -   "


def report(name: str, rows: dict[str, dict]) -> None:
    print(f"\n{name}")
    print(f"  {'':34}" + "".join(f"{mode:>14}" for mode in MODES))
    lines = {
        "wall time": lambda r: f"{r['wall']:11.1f} s",
        "CPU time (grader and children)": lambda r: f"{r['cpu']:11.1f} s",
        "stage start-up, median": lambda r: median_ms(r["start"]),
        "stage start-up, smallest": lambda r: f"{min(r['start'], default=0) * 1000:8.0f} ms",
        "stage start-up, largest": lambda r: f"{max(r['start'], default=0) * 1000:8.0f} ms",
        "TensorFlow import in a stage": lambda r: median_ms(r["import"]),
        "model training (fit), CPU": lambda r: f"{sum(r['train']):11.1f} s",
        "training's share of the CPU": lambda r: f"{sum(r['train']) / r['cpu']:12.0%}",
        "...were only code and model CPU": lambda r: f"{_ceiling(r):12.0%}",
        "the student's own code, CPU": lambda r: f"{sum(r['code']):11.1f} s",
        "the grader's in the stages, CPU": lambda r: f"{_ours_inside(r):11.1f} s",
        "everything else, CPU": lambda r: f"{r['cpu'] - sum(r['stage']):11.1f} s",
    }
    for label, show in lines.items():
        print(f"  {label:34}" + "".join(f"{show(rows[mode]):>14}" for mode in MODES))


def _ceiling(r: dict) -> float:
    """Training's share were everything but the student's code and the trainer's work on
    the model (rebuilding, BatchNorm statistics, predicting) free: the most a grader
    that trains and predicts in a stage apart from the code could reach."""
    return sum(r["train"]) / (sum(r["train"]) + sum(r["code"]) + sum(r["judged"]))


def _ours_inside(r: dict) -> float:
    """The stages' CPU that is neither training nor the student's code: import, data,
    finding and exporting the model, rebuilding it, predicting."""
    return sum(r["stage"]) - sum(r["train"]) - sum(r["code"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(DATA))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        reference = folder / "reference"
        reference.mkdir()
        shutil.copy2(ROOT / "reference" / "cifar10_cnn" / "solution.py", reference)
        spec = folder / "tiny" / "assignment.toml"
        spec.parent.mkdir()
        spec.write_text(spec_text(**{**TINY, "reference": str(reference)}))
        one_seed = folder / "standard" / "assignment.toml"
        one_seed.parent.mkdir()
        one_seed.write_text(spec_text(max_seeds=1))
        # the tiny budget's calibration, once, before anything is timed
        grade("warm", TINY_BATCH[:1], spec, args.data, folder / "calibrating")
        standard, tiny, cold, warm = {}, {}, {}, {}
        for mode in MODES:
            no_warm_parent()
            tiny[mode] = grade(mode, TINY_BATCH, spec, args.data, folder / f"tiny-{mode}")
            out = folder / f"std-{mode}"
            standard[mode] = grade(mode, EXAMPLE_FILES, one_seed, args.data, out)
            no_warm_parent()
            cold[mode] = check(mode, args.data, folder / f"check-{mode}")
            warm[mode] = check(mode, args.data, folder / f"check-again-{mode}")
        no_warm_parent()
    print(f"machine: {machine_line()}")
    report(f"examples, standard budget, one seed ({len(EXAMPLE_FILES)} submissions)", standard)
    report(f"tiny budget ({len(TINY_BATCH)} submissions)", tiny)
    print("\n`grader check` on good_cnn_notebook.ipynb, wall time")
    print(f"  {'':34}" + "".join(f"{mode:>14}" for mode in MODES))
    for label, figures in (("no warm parent running", cold), ("a warm parent running", warm)):
        print(f"  {label:34}" + "".join(f"{figures[mode][0]:12.1f} s" for mode in MODES))
    label = "...its code and model steps alone"
    print(f"  {label:34}" + "".join(f"{warm[mode][1]:12.1f} s" for mode in MODES))


def machine_line() -> str:
    from grader.runner import machine

    found = machine.fingerprint()
    return f"{found['cpu']['model']}, {found['cores']} cores, oneDNN {found['onednn']}"


if __name__ == "__main__":
    main()
