"""Reporting on the terminal: a line per finished submission, and check's summary."""

from __future__ import annotations

import sys
import threading
import traceback

from grader.judging import uncertainty
from grader.reporting import problem_text
from grader.result_schema import Result
from grader.runner import machine
from grader.spec_types import STANDARD


def banner(ctx) -> str:
    budget, cal = ctx.settings.budget, ctx.calibration
    return (
        f"grader: {ctx.assignment.spec.name} | data {ctx.data.source} "
        f"({len(ctx.data.train.labels)} train / {len(ctx.data.test.labels)} test images) | "
        f"budget '{ctx.budget_name}': {budget.epochs} epochs, seed {budget.seed}\n"
        f"grader: calibration: {cal.path.name} (reference over {len(cal.seeds)} seeds)\n"
        + ("" if ctx.cluster else other_machine(cal.other_machine(machine.fingerprint())))
        + f"grader: sandbox: {ctx.settings.isolation.describe()}"
        + (f"\ngrader: cluster: {ctx.cluster.describe()}" if ctx.cluster else "")
    )


def other_machine(found: dict | None) -> str:
    """Lines saying that the calibration was measured on another machine, and what that
    means; nothing when it was measured on this one."""
    if found is None:
        return ""
    return (
        f"grader: calibration measured on another machine: {found['calibrated_on']}; "
        f"this one: {found['graded_on']} ({'; '.join(found['differences'])})\n"
        f"grader:   {found['meaning']}\n"
    )


def _score(r: Result) -> str:
    return f"{r.score:g}/{r.max_score:g}"


ID_WIDTH = (12, 48)  # the id column fits the batch's longest id, within these bounds
TAIL = 90  # characters of a failure's message on its line


