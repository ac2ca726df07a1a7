"""Publishing a batch: each result's files at once, the class pages (gradebook, overview)
kept in memory and written at most every few seconds and at the end, over every result
in the folder."""

from __future__ import annotations

import copy
import csv
from dataclasses import replace
from pathlib import Path

import pytest

from grader.reporting import html, publish, results
from grader.result_schema import Result
from tests.conftest import EXAMPLES, a_result, tiny_batch

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(tmp_path_factory, data_path) -> list[Result]:
    """Two real results (a graded one and a failed one) to publish again."""
    out, _, _ = tiny_batch(
        tmp_path_factory,
        data_path,
        [EXAMPLES / "good_cnn.py", EXAMPLES / "keras1_cheatsheet.py"],
        mode="strict",  # keras1_cheatsheet fails
    )
    return results.all_results(out)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def variant(result: Result, name: str) -> Result:
    return replace(copy.deepcopy(result), submission=name)


def rows(out: Path) -> list[str]:
    with (out / results.GRADEBOOK).open() as f:
        return [row["submission"] for row in csv.DictReader(f)]


def test_class_pages_are_written_at_most_every_few_seconds_and_at_the_end(graded, tmp_path):
    clock = Clock()
    files = publish.SubmissionFiles(tmp_path)
    pages = publish.ClassPages(tmp_path, "title", every_s=5.0, clock=clock)
    for t, name in [(0, "a"), (1, "b"), (2, "c"), (6, "d"), (7, "e")]:
        clock.now = t
        r = variant(graded[t % 2], name)
        files.add(r, "printed", False)
        pages.add(r, "printed", False)
        assert (tmp_path / name / results.RESULT).is_file()  # at once, whatever the pages do
    assert pages.writes == 2 and rows(tmp_path) == ["a", "b", "c", "d"]
    pages.close()
    assert pages.writes == 3 and rows(tmp_path) == ["a", "b", "c", "d", "e"]
    index = (tmp_path / "index.html").read_text()
    assert all(f'href="./{n}/report.html"' in index for n in "abcde")
    pages.close()
    assert pages.writes == 3  # nothing new: nothing written


def test_class_pages_keep_earlier_results_in_the_folder(graded, tmp_path):
    earlier = variant(graded[0], "earlier")
    results.save(tmp_path, earlier, None)
    consumers = publish.to_folder(tmp_path, "title")
    for c in consumers:
        c.add(variant(graded[1], "now"), None, False)
        c.close()
    assert rows(tmp_path) == ["earlier", "now"]


def test_a_file_name_stays_a_name_in_links_and_spreadsheets(tmp_path):
    """Submission ids are file names, which a student picks: a link to one stays a
    relative path, and a spreadsheet shows one as text, never runs it as a formula."""
    assert html._report_link("javascript:alert(1)") == "./javascript%3Aalert%281%29/report.html"
    hostile = '=HYPERLINK("http://x","y")'
    results.write_gradebook(tmp_path, [a_result(submission=hostile, checks=[])])
    assert rows(tmp_path) == ["'" + hostile]
