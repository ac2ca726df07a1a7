"""What went wrong and what to tell the student: the one home for it (trusted side).

Three sources, one ``Problem`` each: a limit of the sandbox ended the run (``from_run``);
the grader's own checks in the sandbox failed, which they report as a stable *code* with
facts (``CODES``: message and hint are written here, never in the sandbox); or the
student's code raised, which ``grader.judging.hints`` explains from Python's and Keras's own
messages. ``UsageError`` (grader/errors.py) is for the person running the grader.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING

from grader.inside import protocol
from grader.judging import hints
from grader.reporting import printed
from grader.reporting.results import LOST
from grader.runner import sandbox
from grader.spec_types import Limits

if TYPE_CHECKING:
    import numpy as np


FAILURE_KINDS = (
    "syntax",
    "error",
    "no_model",
    "timeout",
    "memory",
    "resources",
    "crashed",
    "environment",
    "rejected",
    LOST,  # the machine died under it (a cluster worker), or its sandbox could not start
    "grader",  # the grader's own code failed in the sandbox: not the student's doing
)
GRADER_FAULT_HINT = (
    "nothing to change in your code for this: it is a fault of the grader's, and the "
    "instructor has its traceback in output.txt to report it."
)


@dataclass(frozen=True)
class Problem:
    """One problem: a one-line message, a hint, and where in the submission it happened."""

    kind: str
    message: str
    hint: str
    cell: int | None = None
    line: int | None = None
    excerpt: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Code:
    """A failure the grader's checks report from the sandbox: kind, message, hint."""

    kind: str
    message: str  # str.format'ed with the record's facts
    hint: str


TAMPERED = (
    "the submission changed or removed the grader's files; do not write files outside your own."
)
CODES = {
    "no_model": Code(
        "no_model",
        "no Keras model was found: define build_model() returning a compiled model, or build "
        "and compile one in the notebook",
        "define build_model() returning a compiled keras.Model (see the assignment's template), "
        "and make sure the cells that build your model run without errors.",
    ),
    "empty_model": Code(
        "no_model",
        "the model has no layers: the lines that add them did not run",
        "make the cells that add the layers run without errors.",
    ),
    "model_incomplete": Code(
        "error",
        "the model is missing layers: the line that adds one to it failed (line {line})",
        "make the lines that build your model run without errors, from the first one.",
    ),
    "not_a_model": Code(
        "no_model",
        "build_model() returned {type}, not a keras.Model",
        "end build_model() with `return model`, the compiled keras.Model.",
    ),
    "not_compiled": Code(
        "error",
        "the model is not compiled: call model.compile(optimizer=..., loss=..., "
        "metrics=['accuracy']) before training",
        hints.COMPILE,
    ),
    "wrong_output_units": Code(
        "error",
        "the model outputs {units} values per image, but CIFAR-10 has 10 classes: end with "
        "Dense(10, activation='softmax')",
        "the last layer needs one unit per class: Dense(10, activation='softmax').",
    ),
    "too_many_params": Code(
        "rejected",
        "the model has {params:,} parameters, more than the {max_params:,} allowed",
        hints.TOO_BIG,
    ),
    "over_param_limit": Code(
        "rejected",
        "the model has {params:,} parameters, more than the {limit:,} the grader can train "
        "(its parameter limit)",
        hints.TOO_BIG,
    ),
    "resized_for_fit": Code(
        "error",
        "fit() got images of shape {shape}, not (32, 32, 3): the grader cannot repeat that "
        "preprocessing on the test images",
        "resize inside the model (keras.layers.Resizing), or define preprocess(images).",
    ),
    "preprocess_count": Code(
        "error",
        "preprocess() changed the number of images",
        "preprocess(images) must return one processed image per image it is given.",
    ),
    "off_task_data": Code(
        "rejected",
        "the code loads {dataset}, not CIFAR-10: this assignment is graded on CIFAR-10",
        hints.OFF_TASK,
    ),
    "called_exit": Code(
        "error",
        "the code called exit(); the grader went on",
        "remove exit() and sys.exit() from the code you hand in: a notebook runs to its end.",
    ),
    "export_unreadable": Code("crashed", "the exported model could not be read", TAMPERED),
}

