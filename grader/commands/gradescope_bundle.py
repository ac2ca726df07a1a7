"""``grader gradescope-bundle``: the zip Gradescope wants for an autograder: setup.sh,
run_autograder, the assignment, its reference folder (solutions and calibrations, laid
out as in this project so the spec's relative path holds) and the grader's source."""

from __future__ import annotations

import zipfile
from pathlib import Path

from grader import assignment
from grader.assignment import PROJECT_ROOT
from grader.calibration import store
from grader.errors import UsageError
from grader.runner import machine

RECIPE = ("setup.sh", "run_autograder")
SOURCE = ("pyproject.toml", "README.md", "grader")


def _files(folder: Path):
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            yield path


def run(args) -> int:
    task = assignment.load(args.assignment)
    recipe = task.directory / "gradescope"
    missing = [name for name in RECIPE if not (recipe / name).is_file()]
    if missing:
        raise UsageError(f"{recipe}: missing {', '.join(missing)}")
    if task.reference_dir != (task.directory / f"../../reference/{task.spec.name}").resolve():
        raise UsageError(
            f"the bundle lays the reference out as reference/{task.spec.name} beside "
            f'assignments/{task.spec.name}: set reference = "../../reference/{task.spec.name}"'
        )
    out = Path(args.output)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name in RECIPE:
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16  # executable, as Gradescope runs them
            bundle.writestr(info, (recipe / name).read_bytes())
        for path in _files(task.directory):
            if recipe not in path.parents:
                bundle.write(
                    path, f"assignments/{task.spec.name}/{path.relative_to(task.directory)}"
                )
        for path in _files(task.reference_dir):
            bundle.write(path, f"reference/{task.spec.name}/{path.relative_to(task.reference_dir)}")
        for name in SOURCE:
            source = PROJECT_ROOT / name
            for path in [source] if source.is_file() else _files(source):
                bundle.write(path, f"grader/{path.relative_to(PROJECT_ROOT)}")
    print(f"wrote {out}: upload it as the Gradescope autograder")
    for found in store.every(task):
        budget, where = found.content["provenance"]["budget_name"], found.machine
        print(f"  calibration '{budget}': {found.path.name}, measured on {machine.describe(where)}")
    print(
        "  Gradescope's machines may have another CPU: each results.json names the calibration "
        "it used and what differs (extra_data); README, 'Machines'"
    )
    return 0
