"""Reporting on the terminal: a line per finished submission, and check's summary."""

from __future__ import annotations

import sys

from grader.assignment import STANDARD


def banner(ctx) -> str:
    budget, cal = ctx.settings.budget, ctx.calibration
    return (
        f"grader: {ctx.assignment.spec.name} | data {ctx.data.source} "
        f"({len(ctx.data.train.labels)} train / {len(ctx.data.test.labels)} test images) | "
        f"budget '{ctx.budget_name}': {budget.epochs} epochs, seed {budget.seed}\n"
        f"grader: calibration: {cal.path.name} (reference over {len(cal.seeds)} seeds)\n"
        f"grader: sandbox: {ctx.settings.isolation.describe()}"
    )


def _score(r: dict) -> str:
    return f"{r['score']:g}/{r['max_score']:g}"


def line(r: dict, reused: bool) -> str:
    acc = "" if r.get("accuracy") is None else f"acc {r['accuracy']:.3f}"
    tail = acc if r["status"] == "graded" else (r.get("failure") or {}).get("message", "")
    note = " (unchanged, reused)" if reused else f" {r['duration_s']:6.1f}s"
    return f"  {r['submission']:<24} {r['status']:<7} {_score(r):>9}  {tail[:90]}{note}"


class Progress:
    """One line per finished submission; on a terminal also a bar with the time left."""

    def __init__(self, total: int):
        self.total = total
        self.bar = None
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
            self.task = self.bar.add_task("grading", total=total)

    def __enter__(self) -> Progress:
        if self.bar:
            self.bar.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.bar:
            self.bar.stop()

    def done(self, r: dict, reused: bool) -> None:
        if self.bar:
            self.bar.console.print(line(r, reused), markup=False, highlight=False)
            self.bar.advance(self.task)
        else:
            print(line(r, reused), flush=True)


def _problem(p: dict, indent: str = "  ") -> list[str]:
    where = []
    if p.get("cell"):
        where.append(f"cell {p['cell']}")
    if p.get("line"):
        where.append(f"line {p['line']}")
    head = f"{indent}{', '.join(where) + ': ' if where else ''}{p['message']}"
    return [head, *(f"{indent}  {x}" for x in p.get("excerpt", [])), f"{indent}  hint: {p['hint']}"]


def check_summary(r: dict, result_path: str) -> str:
    verdict = "PASS" if r["passed"] else "NOT YET PASSING"
    out = [f"{r['submission']}: {_score(r)} points, {verdict} (pass mark {r['pass_mark']:g})"]
    if r.get("accuracy") is not None:
        margin = r["calibration"]["margin"]
        out.append(
            f"test accuracy {r['accuracy']:.3f} ({margin:+.3f} from full points at "
            f"{r['calibration']['threshold']:.3f})"
        )
    if r["budget"]["name"] != STANDARD:
        out.append(
            f"Budget '{r['budget']['name']}' ({r['budget']['train_images']} images, "
            f"{r['budget']['epochs']} epochs): a quick estimate of the grade; "
            f"`--budget {STANDARD}` gives the instructor's exact one"
        )
    for c in r["checks"]:
        mark = "ok " if c["passed"] else "-- "
        out.append(f"  {mark}{c['name']:<16} {c['points']:g}/{c['max_points']:g}  {c['message']}")
        if c.get("hint"):
            out.append(f"  {'':<19} hint: {c['hint']}")
    if r.get("failure"):
        out += ["", f"Failed ({r['failure']['kind']}):", *_problem(r["failure"])]
    if r.get("findings"):
        out += ["", "Findings (no points, but they explain results):"]
        for f in r["findings"]:
            out += [f"  {f['message']}", f"    hint: {f['hint']}"]
    if r.get("errors"):
        out += ["", "Errors that did not stop grading:"]
        for e in r["errors"]:
            out += _problem(e)
    if r.get("model_source"):
        out += ["", f"Model graded: {r['model_source']}"]
    out += [f"  {note}" for note in r.get("inferred", [])]
    out += ["", f"Full result: {result_path}"]
    return "\n".join(out)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
