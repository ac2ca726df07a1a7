"""``grader pdf``: a finished results folder printed for courses that archive or email
feedback: the class overview and every student's report in one PDF, each student from a
new page, and with ``--each`` a PDF per student beside its report. The pages are
rendered again from ``result.json`` and ``output.txt`` with the current templates."""

from __future__ import annotations

import time
from pathlib import Path

from grader.errors import UsageError
from grader.reporting import html, pdf, results
from grader.result_schema import Result

COMBINED = "reports.pdf"
EACH = "report.pdf"


def _timeout(students: int) -> float:
    """Chromium's allowance: a start, then about a second per report to lay out."""
    return 60.0 + 2.0 * students


def _title(found: list[Result]) -> str:
    """The assignments the results belong to (the spec's title is not stored in them)."""
    names = sorted({str(r.assignment) for r in found if r.assignment})
    return ", ".join(names) or "Results"


def run(args) -> int:
    out = Path(args.out_dir)
    if not out.is_dir():
        raise UsageError(f"{out}: no such results folder")
    found = results.all_results(out)
    if not found:
        raise UsageError(f"{out}: no results (*/{results.RESULT}) to print")
    browser = pdf.find_browser(args.chromium)
    rows = [(r, _output(out / r.submission)) for r in found]
    target = Path(args.output) if args.output else out / COMBINED
    started = time.monotonic()
    page = html.print_page(rows, args.title or _title(found))
    pdf.print_html(browser, page, out / ".reports.print.html", target, _timeout(len(rows)))
    print(f"wrote {target}: the class overview and {len(rows)} reports ", end="")
    print(f"({time.monotonic() - started:.1f} s)")
    if args.each:
        started = time.monotonic()
        for r, output in rows:
            folder = out / r.submission
            page = html.submission_page(r, output)
            pdf.print_html(browser, page, folder / ".report.print.html", folder / EACH, _timeout(1))
        print(f"wrote {out}/<submission>/{EACH} for {len(rows)} submissions ", end="")
        print(f"({time.monotonic() - started:.1f} s)")
    return 0


def _output(folder: Path) -> str:
    """What the submission printed, or nothing when its output file is gone."""
    try:
        return (folder / results.OUTPUT).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
