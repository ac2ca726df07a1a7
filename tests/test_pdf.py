"""``grader pdf``: a graded class printed by real headless Chromium, read back with a real
PDF parser: the overview first, then every student from a page of its own, headed by its
name, assignment and score, with text that can be extracted (archived, searched, emailed)."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import EXAMPLES, cli, tiny_batch

pytestmark = pytest.mark.slow

RENAMED = "Ada Lovelace & <co>"  # a third student, from a copy: spaces and markup in a name


@pytest.fixture(scope="module")
def printed(tmp_path_factory, data_path) -> tuple[Path, dict[str, dict], str]:
    """A class of three graded once at the tiny budget, printed once with --each."""
    if not shutil.which("chromium") and not os.environ.get("CI"):  # CI must print
        pytest.skip("chromium is not installed (./setup.sh installs it as root)")
    out, _, _ = tiny_batch(  # strict: keras1_cheatsheet fails
        tmp_path_factory,
        data_path,
        [EXAMPLES / "good_cnn.py", EXAMPLES / "keras1_cheatsheet.py"],
        mode="strict",
    )
    shutil.copytree(out / "good_cnn", out / RENAMED)
    copy = json.loads((out / RENAMED / "result.json").read_text())
    (out / RENAMED / "result.json").write_text(json.dumps({**copy, "submission": RENAMED}))
    found = {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/result.json")}
    started = time.monotonic()
    done = cli("pdf", str(out), "--each", "--title", "Printed class")
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-3000:]
    print(f"\ngrader pdf --each for {len(found)} students: {took:.1f} s\n{done.stdout}")
    return out, found, done.stdout


def _pages(pdf: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(pdf).pages]


def _header(result: dict) -> list[str]:
    """The first lines of a student's first page: name, assignment and budget, score."""
    return [
        result["submission"],
        f"assignment {result['assignment']} · budget '{result['budget']['name']}'",
        f"{result['score']:g} / {result['max_score']:g}",
    ]


def _starts_with(text: str, header: list[str]) -> bool:
    lines = text.splitlines()
    return lines[:2] == header[:2] and lines[2].startswith(header[2] + " ")


def test_one_pdf_holds_the_overview_then_each_student_from_a_page_of_its_own(printed):
    out, found, _ = printed
    pages = _pages(out / "reports.pdf")
    assert len(pages) >= len(found) + 1
    assert all(text.strip() for text in pages), "every page has extractable text"
    assert pages[0].startswith(f"Printed class\n{len(found)} submissions")
    firsts = []
    for name in sorted(found):
        heading = [i for i, text in enumerate(pages) if _starts_with(text, _header(found[name]))]
        assert len(heading) == 1, (name, heading)  # one header, at the top of a page
        firsts.append(heading[0])
    assert firsts == sorted(firsts) and firsts[0] >= 1  # after the overview, in name order
    headers = sum(text.count("\nassignment cifar10_cnn · budget") for text in pages)
    assert headers == len(found)  # no page carries a second student's header
    failed = pages[firsts[sorted(found).index("keras1_cheatsheet")]]
    assert "NOT PASSING" in failed and "border_mode" in failed  # the report itself, not a stub
    assert not list(out.glob("**/.*print.html")), "the print HTML is removed"


def test_each_student_gets_a_pdf_of_their_own_to_email(printed):
    out, found, stdout = printed
    assert "3 reports" in stdout and "for 3 submissions" in stdout
    for name, result in found.items():
        pages = _pages(out / name / "report.pdf")
        assert _starts_with(pages[0], _header(result)), (name, pages[0][:200])
        others = [n for n in found if n != name and f"{n}\nassignment" in "".join(pages)]
        assert others == [], (name, others)


def test_without_chromium_or_results_it_says_so_and_exits_2(printed, tmp_path):
    out, _, _ = printed
    done = cli("pdf", str(out), "--chromium", str(tmp_path / "no-such-chromium"))
    assert done.returncode == 2 and "no Chromium to print with" in done.stderr
    assert "install" in done.stderr
    done = cli("pdf", str(tmp_path))
    assert done.returncode == 2 and "no results" in done.stderr
