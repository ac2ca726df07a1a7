"""The assignment spec (``assignment.toml``): budget, limits, rules and rubric.

An instructor changes grading by editing the spec alone, so every key is
validated here and a typo is an error that names the key.
"""

from __future__ import annotations

import hashlib
import sys
import types
import typing
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from pathlib import Path

from grader import checks
from grader.errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SPEC_NAME = "assignment.toml"
GRADABLE = (".ipynb", ".py")  # what the grader can run: notebooks and modules
SUBMISSION_FILES = ("*.ipynb", "*.py")  # the default: which file of a folder is graded
VISIBILITY = ("visible", "hidden", "after_due_date", "after_published")  # Gradescope's words
OVERALL = "overall"  # the [visibility] key for the whole result
CURRENT_API = "current_api"  # the rubric item lost to the compatibility layer's translations
STANDARD = "standard"  # the name of the spec's [budget]: what `grader grade` uses
PROJECT_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Budget:
    """How the grader trains every model: the same for all, so grades compare."""

    train_images: int = 5000
    epochs: int = 3
    batch_size: int = 64
    test_images: int = 2000
    seed: int = 1234
    threads: int = 2
    fit_epochs: int = 1  # a fit() in the student's own code is capped to this...
    fit_samples: int = 256  # ...and to this many images


@dataclass(frozen=True)
class Limits:
    """Resource limits of one submission's run (each overridable on the command line)."""

    wall_time_s: float = 900.0  # the whole run, start to end
    code_time_s: float = 180.0  # the submission's own code, before the grader trains
    memory_mb: int = 4096  # heap of each process (RLIMIT_DATA) and its tree's RSS
    cpu_time_s: float = 3600.0  # CPU seconds of each process (RLIMIT_CPU)
    processes: int = 512  # processes and threads (RLIMIT_NPROC; TensorFlow needs ~100)
    file_size_mb: int = 512  # any one file written (RLIMIT_FSIZE)
    disk_mb: int = 512  # the work folder (a size-capped tmpfs)
    tmp_mb: int = 256  # the private /tmp
    output_kept_kb: int = 64  # of stdout and stderr: half from the head, half from the tail
    # Parameters of the model: above it, not trained (the memory and time limits above
    # train about this many at the standard budget); a layer whose weights alone exceed it
    # is refused before they are allocated. The rubric's `size` rule is separate.
    max_params: int = 50_000_000


@dataclass(frozen=True)
class Rule:
    """One architecture rule: a fact about the model compared with a bound."""

    name: str
    fact: str
    points: float
    expect: str
    min: float | None = None
    max: float | None = None
    equals: object = None
    one_of: tuple[str, ...] = ()
    hint: str = ""  # shown when the rule fails: how to fix it
    reject: bool = False  # failing it before training rejects the submission in seconds
    required: bool = False  # failing it means not passing, whatever the score
    cap: float | None = None  # a required rule that fails caps the score at this


@dataclass(frozen=True)
class AccuracyScale:
    """Accuracy points against the calibrated reference: full at or above ``of_reference``
    times the lowest accuracy the reference reached over its seeds, zero at ``zero_at``
    (chance), linear between."""

    points: float
    of_reference: float = 0.9
    zero_at: float = 0.1


@dataclass(frozen=True)
class Uncertainty:
    """Brief training is noisy: how many seeds a standard grade near a threshold gets, and
    how wide "near" is, in standard errors of the reference's seed-to-seed spread."""

    max_seeds: int = 5  # 1: every grade on the budget's seed alone
    band_sd: float = 2.0


@dataclass(frozen=True)
class Rubric:
    runs: float
    accuracy: AccuracyScale
    # lost when the code ran only through the compatibility layer's translations (README,
    # "Old Keras, NumPy and SciPy code"); 0 keeps the item as feedback only
    current_api: float = 0.0


COMPATIBILITY_MODES = ("translate", "strict")


@dataclass(frozen=True)
class Compatibility:
    """Old Keras 1/2, NumPy 1, SciPy and matplotlib code: translated and graded, or run as
    written (strict: it fails where today's APIs differ)."""

    mode: str = "translate"


@dataclass(frozen=True)
class Spec:
    name: str
    title: str
    pass_mark: float
    rubric: Rubric
    budget: Budget = Budget()
    limits: Limits = Limits()
    rules: tuple[Rule, ...] = ()
    template: str | None = None
    budgets: dict[str, Budget] = field(default_factory=dict)  # named variants of `budget`
    check_budget: str = STANDARD  # the budget `grader check` uses unless told otherwise
    reference: str | None = None  # folder of reference solutions, relative to the spec
    model_variable: str | None = None  # the notebook variable holding the model to grade
    uncertainty: Uncertainty = Uncertainty()
    compatibility: Compatibility = Compatibility()
    # which file of a student's folder or zip is graded: globs, most preferred first
    submission_files: tuple[str, ...] = SUBMISSION_FILES
    # when students see each rubric item (by name) and the whole result ("overall"), in
    # Gradescope and JUnit: one of VISIBILITY; unnamed items follow "overall"
    visibility: dict[str, str] = field(default_factory=dict)

    def visibility_of(self, item: str) -> str:
        """An item's own setting, else the overall one, else visible at once."""
        return self.visibility.get(item, self.visibility.get(OVERALL, VISIBILITY[0]))

    def budget_named(self, name: str) -> Budget:
        """``standard`` is ``[budget]``; the others are ``[budgets.NAME]``."""
        if name == STANDARD:
            return self.budget
        if name not in self.budgets:
            known = ", ".join([STANDARD, *self.budgets])
            raise UsageError(f"{self.name} has no budget '{name}' (known: {known})")
        return self.budgets[name]


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
