"""Machine-readable exports: Gradescope's results.json, JUnit XML, a GitHub step summary."""

from __future__ import annotations

import json
import os
from pathlib import Path
from xml.etree import ElementTree as ET

from grader.results import write_atomic


def _problem_text(p: dict) -> str:
    where = ", ".join(
        x
        for x in (
            f"cell {p['cell']}" if p.get("cell") else "",
            f"line {p['line']}" if p.get("line") else "",
        )
        if x
    )
    lines = [f"{where}: {p['message']}" if where else p["message"], *p.get("excerpt", [])]
    return "\n".join([*lines, f"Hint: {p['hint']}"])


def _name(check: dict) -> str:
    """A rubric item's name, marked when the assignment requires it to pass."""
    return f"{check['name']} (required)" if check.get("required") else check["name"]


def _markdown(r: dict) -> str:
    """A student-facing summary of one result in Markdown."""
    estimate = r.get("estimate")
    verdict = estimate["verdict"] if estimate else "PASS" if r.get("passed") else "not passing yet"
    out = [f"## {r['submission']}: {r['score']:g} / {r['max_score']:g} ({verdict})", ""]
    if r.get("not_passing_because"):
        out += [f"**{r['not_passing_because']}**", ""]
    if r.get("accuracy") is not None:
        out += [f"Test accuracy: {r['accuracy']:.3f}", ""]
    if estimate and estimate["standard_score"] is not None:
        low, high = estimate["standard_score_range"]
        out += [
            f"Budget '{r['budget']['name']}' predicts about {estimate['standard_score']:g} "
            f"points at the standard budget ({low:g}-{high:g}): {estimate['verdict']}.",
            "",
        ]
    if len((r.get("seeds") or {}).get("runs", [])) > 1:
        out += [r["seeds"]["summary"], ""]
    out += ["| check | points | message |", "|---|---|---|"]
    for c in r["checks"]:
        mark = "✅" if c["passed"] else "❌"
        message = c["message"].replace("|", "\\|").replace("\n", " ")
        out.append(f"| {mark} {_name(c)} | {c['points']:g} / {c['max_points']:g} | {message} |")
    for title, items in (
        ("Failure", [r["failure"]] if r.get("failure") else []),
        ("Findings", r.get("findings", [])),
        ("Errors that did not stop grading", r.get("errors", [])),
    ):
        if items:
            out += ["", f"### {title}", ""]
            for p in items:
                out += ["```text", _problem_text(p), "```"]
    return "\n".join(out) + "\n"


def gradescope(results: list[dict], path: Path) -> None:
    """Gradescope's results.json for one submission: a test per rubric item."""
    r = results[0]
    tests = [
        {
            "name": _name(c),
            "number": str(i),
            "score": c["points"],
            "max_score": c["max_points"],
            "status": "passed" if c["passed"] else "failed",
            "output": c["message"] + (f"\nHint: {c['hint']}" if c.get("hint") else ""),
            "visibility": "visible",
        }
        for i, c in enumerate(r["checks"], start=1)
    ]
    doc = {
        "score": r["score"],
        "execution_time": round(r["duration_s"]),
        "output": _markdown(r),
        "output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {
            "status": r["status"],
            "accuracy": r.get("accuracy"),
            "failure_kind": (r.get("failure") or {}).get("kind"),
            "passed": r.get("passed"),
            "required_failed": r.get("required_failed", []),
        },
    }
    if r.get("accuracy") is not None:
        doc["leaderboard"] = [{"name": "accuracy", "value": r["accuracy"], "order": "desc"}]
    write_atomic(path, json.dumps(doc, indent=1))


def junit(results: list[dict], path: Path) -> None:
    """JUnit XML: a test suite per submission, a test case per rubric item."""
    suites = ET.Element("testsuites", name="grader")
    for r in results:
        failed = [c for c in r["checks"] if not c["passed"]]
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=r["submission"],
            tests=str(len(r["checks"])),
            failures=str(len(failed)),
            errors="0",
            time=f"{r['duration_s']:.3f}",
        )
        for c in r["checks"]:
            case = ET.SubElement(
                suite, "testcase", name=_name(c), classname=r["submission"], time="0"
            )
            if c.get("required"):
                props = ET.SubElement(case, "properties")
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


def step_summary(results: list[dict]) -> None:
    """Append a Markdown summary for GitHub Actions when $GITHUB_STEP_SUMMARY is set."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    with open(target, "a", encoding="utf-8") as f:
        for r in results:
            f.write(_markdown(r) + "\n")
