"""Grading submissions end to end: collect -> run in the sandbox -> check -> score ->
write. Each result is written the moment it is known; a failing submission never stops
the batch."""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from grader import __version__, data, diagnose, results, run, sandbox, scoring
from grader.assignment import Assignment
from grader.collect import Submission
from grader.verdict import FAILURE_KINDS, Problem


@dataclass(frozen=True)
class Context:
    assignment: Assignment
    data: data.GradingData
    scratch: Path  # the batch's private folder: sandbox data and run dirs
    out: Path

    @property
    def data_dir(self) -> Path:
        return self.scratch / "data"


@contextmanager
def context(assignment: Assignment, data_arg: str | None, out: Path) -> Iterator[Context]:
    """Load the data once per batch and lay out what every sandbox shares."""
    budget = assignment.spec.budget
    grading = data.for_budget(data.load(data_arg), budget.train_images, budget.test_images)
    scratch = Path(tempfile.mkdtemp(prefix="grader-"))
    try:
        ctx = Context(assignment, grading, scratch, out)
        data.write_for_sandbox(grading, ctx.data_dir)
        yield ctx
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def cache_key(sub: Submission, ctx: Context) -> str:
    parts = [sub.digest, sub.kind, ctx.assignment.sha256, ctx.data.fingerprint, __version__]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _exit_text(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def _failure(ran: run.RunOutput, assignment: Assignment) -> Problem | None:
    limits = assignment.spec.limits
    if ran.exit.timed_out:
        return Problem(
            "timeout",
            f"stopped at the wall-time limit of {limits.wall_time_s:g} s",
            "the grader trains your model itself for a fixed budget: remove long "
            "loops, hyper-parameter searches and waits from your code.",
        )
    if ran.exit.memory_exceeded:
        return Problem(
            "memory",
            f"stopped at the memory limit of {limits.memory_mb} MB",
            "use a smaller model (fewer filters or dense units) and do not resize "
            "or copy the whole data set.",
        )
    if ran.malformed:
        return Problem(
            "crashed",
            ran.malformed,
            "the submission changed or removed the "
            "grader's files; do not write files outside your own.",
        )
    if ran.outcome is None:
        ended = _exit_text(ran.exit.returncode)
        return Problem(
            "crashed",
            f"the run ended without a result ({ended})",
            "Python itself died: a crash in native code, or the system stopping it; "
            "the end of the output may say why.",
        )
    record = ran.outcome["failure"]
    if record is not None:
        kind = record.get("kind")
        return diagnose.from_record(record, kind if kind in FAILURE_KINDS else None)
    return None


def grade_one(sub: Submission, ctx: Context) -> tuple[dict, str | None]:
    """The result of one submission, and the head and tail of what it printed."""
    started = time.monotonic()
    assignment, budget = ctx.assignment, ctx.assignment.spec.budget
    ran: run.RunOutput | None = None
    failure = sub.problem
    if failure is None:
        ran = run.run(
            sub, assignment, ctx.data_dir, ctx.scratch / "runs" / sub.id, len(ctx.data.test.labels)
        )
        failure = _failure(ran, assignment)
        shutil.rmtree(ctx.scratch / "runs" / sub.id, ignore_errors=True)
    outcome = (ran.outcome if ran else None) or {}
    acc = None
    if failure is None:
        acc = round(scoring.accuracy(ran.predictions, ctx.data.test.labels), 4)
    checks = scoring.rubric(
        assignment, failure.message if failure else None, outcome.get("architecture"), acc
    )
    score = scoring.total(checks)
    errors = [*sub.notes, *(diagnose.from_record(e) for e in outcome.get("errors", []))]
    result = {
        "submission": sub.id,
        "status": "failed" if failure else "graded",
        "score": score,
        "max_score": assignment.max_score,
        "passed": score >= assignment.spec.pass_mark * assignment.max_score,
        "pass_mark": round(assignment.spec.pass_mark * assignment.max_score, 2),
        "accuracy": acc,
        "checks": [c.to_json() for c in checks],
        "failure": failure.to_json() if failure else None,
        "errors": [e.to_json() for e in errors],
        "duration_s": round(time.monotonic() - started, 3),
        "model_source": outcome.get("model_source"),
        "inferred": outcome.get("inferred", []),
        "source": str(sub.origin),
        "kind": sub.kind,
        "sandbox": {"level": sandbox.LEVEL},
        "seed": budget.seed,
        "threads": budget.threads,
        "budget": vars(budget),
        "data": {
            "source": ctx.data.source,
            "fingerprint": ctx.data.fingerprint,
            "train_images": len(ctx.data.train.labels),
            "test_images": len(ctx.data.test.labels),
        },
        "architecture": outcome.get("architecture"),
        "history": outcome.get("history"),
        "timings": outcome.get("timings", {}),
        "versions": outcome.get("versions", {}),
        "memory_peak_mb": ran.exit.peak_rss_mb if ran else None,
        "assignment": assignment.spec.name,
        "grader_version": __version__,
        "cache_key": cache_key(sub, ctx),
    }
    return result, ran.output if ran else None


OnResult = Callable[[dict, bool], None]


def grade_all(
    subs: list[Submission], ctx: Context, force: bool, jobs: int, on_result: OnResult
) -> int:
    """Grade every submission, writing each result at once; return the grader's own faults."""
    todo = []
    for sub in subs:
        reuse = not force and sub.problem is None  # a verdict without a run costs nothing
        stored = results.reusable(ctx.out, sub.id, cache_key(sub, ctx)) if reuse else None
        if stored is not None:
            on_result(stored, True)
        else:
            todo.append(sub)
    faults = 0
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(grade_one, sub, ctx): sub for sub in todo}
        for future in as_completed(futures):
            try:
                result, output = future.result()
            except Exception:  # a bug of ours: say so, keep going, exit 1 at the end
                faults += 1
                print(
                    f"grader: internal error while grading {futures[future].id}:\n"
                    f"{traceback.format_exc()}",
                    file=sys.stderr,
                )
                continue
            results.save(ctx.out, result, output)
            results.write_gradebook(ctx.out)
            on_result(result, False)
    if not todo:
        results.write_gradebook(ctx.out)
    return faults
