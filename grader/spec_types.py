"""The spec's data (``assignment.toml`` as typed values): budget, limits, rules, rubric.
Plain frozen dataclasses, so every part of the grader can name them without importing
the loading and checking behind them (``assignment`` loads and validates a spec)."""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.errors import UsageError

GRADABLE = (".ipynb", ".py")  # what the grader can run: notebooks and modules
SUBMISSION_FILES = ("*.ipynb", "*.py")  # the default: which file of a folder is graded
VISIBILITY = ("visible", "hidden", "after_due_date", "after_published")  # Gradescope's words
OVERALL = "overall"  # the [visibility] key for the whole result
CURRENT_API = "current_api"  # the rubric item lost to the compatibility layer's translations
STANDARD = "standard"  # the name of the spec's [budget]: what `grader grade` uses


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
class Leaderboard:
    """A class leaderboard (README, "Leaderboards"), off unless the spec turns it on. A
    share of the hidden test images, fixed by ``seed`` for the term, can be kept private:
    ranked on only with ``grader leaderboard --final``."""

    enabled: bool = False
    names: str = "id"  # "id", or "pseudonym": a random name per submission, kept in the folder
    private_share: float = 0.0  # of the test images; 0: no private split
    seed: int = 2026

    def __post_init__(self) -> None:
        if self.names not in ("id", "pseudonym"):
            raise UsageError(f"leaderboard.names: 'id' or 'pseudonym', not {self.names!r}")
        if not 0 <= self.private_share < 1:
            raise UsageError("leaderboard.private_share: at least 0 and below 1")


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
    leaderboard: Leaderboard = Leaderboard()

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