# TensorFlow's out-of-memory message: the tensor's shape, its type, and the operation.
_OOM = re.compile(r"OOM when allocating tensor with shape\[([\d,]+)\] and type (\w+).*\[Op:(\w+)\]")
_BYTES = {"float": 4, "double": 8, "half": 2, "int32": 4, "int64": 8, "uint8": 1, "bool": 1}
_WEIGHT_OPS = re.compile(r"Random|Initializer|TruncatedNormal|Fill|Zeros|Ones|VarHandle|Assign")
_NATIVE_DEATHS = ("SIGSEGV", "SIGABRT", "SIGBUS", "SIGKILL")
# A native death this near the memory limit ran out of memory. TensorFlow alone takes about
# 1 GB, so half of a 2 GB limit is an ordinary segfault's peak, not a sign.
NEAR_MEMORY_LIMIT = 0.75
FULL_SHARE = 0.9  # of the process limit: a tree seen this full was a fork or thread bomb
# What a process that could not start a thread or process leaves in its output.
_SPAWN_FAILED = re.compile(
    r"Resource temporarily unavailable|pthread_create|can't start new thread"
    r"|Thread creation|fork: retry",
    re.IGNORECASE,
)
# What a process that died of a failed allocation leaves in its output.
_ALLOCATION_FAILED = re.compile(
    r"bad_alloc|Cannot allocate memory|ran out of memory|OOM when allocating|MemoryError"
    r"|failed to allocate",
    re.IGNORECASE,
)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _where(record: dict) -> dict:
    return {
        "cell": _int(record.get("cell")),
        "line": _int(record.get("line")),
        "excerpt": [printed.scrub(str(x))[:300] for x in record.get("excerpt", [])][:12],
    }


def _from_code(record: dict) -> Problem:
    code = CODES.get(str(record.get("code")), CODES["no_model"])
    facts = record.get("facts") if isinstance(record.get("facts"), dict) else {}
    try:
        message = code.message.format(**facts)
    except (KeyError, ValueError, TypeError, IndexError):  # facts that do not fit: no facts
        message = re.sub(r"\{[^}]*\}", "?", code.message)
    return Problem(code.kind, message[:500], code.hint, **_where(record))


def _out_of_memory(message: str, limits: Limits | None, max_params: int | None) -> Problem | None:
    """TensorFlow's OOM, said plainly: a weight too large for the size rule is the model's
    size (rejected, with the count); any other tensor is memory, naming the limit."""
    oom = _OOM.search(message)
    if not oom:
        return None
    shape = [int(n) for n in oom[1].split(",") if n]
    count = math.prod(shape)
    dims = " x ".join(f"{n:,}" for n in shape)
    bound = max_params or (limits.max_params if limits else None)
    if _WEIGHT_OPS.search(oom[3]) and bound is not None and count > bound:
        return Problem(
            "rejected",
            f"the model has at least {count:,} parameters (one weight of {dims} could not even "
            f"be allocated), more than the {bound:,} allowed",
            hints.TOO_BIG,
        )
    size_gb = count * _BYTES.get(oom[2], 4) / 2**30
    limit = f", over the memory limit of {limits.memory_mb} MB" if limits else ""
    return Problem(
        "memory",
        f"out of memory: a tensor of {dims} ({oom[2]}, {size_gb:.1f} GB){limit}",
        hints.LIMIT_HINTS["memory"],
    )


# A record's suggested import (untrusted: only an import line of plain names is shown).
_IMPORT_LINE = re.compile(r"(?:from [\w.]+ )?import [\w.]+(?: as \w+)?")


def _at(where: dict) -> str | None:
    """ "cell 3, line 2" or "line 2" for a record's {cell, line}, None when it has no line."""
    line, cell = _int(where.get("line")), _int(where.get("cell"))
    if line is None:
        return None
    return f"cell {cell}, line {line}" if cell is not None else f"line {line}"


