"""Calibration: what "accurate enough" means, measured rather than guessed.

The reference solution(s) are trained through the very path students' submissions take,
for several seeds; the accuracy threshold is derived from those runs. A calibration holds
only for the data, budget, reference and library versions it was measured with (its
*key*), so grading looks one up by that key and names what differs when none matches.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import platform
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from grader import __version__
from grader.assignment import Assignment
from grader.data import GradingData
from grader.errors import UsageError
from grader.judging.scoring import Scale, scale_from
from grader.reporting import results
from grader.runner import machine
from grader.spec_types import GRADABLE, AccuracyScale, Budget

FOLDER = "calibrations"  # beside the reference solutions
KEYED_LIBRARIES = ("tensorflow", "keras")  # a calibration holds only for these versions


def solutions(assignment: Assignment) -> list[Path]:
    """The reference solutions: each ``.py`` or ``.ipynb`` in the reference folder."""
    folder = assignment.reference_dir
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in GRADABLE and p.is_file())


def key(assignment: Assignment, budget: Budget, data: GradingData) -> dict:
    """Everything a calibration's accuracies depend on. Seeds are not part of it: they
    are what a calibration varies."""
    return {
        "assignment": assignment.spec.name,
        "budget": {k: v for k, v in asdict(budget).items() if k != "seed"},
        "data_fingerprint": data.fingerprint,
        "reference": {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in solutions(assignment)
        },
        "grader": __version__,
        **{name: machine.library_versions()[name] for name in KEYED_LIBRARIES},
    }


def key_id(k: dict) -> str:
    return hashlib.sha256(json.dumps(k, sort_keys=True).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Calibration:
    """One calibration file: its key, provenance and the reference's runs."""

    path: Path
    content: dict

    @property
    def machine(self) -> dict | None:
        """The fingerprint of the machine it was measured on (None: not recorded)."""
        return self.content.get("machine")

    def machine_differences(self, here: dict) -> list[str]:
        """How ``here`` differs from the machine the reference was measured on."""
        if self.machine is None:
            return ["machine: not recorded in the calibration (made before machines were recorded)"]
        return differences(here, self.machine)

    def other_machine(self, here: dict) -> dict | None:
        """What a grade made on ``here`` says when the calibration's machine differs."""
        diffs = self.machine_differences(here)
        if not diffs:
            return None
        return {
            "calibrated_on": machine.describe(self.machine),
            "graded_on": machine.describe(here),
            "differences": diffs,
            "meaning": (
                "the accuracy threshold was measured on another machine; grades are "
                "reproducible on this machine, and across machines they agree within the "
                f"reference's seed spread (sd {self.summary()['sd']:.3f}); `grader calibrate "
                f"--budget {self.content['provenance']['budget_name']}` makes a calibration "
                "for this machine, which the grader then prefers"
            ),
        }

    @property
    def accuracies(self) -> list[float]:
        return [r["accuracy"] for r in self.content["runs"]]

    @property
    def seeds(self) -> list[int]:
        return sorted({r["seed"] for r in self.content["runs"]})

    def scale(self, spec_scale: AccuracyScale) -> Scale:
        return scale_from(spec_scale, min(self.accuracies))

    def summary(self) -> dict:
        """The distribution of the reference's accuracy over its runs."""
        accs = self.accuracies
        return {
            "runs": len(accs),
            "seeds": self.seeds,
            "mean": round(statistics.fmean(accs), 4),
            "sd": round(statistics.stdev(accs), 4) if len(accs) > 1 else 0.0,
            "lowest": min(accs),
            "highest": max(accs),
        }

    def for_result(self, scale: Scale, accuracy: float | None, here: dict) -> dict:
        """What a result records: the threshold, the margin to it, where it came from and,
        when the grade was made on another machine than the calibration, what differs."""
        margin = None if accuracy is None else round(accuracy - scale.full_at, 4)
        return {
            "file": self.path.name,
            "threshold": scale.full_at,
            "margin": margin,
            "reference": self.summary(),
            "budget": self.content["provenance"]["budget_name"],
            "created": self.content["provenance"]["created"],
            "machine": self.machine,
            "other_machine": self.other_machine(here),
        }


def differences(wanted: dict, found: dict, path: tuple[str, ...] = ()) -> list[str]:
    """Each key that differs, in words: 'tensorflow: 2.21.0 here, 2.20.0 calibrated'."""
    out = []
    for name in sorted(set(wanted) | set(found)):
        here, there = wanted.get(name), found.get(name)
        where = (*path, name)
        if isinstance(here, dict) and isinstance(there, dict) and where != ("reference",):
            out += differences(here, there, where)
        elif here != there:
            out.append(
                f"{'.'.join(where)}: {_show(where, here)} here, {_show(where, there)} calibrated"
            )
    return out


