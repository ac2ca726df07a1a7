"""The assignment spec (``assignment.toml``): budget, limits, rules and rubric.

An instructor changes grading by editing the spec alone, so every key is
validated here and a typo is an error that names the key.
"""

from __future__ import annotations

import hashlib
import sys
import types
import typing
from dataclasses import MISSING, dataclass, fields, is_dataclass
from pathlib import Path

from grader.errors import UsageError
from grader.judging import checks
from grader.spec_types import (
    COMPATIBILITY_MODES,
    CURRENT_API,
    GRADABLE,
    OVERALL,
    STANDARD,
    VISIBILITY,
    Spec,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SPEC_NAME = "assignment.toml"
PROJECT_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Assignment:
    """A loaded spec with where it came from (its hash keys the result cache)."""

    spec: Spec
    directory: Path
    sha256: str

    @property
    def reference_dir(self) -> Path:
        """Where the reference solutions and their calibrations live."""
        if self.spec.reference is not None:
            return (self.directory / self.spec.reference).resolve()
        return PROJECT_ROOT / "reference" / self.spec.name

    @property
    def max_score(self) -> float:
        r = self.spec.rubric
        rules = sum(rule.points for rule in self.spec.rules)
        return r.runs + r.current_api + r.accuracy.points + rules


def locate(name_or_path: str) -> Path:
    """Find the spec file for a bundled assignment name or a path."""
    given = Path(name_or_path)
    candidates = [
        given,
        Path.cwd() / "assignments" / name_or_path,
        PROJECT_ROOT / "assignments" / name_or_path,
    ]
    for c in candidates:
        if c.is_dir() and (c / SPEC_NAME).is_file():
            return c / SPEC_NAME
        if c.is_file():
            return c
    raise UsageError(
        f"assignment '{name_or_path}' not found (looked for {SPEC_NAME} in "
        f"{', '.join(str(c) for c in candidates)})"
    )


def load(name_or_path: str) -> Assignment:
    path = locate(name_or_path)
    raw = path.read_bytes()
    try:
        table = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None
    spec = _from_table(Spec, _with_full_budgets(table, path.name), path.name)
    checks.validate(spec.rules, path.name)
    if not 0 < spec.pass_mark <= 1:
        raise UsageError(f"{path.name}: pass_mark must be a fraction in (0, 1]")
    spec.budget_named(spec.check_budget)  # names the budgets when check_budget is unknown
    if spec.uncertainty.max_seeds < 1 or spec.uncertainty.band_sd < 0:
        raise UsageError(f"{path.name}: uncertainty: max_seeds must be >= 1 and band_sd >= 0")
    _validate_files(spec.submission_files, path.name)
    _validate_visibility(spec, path.name)
    if spec.compatibility.mode not in COMPATIBILITY_MODES:
        raise UsageError(
            f"{path.name}: compatibility.mode: '{spec.compatibility.mode}' is not one of "
            + ", ".join(COMPATIBILITY_MODES)
        )
    loaded = Assignment(spec, path.parent.resolve(), hashlib.sha256(raw).hexdigest())
    _validate_caps(loaded, path.name)
    return loaded


def _validate_files(patterns: tuple[str, ...], where: str) -> None:
    """Every pattern names something the grader can run."""
    if not patterns:
        raise UsageError(f"{where}: submission_files: list at least one pattern")
    for pattern in patterns:
        if not pattern.lower().endswith(GRADABLE):
            raise UsageError(f"{where}: submission_files: '{pattern}' must end in .ipynb or .py")


def _validate_visibility(spec: Spec, where: str) -> None:
    """Keys name the rubric's items (or "overall"); values are Gradescope's."""
    items = [OVERALL, "runs", CURRENT_API, "accuracy", *(r.name for r in spec.rules)]
    for key, value in spec.visibility.items():
        if key not in items:
            raise UsageError(f"{where}: visibility.{key}: not a rubric item ({', '.join(items)})")
        if value not in VISIBILITY:
            raise UsageError(
                f"{where}: visibility.{key}: '{value}' is not one of {', '.join(VISIBILITY)}"
            )


def _validate_caps(loaded: Assignment, where: str) -> None:
    """A cap belongs to a required rule and lies within the rubric's points."""
    for i, rule in enumerate(loaded.spec.rules):
        if rule.cap is None:
            continue
        if not rule.required:
            raise UsageError(f"{where}: rules[{i}].cap: only a required rule can cap the score")
        if not 0 <= rule.cap <= loaded.max_score:
            raise UsageError(
                f"{where}: rules[{i}].cap: must be between 0 and the rubric's "
                f"{loaded.max_score:g} points, got {rule.cap:g}"
            )


def _with_full_budgets(table: dict, where: str) -> dict:
    """A named budget lists only what differs from ``[budget]``: fill in the rest."""
    named = table.get("budgets", {})
    if not isinstance(named, dict) or not all(isinstance(v, dict) for v in named.values()):
        raise UsageError(f"{where}.budgets: expected tables of budget keys")
    if STANDARD in named:
        raise UsageError(f"{where}.budgets: '{STANDARD}' is the name of [budget] itself")
    base = table.get("budget", {})
    return {**table, "budgets": {name: {**base, **over} for name, over in named.items()}}


def _from_table(cls: type, table: object, where: str):
    """Build dataclass ``cls`` from a TOML table, naming any unknown or mistyped key."""
    if not isinstance(table, dict):
        raise UsageError(f"{where}: expected a table")
    known = [f.name for f in fields(cls)]
    for key in table:
        if key not in known:
            raise UsageError(f"{where}: unknown key '{key}' (known: {', '.join(known)})")
    hints = typing.get_type_hints(cls)
    values = {}
    for f in fields(cls):
        if f.name in table:
            values[f.name] = _convert(hints[f.name], table[f.name], f"{where}.{f.name}")
        elif f.default is MISSING:
            raise UsageError(f"{where}: missing key '{f.name}'")
    return cls(**values)


def _convert(tp, value, where: str):
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _convert(options[0], value, where)
    if is_dataclass(tp):
        return _from_table(tp, value, where)
    if origin is dict:
        if not isinstance(value, dict):
            raise UsageError(f"{where}: expected a table")
        item = typing.get_args(tp)[1]
        return {k: _convert(item, v, f"{where}.{k}") for k, v in value.items()}
    if origin is tuple:
        if not isinstance(value, list):
            raise UsageError(f"{where}: expected a list")
        item = typing.get_args(tp)[0]
        return tuple(_convert(item, v, f"{where}[{i}]") for i, v in enumerate(value))
    if tp is object:
        return value
    ok = isinstance(value, tp) and not (isinstance(value, bool) and tp is not bool)
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not ok:
        raise UsageError(f"{where}: expected {tp.__name__}, got {type(value).__name__} {value!r}")
    return value
