"""oneDNN on or off: is training still bit-identical run to run, and what does each cost?

Grades the reference and the `good_cnn` example at the standard budget (one seed, no
further seeds) through the real `grader grade --force`, REPEATS times with the stages'
TF_ENABLE_ONEDNN_OPTS at 1 and at 0 (GRADER_ONEDNN), and prints per setting: the
accuracies, whether the predictions were bit-identical across repeats (prediction_hash),
and the training seconds. Prints figures, with the machine they were measured on;
asserts nothing.

Usage: python bench/onednn.py [--data DIR] [--repeats N]
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from grader.runner import machine

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "assignments" / "cifar10_cnn" / "assignment.toml"
SUBMISSIONS = (
    ROOT / "reference" / "cifar10_cnn" / "solution.py",
    ROOT / "assignments" / "cifar10_cnn" / "examples" / "good_cnn.py",
)
DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "cifar10-subset"


def one_seed_spec(folder: Path) -> Path:
    """The bundled spec, its reference path made absolute, graded with one seed only."""
    text = SPEC.read_text()
    text = re.sub(
        r"(?m)^reference = .*$", f'reference = "{ROOT / "reference" / "cifar10_cnn"}"', text
    )
    text = re.sub(r"(?m)^max_seeds = .*$", "max_seeds = 1", text)
    path = folder / "assignment.toml"
    path.write_text(text)
    return path


def grade(folder: Path, spec: Path, data: str, onednn: str) -> dict[str, dict]:
    out = folder / f"out-{onednn}"
    shutil.rmtree(out, ignore_errors=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grader",
            "grade",
            *map(str, SUBMISSIONS),
            "--out",
            str(out),
            "--data",
            data,
            "--assignment",
            str(spec),
            "--force",
            "--jobs",
            "1",
        ],
        check=True,
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, machine.ONEDNN_VARIABLE: onednn},
    )
    return {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/result.json")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    print(f"machine: {machine.describe(machine.fingerprint())}")
    with tempfile.TemporaryDirectory() as tmp:
        spec = one_seed_spec(Path(tmp))
        runs: dict[str, list[dict[str, dict]]] = {"1": [], "0": []}
        for _ in range(args.repeats):  # interleaved, so a busy minute hits both settings
            for onednn in runs:
                runs[onednn].append(grade(Path(tmp), spec, args.data, onednn))
    print(f"{'oneDNN':<7} {'submission':<12} {'accuracies':<22} {'identical':<10} train s (mean)")
    for onednn, repeats in runs.items():
        for name in sorted(repeats[0]):
            rs = [r[name] for r in repeats]
            accs = " ".join(f"{r['accuracy']:.4f}" for r in rs)
            same = len({r["prediction_hash"] for r in rs}) == 1
            train = statistics.fmean(r["timings"]["trainer_train_s"] for r in rs)
            setting = "on" if onednn == "1" else "off"
            print(f"{setting:<7} {name:<12} {accs:<22} {str(same):<10} {train:.1f}")


if __name__ == "__main__":
    main()