def _show(where: tuple[str, ...], value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    if where == ("data_fingerprint",):
        return f"{str(value)[:12]}… (a hash of the images and labels)"
    if where == ("reference",):
        return ", ".join(f"{n} {h[:8]}" for n, h in sorted(value.items())) or "no solution"
    return str(value)


def _load(path: Path) -> Calibration | None:
    try:
        content = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(content, dict) or not {"key", "provenance", "runs"} <= content.keys():
        return None  # not a calibration file
    return Calibration(path, content)


def _matches(wanted: dict, found: dict) -> bool:
    """Equal keys, except that a reference folder without its solutions (say, shipped to
    Gradescope without them) accepts the calibration made from them."""
    if not wanted["reference"]:
        wanted = {**wanted, "reference": found.get("reference")}
    return wanted == found


def every(assignment: Assignment) -> list[Calibration]:
    """The calibration files beside the reference solutions."""
    folder = assignment.reference_dir / FOLDER
    return [c for c in map(_load, sorted(folder.glob("*.json"))) if c is not None]


@contextlib.contextmanager
def one_maker(assignment: Assignment, waiting: Callable[[], None]) -> Iterator[None]:
    """One grader at a time makes a calibration beside this reference: another, started
    meanwhile (a second batch, a second test worker), waits and then finds the file
    instead of training the reference again. Where the folder cannot take a lock file,
    no lock: writing the calibration there fails with its own message."""
    path = assignment.reference_dir / FOLDER / ".making"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    except OSError:
        yield
        return
    with path.open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            waiting()
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


class NoCalibration(UsageError):
    """No calibration matches; the message names what differs from the nearest one."""


def find(
    assignment: Assignment, budget_name: str, budget: Budget, data: GradingData
) -> Calibration:
    """The calibration made for exactly this key, measured on this machine if one was (else
    on another, which the grade then says), or NoCalibration saying what differs."""
    wanted = key(assignment, budget, data)
    folder = assignment.reference_dir / FOLDER
    candidates = every(assignment)
    matching = [c for c in candidates if _matches(wanted, c.content["key"])]
    if matching:
        here = machine.fingerprint()
        return min(matching, key=lambda c: len(c.machine_differences(here)))
    where = f"budget '{budget_name}' of {assignment.spec.name}"
    if not candidates:
        raise NoCalibration(f"no calibration for {where}: {folder} holds none")
    nearest = min(candidates, key=lambda c: len(differences(wanted, c.content["key"])))
    diffs = differences(wanted, nearest.content["key"])
    raise NoCalibration(
        f"no calibration matches {where}; the nearest, {nearest.path.name}, differs in "
        + "; ".join(diffs)
    )


def write(
    assignment: Assignment,
    budget_name: str,
    budget: Budget,
    data: GradingData,
    runs: list[dict],
    isolation: str,
) -> Calibration:
    """Write the calibration file atomically, named by its budget, key and machine (one
    key's calibrations from several machines live side by side)."""
    k, here = key(assignment, budget, data), machine.fingerprint()
    probe = Calibration(Path(), {"runs": runs})
    scale = probe.scale(assignment.spec.rubric.accuracy)
    worst = min(runs, key=lambda r: r["accuracy"])
    if scale.full_at <= scale.zero_at:
        raise UsageError(
            f"the reference reached only {worst['accuracy']:.4f} with seed {worst['seed']}, "
            f"not above chance ({scale.zero_at:g}) once scaled by {scale.of_reference:g}: "
            f"budget '{budget_name}' is too small to tell models apart; give it more "
            "train_images or epochs"
        )
    content = {
        "key": k,
        "provenance": {
            "budget_name": budget_name,
            "budget": asdict(budget),
            "seeds": probe.seeds,
            "threads": budget.threads,
            "data": {
                "source": data.source,
                "fingerprint": data.fingerprint,
                "train_images": len(data.train.labels),
                "test_images": len(data.test.labels),
            },
            "versions": {
                **{name: k[name] for name in ("grader", *KEYED_LIBRARIES)},
                "python": platform.python_version(),
            },
            "isolation": isolation,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
        "machine": here,
        "distribution": probe.summary(),
        "thresholds": {
            "full_points_at": scale.full_at,
            "zero_points_at": scale.zero_at,
            "rule": f"{scale.of_reference:g} x the lowest reference accuracy "
            f"({scale.reference_lowest:.4f}); linear from chance to there",
        },
        "runs": runs,
    }
    folder = assignment.reference_dir / FOLDER
    name = f"{assignment.spec.name}-{budget_name}-{key_id(k)}-{machine.identity(here)}.json"
    path = folder / name
    try:
        results.write_atomic(path, json.dumps(content, indent=2) + "\n")
    except OSError as exc:
        raise UsageError(f"cannot write the calibration into {folder}: {exc.strerror}") from None
    return Calibration(path, content)
