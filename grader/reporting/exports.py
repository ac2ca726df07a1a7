"""Machine-readable exports: Gradescope's results.json, JUnit XML, a GitHub step summary,
and GitHub Classroom's runner result."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree as ET

from grader.reporting import problem_text
from grader.reporting.results import write_atomic
from grader.result_schema import Result
from grader.spec_types import OVERALL

FAULT = "grader_fault"  # extra_data.status of a results.json the grader wrote on a fault


Visibility = Callable[[str], str]  # a rubric item's name -> when students see it


def _everything(item: str) -> str:
    return "visible"


def _markdown(r: Result, visibility: Visibility = _everything) -> str:
    """A student-facing summary of one result in Markdown, leaving out what is not
    visible yet (and the total, which would give it away)."""
    shown = [c for c in r.checks if visibility(c["name"]) == "visible"]
    accuracy_shown = visibility("accuracy") == "visible"
    estimate = r.estimate
    verdict = estimate["verdict"] if estimate else "PASS" if r.passed else "not passing yet"
    everything = len(shown) == len(r.checks)
    if everything:
        out = [f"## {r.submission}: {r.score:g} / {r.max_score:g} ({verdict})", ""]
    else:
        out = [f"## {r.submission}", "", "Some results are shown later.", ""]
    if r.not_passing_because and everything:  # it may name a hidden rule's result
        out += [f"**{r.not_passing_because}**", ""]
    if not accuracy_shown:
        estimate = None
    elif r.accuracy is not None:
        out += [f"Test accuracy: {r.accuracy:.3f}", ""]
    if estimate and estimate["standard_score"] is not None:
        low, high = estimate["standard_score_range"]
        out += [
            f"Budget '{r.budget['name']}' predicts about {estimate['standard_score']:g} "
            f"points at the standard budget ({low:g}-{high:g}): {estimate['verdict']}.",
            "",
        ]
    if accuracy_shown and len((r.seeds or {}).get("runs", [])) > 1:
        out += [r.seeds["summary"], ""]
    out += ["| check | points | message |", "|---|---|---|"]
    for c in shown:
        mark = "✅" if c["passed"] else "❌"
        message = c["message"].replace("|", "\\|").replace("\n", " ")
        name, points = problem_text.item_name(c), f"{c['points']:g} / {c['max_points']:g}"
        out.append(f"| {mark} {name} | {points} | {message} |")
    for title, items in (
        ("Failure", [r.failure] if r.failure else []),
        ("Findings", [f for f in r.findings if _shown(f, visibility)]),
        ("Errors that did not stop grading", r.errors),
    ):
        if items:
            out += ["", f"### {title}", ""]
            for p in items:
                out += ["```text", "\n".join(problem_text.lines(p)), "```"]
    return "\n".join(out) + "\n"


def _shown(finding: dict, visibility: Visibility) -> bool:
    """A finding that quotes a hidden item's result stays hidden with it."""
    return visibility(finding.get("quotes") or OVERALL) == "visible"


def gradescope(results: list[Result], path: Path, visibility: Visibility = _everything) -> None:
    """Gradescope's results.json for one submission: a test per rubric item, each shown
    to students when the spec's visibility says."""
    r = results[0]
    tests = [
        {
            "name": problem_text.item_name(c),
            "number": str(i),
            "score": c["points"],
            "max_score": c["max_points"],
            "status": "passed" if c["passed"] else "failed",
            "output": problem_text.item_text(c),
            "visibility": visibility(c["name"]),
        }
        for i, c in enumerate(r.checks, start=1)
    ]
    doc = {
        "score": r.score,
        "execution_time": round(r.duration_s),
        "output": _markdown(r, visibility),
        "output_format": "md",
        "visibility": visibility(OVERALL),
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {
            "status": r.status,
            "accuracy": r.accuracy,
            "failure_kind": (r.failure or {}).get("kind"),
            "passed": r.passed,
            "required_failed": r.required_failed,
            **_calibration_used(r),
        },
    }
    if r.leaderboard:  # the spec keeps one: the public accuracy, unless it is hidden
        doc["leaderboard"] = _leaderboard(r.leaderboard, visibility("accuracy") == "visible")
    write_atomic(path, json.dumps(doc, indent=1))


