"""Grading submissions end to end: collect -> run in the sandbox -> check -> score ->
write. Each result is written the moment it is known; a failing submission never stops
the batch."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from grader import __version__, data
from grader.assignment import Assignment
from grader.calibration import relation
from grader.calibration.store import Calibration
from grader.collect import Submission
from grader.errors import GraderFault, UsageError
from grader.inside import protocol
from grader.judging import checks, scoring, uncertainty, verdict
from grader.judging.verdict import Problem
from grader.reporting import notebook, plots, printed, publish, results, terminal
from grader.result_schema import Result
from grader.runner import cluster, machine, pretrained, sandbox, stages
from grader.similarity import model as similar
from grader.spec_types import STANDARD, Limits


@dataclass(frozen=True)
class Context:
    assignment: Assignment
    budget_name: str
    data: data.GradingData
    settings: stages.Settings
    scratch: Path  # the batch's private folder: sandbox data and run dirs
    out: Path | None  # None when nothing is graded (calibration)
    calibration: Calibration | None = None  # set before grading: it scores accuracy
    cluster: cluster.Cluster | None = None  # where runs go; None: this machine

    def with_seed(self, seed: int) -> Context:
        """The same batch trained with another seed (calibration runs several)."""
        budget = replace(self.settings.budget, seed=seed)
        return replace(self, settings=replace(self.settings, budget=budget))


@contextmanager
def context(
    assignment: Assignment,
    budget_name: str,
    data_arg: str | None,
    out: Path | None,
    limits: Limits,
    isolation: sandbox.Isolation,
    weights: Path | None,
    cluster_address: str | None = None,
) -> Iterator[Context]:
    """Load the data once per batch and lay out what every sandbox shares (on a cluster:
    ship it to every worker)."""
    budget = assignment.spec.budget_named(budget_name)
    if not cluster_address:
        sandbox.prepare(isolation, budget.threads)
    grading = data.for_budget(data.load(data_arg), budget.train_images, budget.test_images)
    threading.Thread(target=plots.warm_up, daemon=True).start()
    scratch = Path(tempfile.mkdtemp(prefix="grader-"))
    scratch.chmod(0o755)
    remote = None
    try:
        if cluster_address:
            remote = cluster.Cluster(cluster_address, grading, isolation.requested)
        else:
            data.write_for_sandbox(grading, scratch / "data")
        settings = stages.Settings(
            budget,
            limits,
            isolation,
            scratch / "data",
            len(grading.test.labels),
            max_params=checks.max_params(assignment.spec.rules),
            model_variable=assignment.spec.model_variable,
            weights=weights,
            compatibility=assignment.spec.compatibility.mode,
        )
        yield Context(assignment, budget_name, grading, settings, scratch, out, cluster=remote)
    finally:
        if remote is not None:
            remote.close()
        sandbox.release()
        shutil.rmtree(scratch, ignore_errors=True)


def cache_key(sub: Submission, ctx: Context) -> str:
    parts = [
        sub.digest,
        sub.kind,
        ctx.assignment.sha256,
        ctx.data.fingerprint,
        __version__,
        asdict(ctx.settings.limits),
        asdict(ctx.settings.budget),
        ctx.settings.isolation.level,
        pretrained.listing(ctx.settings.weights),  # weights added since may change the verdict
        ctx.calibration.summary() if ctx.calibration else None,
        machine.fingerprint(),  # a grade made on another kind of CPU may differ in its bits
    ]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _died_after(ran: sandbox.RunOutput | None) -> list[dict]:
    """The errors the code of a run that died had raised before (none left an outcome)."""
    return ((ran and ran.running) or {}).get("errors", [])


def _fed_labels(outcome: dict) -> str | None:
    fed = outcome.get("fed_labels")
    return fed if fed in ("one_hot", "class numbers") else None


def _train_accuracy(outcome: dict) -> float | None:
    """Training accuracy in the last epoch of the grader's training, when it is a number."""
    try:
        value = outcome["history"]["curves"]["accuracy"][-1]
    except (KeyError, IndexError, TypeError):
        return None
    return float(value) if isinstance(value, (int, float)) else None


