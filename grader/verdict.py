"""What went wrong and what to tell the student: the one home for it (trusted side).

Three sources, one ``Problem`` each: a limit of the sandbox ended the run (``from_run``);
the grader's own checks in the sandbox failed, which they report as a stable *code* with
facts (``CODES``: message and hint are written here, never in the sandbox); or the
student's code raised, which ``grader.hints`` explains from Python's and Keras's own
messages. ``UsageError`` (grader/errors.py) is for the person running the grader.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING

from grader import hints, printed, sandbox
from grader.assignment import Limits
from grader.inside import protocol

if TYPE_CHECKING:
    from grader.run import RunOutput

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
    "lost",  # the grading machine died under it (a cluster worker): not the student's doing
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
    if _WEIGHT_OPS.search(oom[3]) and max_params is not None and count > max_params:
        return Problem(
            "rejected",
            f"the model has at least {count:,} parameters (one weight of {dims} could not even "
            f"be allocated), more than the {max_params:,} allowed",
            hints.TOO_BIG,
        )
    size_gb = count * _BYTES.get(oom[2], 4) / 2**30
    limit = f", over the memory limit of {limits.memory_mb} MB" if limits else ""
    return Problem(
        "memory",
        f"out of memory: a tensor of {dims} ({oom[2]}, {size_gb:.1f} GB){limit}",
        hints.LIMIT_HINTS["memory"],
    )


def from_record(
    record: dict,
    kind: str | None = None,
    limits: Limits | None = None,
    max_params: int | None = None,
) -> Problem:
    """A problem from the sandbox's plain record: a code of the grader's own checks, or an
    exception of the student's code (exception, message, cell, line, excerpt). An error
    caused by a sandbox limit names the limit and its value."""
    if record.get("code"):
        return _from_code(record)
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
    return Problem(kind=kind, message=line[:500], hint=hint, **where)


def _limit(ran: RunOutput, limits: Limits) -> Problem | None:
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
    if ran.outcome is None and _died_allocating(ran, limits):
        by_signal[ran.exit.signal] = (
            "memory",
            f"your code died ({ran.exit.signal}) when memory ran out at the memory limit of "
            f"{limits.memory_mb} MB",
            "memory",
        )
    found = by_breach.get(ran.exit.breach) or by_signal.get(ran.exit.signal)
    if found is None:
        return None
    kind, message, hint = found
    problem = Problem(kind, message, hints.LIMIT_HINTS[hint])
    if ran.running:  # the cell and line that was running when it was stopped
        where = ran.running
        at = (
            f"cell {where['cell']}, line {where['line']}"
            if where["cell"]
            else f"line {where['line']}"
        )
        problem = replace(problem, message=f"{message}, while running {at}", **where)
    return problem


def _died_allocating(ran: RunOutput, limits: Limits) -> bool:
    """Native code that cannot allocate (a whole data set resized at once) often dies by
    a signal instead of raising MemoryError: its output, or its size, says so."""
    if ran.exit.signal not in ("SIGSEGV", "SIGABRT", "SIGBUS", "SIGKILL"):
        return False
    return bool(_ALLOCATION_FAILED.search(ran.output[-4000:])) or (
        ran.exit.peak_rss_mb >= 0.5 * limits.memory_mb
    )


def from_run(ran: RunOutput, limits: Limits, max_params: int | None = None) -> Problem | None:
    """Why a run ended without a grade, or None when it ended well."""
    limited = _limit(ran, limits)
    if limited:
        return limited
    if ran.malformed:
        return Problem("crashed", ran.malformed, TAMPERED)
    if ran.outcome is None:
        code = ran.exit.returncode
        ended = f"killed by {ran.exit.signal}" if ran.exit.signal else f"exit status {code}"
        who = "your code" if ran.stage == protocol.STUDENT else "the training of your model"
        return Problem(
            "crashed",
            f"{who} ended without a result ({ended})",
            "Python itself died: a crash in native code, or the system stopping "
            "it; the end of the output may say why.",
        )
    record = ran.outcome["failure"]
    if record is None:
        return None
    kind = record.get("kind")
    return from_record(record, kind if kind in FAILURE_KINDS else None, limits, max_params)