def cut(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word with an ellipsis."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    return (head[:space] if space > limit // 2 else head).rstrip(" ,;:") + "…"


def id_width(ids: list[str]) -> int:
    return min(max([ID_WIDTH[0], *map(len, ids)]), ID_WIDTH[1])


def _accuracy(r: Result) -> str:
    if r.accuracy is None:
        return ""
    runs = len((r.seeds or {}).get("runs", []))
    estimate = (r.estimate or {}).get("verdict")
    return (
        f"acc {r.accuracy:.3f}"
        + (f" (median of {runs} seeds)" if runs > 1 else "")
        + (f", {estimate}" if estimate else "")
    )


def line(r: Result, reused: bool, width: int = ID_WIDTH[0]) -> str:
    acc = _accuracy(r)
    tail = acc if r.status == "graded" else (r.failure or {}).get("message", "")
    if r.required_failed and r.status == "graded":  # a failed run says its failure
        tail = f"{tail}  not passing: required {', '.join(r.required_failed)} failed"
    if r.translations:  # ran through the compatibility layer: README, "Old Keras..."
        tail = f"{tail}  [old API: {len(r.translations)} translated]"
    note = " (unchanged, reused)" if reused else f" {r.duration_s:6.1f}s"
    if r.worker and not reused:
        note += f" on {r.worker}"
    name = cut(r.submission, width)
    return f"  {name:<{width}} {r.status:<7} {_score(r):>9}  {cut(tail, TAIL)}{note}"


class Progress:
    """One line per finished submission; on a terminal also a bar with the time left,
    elsewhere (CI logs, pipes) a line when each one starts, so a long run is visible."""

    def __init__(self, ids: list[str]):
        self.total = len(ids)
        self.width = id_width(ids)
        self.bar = None
        self.lock = threading.Lock()  # ``started`` comes from the grading threads
        if sys.stdout.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
            from rich.progress import Progress as Bar

            self.bar = Bar(
                TextColumn("grading"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                transient=True,
            )
            self.task = self.bar.add_task("grading", total=self.total)

    def __enter__(self) -> Progress:
        if self.bar:
            self.bar.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.bar:
            self.bar.stop()

    def _print(self, text: str) -> None:
        """One whole line at a time: print() writes the text and its newline separately,
        so two threads could join their lines."""
        with self.lock:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()

    def started(self, submission: str) -> None:
        if not self.bar:
            self._print(f"  {cut(submission, self.width):<{self.width}} started")

    def done(self, r: Result, reused: bool) -> None:
        text = line(r, reused, self.width)
        if self.bar:
            self.bar.console.print(text, markup=False, highlight=False)
            self.bar.advance(self.task)
        else:
            self._print(text)


def _estimate(r: Result) -> list[str]:
    """A quick run's headline: the standard grade it predicts, and how sure that is."""
    e, b = r.estimate, r.budget
    low, high = e["standard_score_range"]
    out = [
        f"{r.submission}: {e['verdict'].upper()} (pass mark {r.pass_mark:g}): "
        + (
            f"about {e['standard_score']:g} points at the standard budget ({low:g}-{high:g})"
            if e["standard_score"] is not None
            else f"{low:g}-{high:g} points at the standard budget"
        )
    ]
    if e["standard_accuracy"] is not None:
        lo, hi = e["standard_accuracy_range"]
        out.append(
            f"test accuracy {r.accuracy:.3f} at budget '{b['name']}' ({b['train_images']} "
            f"images, {b['epochs']} epochs): about {e['standard_accuracy']:.3f} at the standard "
            f"budget ({lo:.3f}-{hi:.3f}, {e['band_sd']:g} sd of how the budgets relate)"
        )
    out += [f"  {why}" for why in e["why"]]
    if e["verdict"] == uncertainty.BORDERLINE:
        out.append(
            f"Too close to call at this budget: `grader check --budget {STANDARD}` gives the "
            "instructor's grade (slower)"
        )
    elif e["verdict"] == uncertainty.LIKELY_PASS:
        out.append(f"`grader check --budget {STANDARD}` gives the instructor's exact grade")
    out.append(f"At budget '{b['name']}' ({_score(r)} points):")
    return out


def check_summary(r: Result, result_path: str) -> str:
    if r.estimate:
        out = _estimate(r)
    else:
        verdict = "PASS" if r.passed else "NOT YET PASSING"
        out = [f"{r.submission}: {_score(r)} points, {verdict} (pass mark {r.pass_mark:g})"]
    if r.not_passing_because:
        out.append(r.not_passing_because)
    out += translations_first(r.translations or [])
    if r.accuracy is not None and not r.estimate:
        margin = r.calibration["margin"]
        out.append(
            f"test accuracy {r.accuracy:.3f} ({margin:+.3f} from full points at "
            f"{r.calibration['threshold']:.3f})"
        )
        if len(r.seeds["runs"]) > 1:
            out.append(r.seeds["summary"])
    for c in r.checks:
        mark = "ok " if c["passed"] else "-- "
        name = f"{c['name']}*" if c.get("required") else c["name"]
        out.append(f"  {mark}{name:<16} {c['points']:g}/{c['max_points']:g}  {c['message']}")
        if c.get("hint"):
            out.append(f"  {'':<19} hint: {c['hint']}")
    if any(c.get("required") for c in r.checks):
        out.append("  (* required: failing it means not passing, whatever the score)")
    if r.failure:
        failed = problem_text.lines(r.failure, "hint", "  ")
        out += ["", f"Failed ({r.failure['kind']}):", *failed]
    if r.findings:
        out += ["", "Findings (no points, but they explain results):"]
        for f in r.findings:
            out += [f"  {f['message']}", f"    hint: {f['hint']}"]
    if r.errors:
        out += ["", "Errors that did not stop grading:"]
        for e in r.errors:
            out += problem_text.lines(e, "hint", "  ")
    if r.model_source:
        out += ["", f"Model graded: {r.model_source}"]
    out += [f"  {note}" for note in r.inferred]
    out += ["", f"Full result: {result_path}"]
    return "\n".join(out)


def translations_first(translations: list[dict]) -> list[str]:
    """What ran only through the compatibility layer: the student reads it first."""
    if not translations:
        return []
    out = [
        "",
        f"Your code runs only through {len(translations)} translation(s) of old Keras/NumPy/"
        "SciPy APIs; write these for current versions:",
    ]
    for t in translations:
        where = f"cell {t['cell']}, line {t['line']}" if t["cell"] else f"line {t['line']}"
        out.append(f"  {where}: {t['call']} -> {t['modern']}")
    return [*out, ""]


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def internal_error(what: str) -> None:
    """A bug of ours, said with its traceback to whoever runs the grader (call it in an
    ``except``); the batch goes on."""
    say(f"grader: internal error {what}:\n{traceback.format_exc()}")