def _leaderboard(board: dict, accuracy_shown: bool) -> list[dict]:
    """Gradescope's leaderboard entries: accuracy on the public test images (the private
    ones rank only in ``grader leaderboard --final``), and the model's size."""
    entries = [{"name": "parameters", "value": board["params"], "order": "asc"}]
    if accuracy_shown:
        entries.insert(0, {"name": "accuracy", "value": board["public_accuracy"], "order": "desc"})
    return entries


def _calibration_used(r: Result) -> dict:
    """Which calibration graded it, and whether it was measured on another machine."""
    used = r.calibration or {}
    other = used.get("other_machine")
    return {
        "calibration": used.get("file"),
        "calibration_machine": other["differences"] if other else "this machine",
    }


def gradescope_fault(path: Path, message: str) -> None:
    """results.json when the grader itself could not grade: Gradescope must never be
    left without one, and the student must read that it is not their fault."""
    doc = {
        "score": 0,
        "output": "The autograder could not grade this submission. This is a problem of "
        "the autograder, not of your work: tell your instructor, who can run it again.\n\n"
        f"What went wrong: {message}",
        "output_format": "text",
        "visibility": "visible",
        "tests": [],
        "extra_data": {"status": FAULT, "message": message},
    }
    write_atomic(path, json.dumps(doc, indent=1))


def junit(results: list[Result], path: Path, visibility: Visibility = _everything) -> None:
    """JUnit XML: a test suite per submission, a test case per rubric item."""
    suites = ET.Element("testsuites", name="grader")
    for r in results:
        failed = [c for c in r.checks if not c["passed"]]
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=r.submission,
            tests=str(len(r.checks)),
            failures=str(len(failed)),
            errors="0",
            time=f"{r.duration_s:.3f}",
        )
        for c in r.checks:
            case = ET.SubElement(
                suite, "testcase", name=problem_text.item_name(c), classname=r.submission, time="0"
            )
            props = ET.SubElement(case, "properties")
            ET.SubElement(props, "property", name="visibility", value=visibility(c["name"]))
            if c.get("required"):
                ET.SubElement(props, "property", name="required", value="true")
            if not c["passed"]:
                ET.SubElement(
                    case,
                    "failure",
                    message=c["message"],
                    type=f"{c['points']:g}/{c['max_points']:g}",
                ).text = c["message"]
            ET.SubElement(
                case, "system-out"
            ).text = f"{c['points']:g}/{c['max_points']:g} points: {c['message']}"
    write_atomic(path, ET.tostring(suites, encoding="unicode", xml_declaration=True))


def step_summary(results: list[Result]) -> None:
    """Append a Markdown summary for GitHub Actions when $GITHUB_STEP_SUMMARY is set."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    with open(target, "a", encoding="utf-8") as f:
        for r in results:
            f.write(_markdown(r) + "\n")


def classroom(result: Result | None, fault: str | None = None) -> None:
    """GitHub Classroom: append ``result=<base64 JSON>`` to $GITHUB_OUTPUT, the runner
    result its grading reporter adds up into the student's points (one test per item)."""
    target = os.environ.get("GITHUB_OUTPUT")
    if not target:
        return
    if result is None:
        tests = [{"name": "grader", "status": "error", "score": 0, "message": fault or ""}]
        doc = {"version": 1, "status": "error", "max_score": 0, "tests": tests}
    else:
        doc = _classroom_result(result)
    encoded = base64.b64encode(json.dumps(doc).encode()).decode()
    with open(target, "a", encoding="utf-8") as f:
        f.write(f"result={encoded}\n")


def _classroom_result(r: Result) -> dict:
    """The reporter sums the tests' scores: a cap of a failed required rule is a test too."""
    tests = [
        {
            "name": problem_text.item_name(c),
            "status": "pass" if c["passed"] else "fail",
            "score": c["points"],
            "max_score": c["max_points"],
            "message": problem_text.item_text(c),
        }
        for c in r.checks
    ]
    capped = round(r.score - sum(c["points"] for c in r.checks), 2)
    if capped:
        tests.append(
            {
                "name": "score cap",
                "status": "fail",
                "score": capped,
                "max_score": 0,
                "message": r.not_passing_because or "the score is capped",
            }
        )
    status = "pass" if r.passed else "fail"  # at a quick budget: likely to pass
    return {"version": 1, "status": status, "max_score": r.max_score, "tests": tests}