def _knock_on(record: dict) -> tuple[str, str] | None:
    """For an error an earlier failure caused (a name it left unbound): what to add to the
    message, and the hint."""
    cause = record.get("cause")
    at = _at(cause) if isinstance(cause, dict) else None
    if at is None:
        return None
    return (
        f" (a consequence of the error at {at}, which left it undefined)",
        f"fix the error at {at} first: this one follows from it and goes away with it.",
    )


def from_record(
    record: dict,
    kind: str | None = None,
    limits: Limits | None = None,
    max_params: int | None = None,
    script: bool = False,
) -> Problem:
    """A problem from the sandbox's plain record: a code of the grader's own checks, or an
    exception of the student's code (exception, message, cell, line, excerpt). An error
    caused by a sandbox limit names the limit and its value; one that an earlier failure
    caused says so. ``script``: the hints speak of a script, not a notebook."""
    problem = _problem(record, kind, limits, max_params)
    return replace(problem, hint=hints.for_script(problem.hint)) if script else problem


def _problem(
    record: dict, kind: str | None, limits: Limits | None, max_params: int | None
) -> Problem:
    if record.get("code"):
        return _from_code(record)
    if record.get("kind") == "grader":
        return _grader_fault(record)
    where = _where(record)
    exception = str(record.get("exception", "Error"))
    message = printed.scrub(str(record.get("message", "")))
    failed_line = next((x.split("|", 1)[-1] for x in where["excerpt"] if x.startswith(">")), "")
    oom = _out_of_memory(message, limits, max_params)
    if oom:
        return replace(oom, **where)
    line = f"{exception}: {message}" if exception and message else exception or message
    weights = re.search(hints.MISSING_WEIGHTS, message)
    if weights:  # the file first: the line is cut at 500 characters, and on the terminal
        line = f"pretrained weights {weights[1]} not in the grader's cache, no network ({line})"
    hint = hints.hint_for(exception, message, failed_line)
    kind = kind or hints.kind_for(exception, message)
    resource = hints.resource_limit(message)
    if resource and limits is not None:
        line = f"{line} (reached {resource[1](limits)})"
        hint = hints.LIMIT_HINTS[resource[2]]
    elif kind == "memory" and limits is not None:
        line = f"{line} (the memory limit is {limits.memory_mb} MB)"
    suggested = record.get("import")
    if isinstance(suggested, str) and _IMPORT_LINE.fullmatch(suggested):
        name = record.get("missing_name")
        hint = f"`{name}` is never imported or defined in your code: import it: `{suggested}`."
    knock_on = _knock_on(record)
    if knock_on:
        line, hint = line[: 500 - len(knock_on[0])] + knock_on[0], knock_on[1]
    return Problem(kind=kind, message=line[:500], hint=hint, **where)


def _grader_fault(record: dict) -> Problem:
    """The grader's own code failed in the sandbox: said as the grader's, with where."""
    step, at = str(record.get("step") or "grading"), str(record.get("at") or "")
    error = printed.scrub(f"{record.get('exception', 'Error')}: {record.get('message', '')}")
    where = f" at {at}" if at else ""
    message = f"the grader failed while {step} ({error}{where}): not your code's doing"
    return Problem("grader", message[:500], GRADER_FAULT_HINT)


def _lost(ran: sandbox.RunOutput) -> Problem:
    """The sandbox lost the run (the kernel would not confine it, or its warm parent ended
    under it): no verdict on the code; the next run grades it again."""
    said = next((line for line in ran.output.splitlines() if line.startswith("grader: warm")), "")
    why = f"{ran.exit.lost}: {printed.scrub(said)[:300]}" if said else ran.exit.lost
    return Problem(
        LOST,
        f"the grader's sandbox lost this run ({why}); this is not a verdict on your code",
        "nothing to change in your code: it will be graded again when the grader runs again "
        "(the instructor can choose --sandbox bubblewrap)",
    )