def _batch_norm(outcome: dict) -> dict | None:
    """What the trainer re-estimated (README, "How a grade is made"), as plain ints."""
    found = outcome.get("batch_norm")
    if not isinstance(found, dict):
        return None
    values = {k: found.get(k) for k in ("layers", "images")}
    return values if all(type(v) is int for v in values.values()) else None


def _notes(outcome: dict, bn: dict | None) -> list[str]:
    """What the grader inferred or did for this model, in the student's terms."""
    notes = list(outcome.get("inferred", []))
    if bn:
        notes.append(
            f"BatchNormalization: the moving mean and variance of {bn['layers']} layer(s) were "
            f"re-estimated from {bn['images']} training images after training, as a longer "
            "training would have settled them; no trained weight changed"
        )
    return notes


@dataclass(frozen=True)
class Measured:
    """What one run in the sandbox showed, before any scoring."""

    failure: Problem | None
    outcome: dict
    accuracy: float | None
    confusion: list[list[int]] | None
    ran: sandbox.RunOutput | None
    seconds: float


def _run(sub: Submission, ctx: Context) -> sandbox.RunOutput:
    """The submission's two stages, on this machine or on a cluster worker."""
    if ctx.cluster is not None:
        return ctx.cluster.run(sub, ctx.settings)
    folder = ctx.scratch / "runs" / sub.id
    try:
        return stages.run(sub, ctx.settings, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def measure(sub: Submission, ctx: Context) -> Measured:
    """Run one submission in the sandbox and measure its accuracy on the kept labels.
    Calibration measures the reference through this same path."""
    started = time.monotonic()
    ran: sandbox.RunOutput | None = None
    failure = sub.problem
    if failure is None:
        try:
            ran = _run(sub, ctx)
        except cluster.MachineLost as lost:
            failure = lost.problem
        else:
            script = sub.kind == "module"
            failure = verdict.from_run(ran, ctx.settings.limits, ctx.settings.max_params, script)
    acc, matrix = None, None
    outcome = (ran.outcome if ran else None) or {}
    if failure is None:
        acc = round(scoring.accuracy(ran.predictions, ctx.data.test.labels), 4)
        failure = verdict.implausible(outcome, ran.predictions, acc, len(protocol.CLASSES))
    if failure is None:
        matrix = scoring.confusion(ran.predictions, ctx.data.test.labels)
    else:
        acc = None
    return Measured(failure, outcome, acc, matrix, ran, time.monotonic() - started)


def _seeded(
    sub: Submission, ctx: Context, first: Measured, found: list, sd: float
) -> tuple[list, str | None]:
    """The first run, and the further seeds' runs while the median is within the seed
    noise of a threshold (``uncertainty.more_seeds``); why it stopped early, if it did."""
    runs, rules = [first], ctx.assignment.spec.uncertainty
    while extra := uncertainty.more_seeds([m.accuracy for m in runs], sd, rules, found):
        for _ in range(extra):
            seed = ctx.settings.budget.seed + len(runs)
            m = measure(sub, ctx.with_seed(seed))
            runs.append(m)
            if m.failure is not None:
                return runs, f"seed {seed} failed ({m.failure.message}): no further seeds"
    return runs, None


def _seeds(sub: Submission, ctx: Context, first: Measured, scale) -> tuple[Measured, dict]:
    """The run to grade, with the record of every seed: at the standard budget a grade
    near a threshold is the median of several seeds; elsewhere the one run."""
    arch, translated = first.outcome.get("architecture"), protocol.translations(first.outcome)
    found = uncertainty.thresholds(
        ctx.assignment, scale, scoring.others(ctx.assignment, None, arch, translated)
    )
    sd = ctx.calibration.summary()["sd"]
    runs, stopped = [first], "a budget other than the standard one is trained once"
    if ctx.budget_name == STANDARD:
        runs, stopped = _seeded(sub, ctx, first, found, sd)
    seed = ctx.settings.budget.seed
    listed = [
        {"seed": seed + i, "accuracy": m.accuracy, "seconds": round(m.seconds, 2)}
        for i, m in enumerate(runs)
    ]
    record = uncertainty.record(listed, sd, ctx.assignment.spec.uncertainty, found, stopped)
    done = [m for m in runs if m.accuracy is not None]
    chosen = done[uncertainty.median_run([m.accuracy for m in done])]
    return replace(
        chosen, accuracy=record["accuracy"], seconds=sum(m.seconds for m in runs)
    ), record


def _executed(sub: Submission, outcome: dict) -> str | None:
    """A notebook's executed.ipynb, from its cells' records; a fault of ours in making it
    is said, and never costs the student the grade."""
    if sub.kind != "notebook" or sub.entry is None:
        return None
    try:
        return notebook.build(sub.entry, outcome.get("cells"), __version__)
    except Exception:
        terminal.internal_error(f"making {notebook.EXECUTED} of {sub.id}")
        return None


def _leaderboard(ctx: Context, m: Measured, arch: dict | None) -> dict | None:
    """What the leaderboard ranks on, when the spec keeps one: the graded run's accuracy
    on the public and the private test images, and the model's parameters."""
    board = ctx.assignment.spec.leaderboard
    if not board.enabled or m.accuracy is None or m.ran is None:
        return None
    labels = ctx.data.test.labels
    public, private = scoring.split_accuracy(
        m.ran.predictions, labels, board.private_share, board.seed
    )
    params = (arch or {}).get("params")
    return {"public_accuracy": public, "private_accuracy": private, "params": params}


def grade_one(sub: Submission, ctx: Context) -> tuple[Result, str | None, str | None]:
    """The result of one submission, the head and tail of what it printed, and (for a
    notebook whose cells ran) its executed notebook."""
    assert ctx.calibration is not None, "grading needs the calibration"
    assignment, budget = ctx.assignment, ctx.settings.budget
    m = measure(sub, ctx)
    scale = ctx.calibration.scale(assignment.spec.rubric.accuracy)
    seeds = None
    if m.failure is None:
        m, seeds = _seeds(sub, ctx, m, scale)
    failure, outcome, acc, ran = m.failure, m.outcome, m.accuracy, m.ran
    arch, translations = outcome.get("architecture"), protocol.translations(outcome)
    others = scoring.others(assignment, failure.message if failure else None, arch, translations)
    rubric = [*others, scoring.accuracy_check(scale, acc)]
    score = scoring.total(rubric, assignment.spec.rules)
    required = scoring.required_failed(rubric)
    errors = [
        *sub.notes,
        *(
            verdict.from_record(e, limits=ctx.settings.limits, script=sub.kind == "module")
            for e in outcome.get("errors") or _died_after(ran)
        ),
    ]
    findings = [
        *checks.findings(arch, _fed_labels(outcome)),
        *(gap := checks.generalisation(_train_accuracy(outcome), acc)),
    ]
    passed = scoring.passes(assignment, rubric)
    estimate = None
    if ctx.budget_name != STANDARD:
        fitted = relation.of(ctx.calibration, assignment.spec.rubric.accuracy)
        hidden = uncertainty.hidden_by_quick(arch, bool(gap))
        estimate = uncertainty.estimate(assignment, fitted, others, acc, hidden)
        passed = estimate["verdict"] == uncertainty.LIKELY_PASS
    batch_norm = _batch_norm(outcome)
    here = ran.machine if ran else machine.fingerprint()
    result = Result(
        submission=sub.id,
        status="failed" if failure else "graded",
        score=score,
        max_score=assignment.max_score,
        passed=passed,
        required_failed=[c.name for c in required],
        not_passing_because=scoring.not_passing_because(rubric),
        pass_mark=round(assignment.spec.pass_mark * assignment.max_score, 2),
        accuracy=acc,
        seeds=seeds,
        estimate=estimate,
        confusion=m.confusion,
        accuracy_scale=asdict(scale),
        calibration=ctx.calibration.for_result(scale, acc, here),
        machine=here,
        classes=list(protocol.CLASSES),
        checks=[c.to_json() for c in rubric],
        failure=failure.to_json() if failure else None,
        errors=[e.to_json() for e in errors],
        duration_s=round(m.seconds, 3),
        model_source=outcome.get("model_source"),
        findings=findings,
        inferred=_notes(outcome, batch_norm),
        translations=translations,
        batch_norm=batch_norm,
        source=str(sub.origin),
        kind=sub.kind,
        sandbox={
            **((ran and ran.isolation) or ctx.settings.isolation.to_json()),
            "limits": asdict(ctx.settings.limits),
        },
        worker=ran.worker if ran else None,
        seed=budget.seed,
        hash_seed=outcome.get("hash_seed"),  # str(hash()) and set order depend on it
        threads=budget.threads,
        budget={"name": ctx.budget_name, **asdict(budget)},
        data={
            "source": ctx.data.source,
            "fingerprint": ctx.data.fingerprint,
            "train_images": len(ctx.data.train.labels),
            "test_images": len(ctx.data.test.labels),
        },
        architecture=arch,
        architecture_fingerprint=similar.architecture_fingerprint(arch),
        prediction_hash=similar.prediction_hash(ran.predictions)
        if failure is None and ran is not None
        else None,
        history=outcome.get("history"),
        timings=outcome.get("timings", {}),
        versions=outcome.get("versions", {}),
        memory_peak_mb=ran.exit.peak_rss_mb if ran else None,
        trained_in=protocol.TRAINED_IN.get(outcome.get("mode")),
        assignment=assignment.spec.name,
        grader_version=__version__,
        cache_key=cache_key(sub, ctx),
        leaderboard=_leaderboard(ctx, m, arch),
    )
    return result, printed.clean(ran.output) if ran else None, _executed(sub, outcome)


def grade_all(
    subs: list[Submission],
    ctx: Context,
    force: bool,
    jobs: int,
    consumers: Sequence[publish.Consumer],
    on_start: Callable[[str], None] | None = None,
) -> int:
    """Grade every submission, handing each result to the consumers the moment it is
    known (files first: nothing finished is lost); return the grader's own faults."""
    try:
        return _grade_all(subs, ctx, force, jobs, consumers, on_start)
    finally:
        for consumer in consumers:
            consumer.close()


def _grade_all(
    subs: list[Submission],
    ctx: Context,
    force: bool,
    jobs: int,
    consumers: Sequence[publish.Consumer],
    on_start: Callable[[str], None] | None,
) -> int:
    todo = []
    for sub in subs:
        reuse = not force and sub.problem is None  # a verdict without a run costs nothing
        stored = results.reusable(ctx.out, sub.id, cache_key(sub, ctx)) if reuse else None
        if stored is not None and (stored.failure or {}).get("kind") != results.LOST:
            for consumer in consumers:
                consumer.add(stored, None, True)
        else:
            todo.append(sub)
    faults = 0
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:

        def start(sub: Submission) -> tuple[Result, str | None, str | None]:
            if on_start:
                on_start(sub.id)
            return grade_one(sub, ctx)

        futures = {pool.submit(start, sub): sub for sub in todo}
        for future in as_completed(futures):
            try:
                result, output, executed = future.result()
            except (UsageError, GraderFault):  # a worker refused, the cluster went away
                for pending in futures:
                    pending.cancel()
                raise
            except Exception:  # a bug of ours: say so, keep going, exit 1 at the end
                faults += 1
                terminal.internal_error(f"while grading {futures[future].id}")
                continue
            for consumer in consumers:
                consumer.add(result, output, False, executed)
    return faults
