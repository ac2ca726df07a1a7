"""Rendering the pages: jinja2 templates with autoescaping, plots from ``plots``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from grader.judging import checks
from grader.reporting import insights, plots, printed, problem_text
from grader.reporting.notebook import EXECUTED
from grader.result_schema import Result
from grader.runner import machine

PAGE = "report.html"
INDEX = "index.html"
SIMILARITY = "similarity.html"  # written by grader.reporting.similarity after a batch


def _report_link(submission: str) -> str:
    """A relative link however the file was named (``javascript:x`` stays a path)."""
    return f"./{quote(submission, safe='')}/{PAGE}"


@functools.cache  # one per process: its templates are compiled once, not per page
def environment() -> jinja2.Environment:
    """The page templates, autoescaped, with the report's filters."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("grader.reporting"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = lambda v: "" if v is None else f"{v:g}"
    env.filters["thousands"] = lambda v: "" if v is None else f"{v:,}"
    env.filters["machine"] = machine.describe
    env.filters["where"] = problem_text.where
    return env


def _layers(layers: list[dict] | None) -> list[dict]:
    """Nested layers flattened for a table, with their depth for indentation."""
    return [{**layer, "depth": depth} for depth, layer in checks.walk(layers)]


def _per_class(result: Result) -> list[tuple[str, int, float]]:
    matrix = result.confusion
    if not matrix:
        return []
    return [
        (name, sum(row), row[i] / sum(row) if sum(row) else 0.0)
        for i, (name, row) in enumerate(zip(result.classes, matrix, strict=True))
    ]


def _submission_context(result: Result, output: str) -> dict:
    """What the report template needs, for the page on its own and inside the print."""
    svg = plots.for_submission(result.history, result.confusion, result.classes)
    arch = result.architecture or {}
    mine, logs = printed.parts(output)
    return {
        "r": result,
        "arch": arch,
        "layers": _layers(arch.get("layers")),
        "per_class": _per_class(result),
        "svg": {k: Markup(v) if v else None for k, v in svg.items()},
        "output": mine,
        "logs": logs,
    }


def submission_page(result: Result, output: str, executed: str | None = None) -> str:
    """One student's report: everything about the grade, and nothing about test images.
    ``executed``: the relative link to its executed notebook, when there is one."""
    return (
        environment()
        .get_template("submission.html.j2")
        .render(**_submission_context(result, output), executed=executed)
    )


def _index_context(results: list[Result], title: str, link: Callable[[str], str]) -> dict:
    """What the overview template needs; ``link`` says where a submission's report is."""
    graded = [r for r in results if r.accuracy is not None]
    max_score = max((r.max_score for r in results), default=0)
    pass_mark = max((r.pass_mark for r in results), default=0)
    by_rule: dict[str, list[bool]] = {}
    for r in results:
        for c in r.checks:
            by_rule.setdefault(c["name"], []).append(c["passed"])
    scale = _accuracy_scale(results)
    svg = {
        "scores": plots.score_distribution([r.score for r in results], max_score, pass_mark)
        if results
        else None,
        "accuracy": plots.accuracy_against_threshold([r.accuracy for r in graded], *scale)
        if graded and scale
        else None,
    }
    return {
        "title": title,
        "results": sorted(results, key=lambda r: r.submission),
        "checks": {k: (sum(v), len(v)) for k, v in by_rule.items()},
        **insights.context(results),
        "slowest": sorted(results, key=lambda r: -r.duration_s)[:5],
        "passed": sum(1 for r in results if r.passed),
        "required_failed": [r for r in results if r.required_failed],
        "svg": {k: Markup(v) if v else None for k, v in svg.items()},
        "link": link,
    }


def index_page(results: list[Result], title: str, similarity: str | None = None) -> str:
    """The class at a glance; ``similarity``: the link to the similarity report, if any."""
    context = _index_context(results, title, _report_link)
    return environment().get_template("index.html.j2").render(**context, similarity=similarity)


def print_page(rows: list[tuple[Result, str]], title: str) -> str:
    """The class overview, then each (result, output) report from a new page: one
    document for Chromium to print, its links pointing inside it."""
    env = environment()
    ordered = sorted(rows, key=lambda row: row[0].submission)
    anchors = {r.submission: f"student-{i}" for i, (r, _) in enumerate(ordered, 1)}
    overview = env.get_template("_index.html.j2").render(
        **_index_context([r for r, _ in ordered], title, lambda s: f"#{anchors[s]}")
    )
    report = env.get_template("_submission.html.j2")
    students = [
        (anchors[r.submission], Markup(report.render(**_submission_context(r, output))))
        for r, output in ordered
    ]
    return env.get_template("print.html.j2").render(
        title=title, overview=Markup(overview), students=students
    )


def _accuracy_scale(results: list[Result]) -> tuple[float, float] | None:
    for r in results:
        scale = r.accuracy_scale or {}
        if scale:
            return scale["full_at"], scale["zero_at"]
    return None


def write_submission(out: Path, result: Result, output: str | None) -> None:
    """The submission's page, beside its result (and its executed notebook, if written)."""
    from grader.reporting import results

    folder = out / result.submission
    executed = EXECUTED if (folder / EXECUTED).is_file() else None
    results.write_atomic(folder / PAGE, submission_page(result, output or "", executed))


def write_index(out: Path, rows: list[Result], title: str) -> bool:
    """The class page over these results; whether it links the similarity report."""
    from grader.reporting import results

    similarity = SIMILARITY if (out / SIMILARITY).is_file() else None
    results.write_atomic(out / INDEX, index_page(rows, title, similarity))
    return similarity is not None