def _limit(ran: sandbox.RunOutput, limits: Limits) -> Problem | None:
    """A watchdog or a kernel limit ended the run: name the limit and its value."""
    by_breach = {
        sandbox.CODE_TIME: (
            "timeout",
            f"your code was stopped at the limit of {limits.code_time_s:g} s for running it "
            "(the grader trains your model itself, afterwards)",
            "timeout",
        ),
        "timeout": (
            "timeout",
            f"stopped at the wall-time limit of {limits.wall_time_s:g} s",
            "timeout",
        ),
        "memory": ("memory", f"stopped at the memory limit of {limits.memory_mb} MB", "memory"),
        "processes": (
            "resources",
            f"stopped at the limit of {limits.processes} processes and threads",
            "processes",
        ),
        "disk": ("resources", "stopped for writing too much into the grader's folders", "disk"),
    }
    by_signal = {
        "SIGXCPU": (
            "resources",
            f"stopped at the CPU-time limit of {limits.cpu_time_s:g} s",
            "timeout",
        ),
        "SIGXFSZ": (
            "resources",
            f"stopped at the file-size limit of {limits.file_size_mb} MB",
            "disk",
        ),
    }
    if ran.outcome is None and _died_allocating(ran, limits):  # memory first: a thread
        by_signal[ran.exit.signal] = (  # cannot start without memory either
            "memory",
            f"your code died ({ran.exit.signal}) when memory ran out at the memory limit of "
            f"{limits.memory_mb} MB",
            "memory",
        )
    elif ran.outcome is None and _died_spawning(ran):
        by_signal[ran.exit.signal] = by_breach["processes"]
    found = by_breach.get(ran.exit.breach) or by_signal.get(ran.exit.signal)
    if found is None:
        return None
    if _filled(ran, limits) and found[0] == "timeout":
        # a fork or thread bomb kept the process table full until it stopped
        found = (
            "resources",
            _filled_and(limits, f"was {found[1].removeprefix('your code was ')}"),
            "processes",
        )
    kind, message, hint = found
    problem = Problem(kind, message, hints.LIMIT_HINTS[hint])
    if ran.running and "line" in ran.running:  # the cell and line running when it stopped
        where = ran.running
        at = (
            f"cell {where['cell']}, line {where['line']}"
            if where["cell"]
            else f"line {where['line']}"
        )
        where = {k: where[k] for k in ("cell", "line", "excerpt")}
        problem = replace(problem, message=f"{message}, while running {at}", **where)
    return problem


def _filled(ran: sandbox.RunOutput, limits: Limits) -> bool:
    """The run's tree was seen this full of processes and threads: a fork or thread bomb."""
    return ran.exit.peak_tasks >= FULL_SHARE * limits.processes


def _filled_and(limits: Limits, then: str) -> str:
    return f"your code filled the limit of {limits.processes} processes and threads, and {then}"


def _died_spawning(ran: sandbox.RunOutput) -> bool:
    """A process that could not start a thread (its code filled the process limit: a fork
    or thread bomb) dies in native code by a signal; its output says why."""
    return ran.exit.signal in _NATIVE_DEATHS and bool(_SPAWN_FAILED.search(ran.output[-4000:]))


def _died_allocating(ran: sandbox.RunOutput, limits: Limits) -> bool:
    """Native code that cannot allocate (a whole data set resized at once) often dies by
    a signal instead of raising MemoryError: its output, or its size, says so."""
    if ran.exit.signal not in _NATIVE_DEATHS:
        return False
    return bool(_ALLOCATION_FAILED.search(ran.output[-4000:])) or (
        ran.exit.peak_rss_mb >= NEAR_MEMORY_LIMIT * limits.memory_mb
    )


def _diverged_epoch(outcome: dict) -> int | None:
    """The first epoch of the grader's training whose loss was NaN or infinite (stored as
    null), or None."""
    curves = (outcome.get("history") or {}).get("curves") or {}
    losses = curves.get("loss") if isinstance(curves, dict) else None
    if not isinstance(losses, list):
        return None
    return next((i + 1 for i, v in enumerate(losses) if not isinstance(v, (int, float))), None)


