"""The reference's accuracy spread over seeds, and the time, for each budget of the spec.

Calibrates a private copy of the reference folder (the bundled calibrations are left
alone) through the real `grader calibrate`, and prints the distribution and the
threshold it gives. Prints figures; asserts nothing.

Usage: python bench/calibration_spread.py [--data DIR] [--seeds K] [--budget NAME ...]
"""

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "assignments" / "cifar10_cnn" / "assignment.toml"
REFERENCE = ROOT / "reference" / "cifar10_cnn"
DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "cifar10-subset"


def private_spec(folder: Path) -> Path:
    """The bundled spec pointing at a copy of the reference solutions."""
    ref = folder / "reference"
    ref.mkdir()
    for path in REFERENCE.iterdir():
        if path.is_file():
            shutil.copy2(path, ref / path.name)
    spec = folder / "assignment.toml"
    text = re.sub(r"(?m)^reference = .*$", f'reference = "{ref}"', SPEC.read_text())
    spec.write_text(text)
    return spec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", nargs="*", default=["standard", "quick"])
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        spec = private_spec(Path(tmp))
        for name in args.budget:
            started = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "grader",
                    "calibrate",
                    "--assignment",
                    str(spec),
                    "--data",
                    args.data,
                    "--budget",
                    name,
                    "--seeds",
                    str(args.seeds),
                ],
                check=True,
                capture_output=True,
                cwd=ROOT,
            )
            wall = time.perf_counter() - started
            (path,) = (Path(tmp) / "reference" / "calibrations").glob(f"*-{name}-*.json")
            rows.append((name, json.loads(path.read_text()), wall))
    print(f"reference accuracy over {args.seeds} seeds, data {args.data}")
    print(
        f"{'budget':<10} {'images':>7} {'epochs':>6} {'mean':>7} {'sd':>7} {'lowest':>7} "
        f"{'highest':>7} {'full at':>7} {'s/run':>6} {'total s':>8}"
    )
    for name, cal, wall in rows:
        b, d = cal["provenance"]["budget"], cal["distribution"]
        per_run = statistics.median(r["seconds"] for r in cal["runs"])
        print(
            f"{name:<10} {b['train_images']:>7} {b['epochs']:>6} {d['mean']:>7.4f} "
            f"{d['sd']:>7.4f} {d['lowest']:>7.4f} {d['highest']:>7.4f} "
            f"{cal['thresholds']['full_points_at']:>7.4f} {per_run:>6.1f} {wall:>8.1f}"
        )
        print(
            f"{'':<10} runs: " + ", ".join(f"{r['seed']}:{r['accuracy']:.4f}" for r in cal["runs"])
        )


if __name__ == "__main__":
    main()