def _divergence_cause(outcome: dict) -> str:
    """The likely cause of a diverged training, from what the model was fed and given."""
    span = outcome.get("input_range")
    top = max(abs(v) for v in span) if isinstance(span, list) and span else None
    rate = (outcome.get("architecture") or {}).get("learning_rate")
    if isinstance(top, (int, float)) and top > 10:
        return (
            f"the inputs are not scaled (values up to {top:.0f}): divide the images by 255, "
            "or scale them inside the model with layers.Rescaling(1 / 255)"
        )
    if isinstance(rate, (int, float)) and rate >= 0.05:
        return f"the learning rate {rate:g} is too high: try 0.001 with Adam, or 0.01 with SGD"
    return "lower the learning rate, and check the inputs are scaled to 0-1"


def implausible(
    outcome: dict, predictions: np.ndarray, accuracy: float, classes: int
) -> Problem | None:
    """A measurement that cannot be a fair grade: training that diverged (a NaN or infinite
    loss or prediction), or an accuracy so far below chance that it is no accident (four
    standard errors of chance on this many test images: the model is wrong in a
    systematic way, never graded silently)."""
    epoch = _diverged_epoch(outcome)
    if epoch is not None or not math.isfinite(float(predictions.sum())):
        when = f"in epoch {epoch} " if epoch else ""
        cause = _divergence_cause(outcome)
        return Problem(
            "error",
            f"training diverged: the loss became NaN or infinite {when}of the grader's "
            f"training, so the model predicts nothing; likely cause: {cause}",
            f"{cause}; then train it once yourself and watch the loss go down.",
        )
    chance = 1 / classes
    floor = chance - 4 * math.sqrt(chance * (1 - chance) / len(predictions))
    if accuracy < floor:
        return Problem(
            "error",
            f"accuracy {accuracy:.3f} is far below chance ({chance:.2f} for {classes} "
            f"classes; {floor:.3f} is the least an untrained model reaches on "
            f"{len(predictions)} test images): its predictions are wrong in a systematic way",
            "check that the labels match the loss (class numbers or one-hot) and that the "
            "images are prepared the same way everywhere; if your own training looks right, "
            "ask your instructor to look at this run.",
        )
    return None


def _after_failure(ended: Problem, ran: sandbox.RunOutput, limits: Limits, script: bool) -> Problem:
    """A run that died after its code had already failed for lack of memory or another
    resource (a script goes on after an out-of-memory line, and dies later; a fork bomb
    fills the process limit, then runs into a time limit): that first failure is the
    headline, and how the run ended follows it."""
    if ran.outcome is not None or not ran.running:
        return ended
    # A time limit ends a fork bomb whose forks failed in its children: their process-limit
    # errors say what it was. Out of memory long before a hang is a problem of its own.
    causes = ("resources",) if ended.kind == "timeout" else ("memory", "resources", "rejected")
    for record in ran.running.get("errors", []):
        first = from_record(record, limits=limits, script=script)
        if first.kind in causes:
            then = f"; the code went on, and the run then ended: {ended.message}"
            return replace(first, message=first.message[: 500 - len(then)] + then)
    return ended


def from_run(
    ran: sandbox.RunOutput, limits: Limits, max_params: int | None = None, script: bool = False
) -> Problem | None:
    """Why a run ended without a grade, or None when it ended well."""
    if ran.exit.lost:
        return _lost(ran)
    limited = _limit(ran, limits)
    if limited:
        return _after_failure(limited, ran, limits, script)
    if ran.malformed:
        return Problem("crashed", ran.malformed, TAMPERED)
    if ran.outcome is None:
        code = ran.exit.returncode
        ended = f"killed by {ran.exit.signal}" if ran.exit.signal else f"exit status {code}"
        who = "your code" if ran.stage == protocol.STUDENT else "the training of your model"
        crashed = Problem(
            "crashed",
            f"{who} ended without a result ({ended})",
            "Python itself died: a crash in native code, or the system stopping "
            "it; the end of the output may say why.",
        )
        if _filled(ran, limits):  # a fork or thread bomb
            crashed = Problem(
                "resources",
                _filled_and(limits, f"the run ended without a result ({ended})"),
                hints.LIMIT_HINTS["processes"],
            )
        return _after_failure(crashed, ran, limits, script)
    record = ran.outcome["failure"]
    if record is None:
        return None
    kind = record.get("kind")
    kind = kind if kind in FAILURE_KINDS else None
    return from_record(record, kind, limits, max_params, script)
