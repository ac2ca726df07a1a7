"""LMS gradebooks: grades.csv's per-item columns, Canvas's gradebook export filled through
the real command line, and the roster CSV for other LMSs. No grading: results by hand."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from grader.judging.checks import Check
from grader.reporting import results
from grader.result_schema import Result
from tests.conftest import a_result, cli

CHECKS = ["conv layers", "dropout", "accuracy"]


def result(submission: str, score: float, points: list[float], **extra: object) -> Result:
    return a_result(
        **{
            "submission": submission,
            "status": "graded",
            "score": score,
            "max_score": 100,
            "passed": score >= 60,
            "checks": [
                Check(n, p > 0, p, 50, "").to_json() for n, p in zip(CHECKS, points, strict=False)
            ],
            **extra,
        }
    )


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """A results folder whose grades.csv the real write_gradebook made."""
    folder = tmp_path / "results"
    folder.mkdir()
    results.write_gradebook(
        folder,
        [
            result("alice", 87.5, [10, 27.5, 50]),
            result("BOB", 0.0, [0, 0, 0], status="failed", failure={"kind": "error"}),
            result("carol.k", 66.666, [10, 6.666, 50]),
            result("zed", 40, [10, 30, 0]),  # no such student in the gradebook
            result("dave", 0, [0, 0, 0], status="failed", failure={"kind": "lost"}),
        ],
    )
    return folder


# As Canvas writes it: BOM, a "Manual Posting" row, the indented Points Possible row,
# quoted names, a custom column, computed columns, the test student last.
CANVAS = (
    "\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,Notes,CIFAR-10 CNN (4711),"
    '"Quiz 1, part 2 (4712)",Current Score,Unposted Current Score,Final Score\n'
    ",,,,,,Manual Posting,,,,\n"
    "    Points Possible,,,,,,100.00,10.00,(read only),(read only),(read only)\n"
    '"Smith, Alice",101,S101, Alice ,Section A,late,,8.00,80.00,80.00,80.00\n'
    '"Jones, Bob",102,S102,bob,Section A,,55.00,9.00,90.00,90.00,90.00\n'
    '"King, Carol",103,S103,carol.k,"Section A and Section B",,,7.50,75.00,75.00,75.00\n'
    '"Doe, Dana",104,S104,dana,"Section B","said ""hi""",,6.00,60.00,60.00,60.00\n'
    '"Lee, Dave",105,S105,dave,Section B,,12.00,5.00,50.00,50.00,50.00\n'
    '"Student, Test",106,,zed,Section A,,,,,,\n'
)
COLUMN = "CIFAR-10 CNN (4711)"


def table(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def test_grades_csv_has_a_points_column_per_rubric_item_in_rubric_order(tmp_path):
    rows = [
        result("a", 50, [10, 20]),  # no accuracy check: blank there
        result("b", 70, [10, 20, 40]),
        result("c", 90, [10, 30, 50]),
    ]
    rows[1].checks.append({"name": "extra", "points": 1})  # first seen in the second row
    results.write_gradebook(tmp_path, rows)
    with (tmp_path / results.GRADEBOOK).open(newline="") as f:
        reader = csv.DictReader(f)
        got = list(reader)
    points = [f"points:{n}" for n in [*CHECKS, "extra"]]
    assert reader.fieldnames == results.GRADEBOOK_FIELDS + points
    assert [[r[p] for p in points] for r in got] == [
        ["10", "20", "", ""],
        ["10", "20", "40", "1"],
        ["10", "30", "50", ""],
    ]


def test_canvas_gradebook_is_filled_for_matched_students_and_untouched_elsewhere(out, tmp_path):
    gradebook, filled = tmp_path / "canvas.csv", tmp_path / "filled.csv"
    gradebook.write_bytes(CANVAS.encode("utf-8"))
    done = cli(
        "export", "canvas", str(out), "--gradebook", str(gradebook), "--column", COLUMN,
        "--match", "SIS Login ID", "--output", str(filled),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    before, after = table(gradebook), table(filled)
    col = before[0].index(COLUMN)
    expected = {"Smith, Alice": "87.5", "Jones, Bob": "0", "King, Carol": "66.67"}
    for old, new in zip(before, after, strict=True):  # same rows, same cells
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            assert b == (expected.get(old[0], a) if i == col else a), (old[0], before[0][i])
    # the file comes back as Canvas wrote it: BOM, separators, quoting of untouched rows
    raw_in, raw_out = CANVAS.encode(), filled.read_bytes()
    assert raw_out.startswith(b"\xef\xbb\xbf")
    untouched = [line for line in CANVAS.splitlines() if not any(n in line for n in expected)]
    assert len(untouched) == 6 and all(line in raw_out.decode() for line in untouched)
    assert len(raw_out.splitlines()) == len(raw_in.splitlines())
    lines = done.stdout.splitlines()
    assert "3 student(s) graded" in lines[0]
    assert "no submission (1): Doe, Dana (dana)" in lines
    assert "submission matched no student (1): zed" in lines  # not the test student's login
    assert any(line.startswith("not graded yet") and "Lee, Dave (dave)" in line for line in lines)


def test_canvas_with_semicolons_a_roster_and_the_title_alone(out, tmp_path):
    gradebook, filled, roster = tmp_path / "c.csv", tmp_path / "f.csv", tmp_path / "r.csv"
    gradebook.write_text(
        "Student;ID;SIS User ID;SIS Login ID;Section;CNN (9);Final Score\r\n"
        "    Points Possible;;;;;100;(read only)\r\n"
        "Smith, Alice;101;S101;u-1;A;;1,5\r\n"
        "King, Carol;103;S103;u-3;A;;2,5\r\n",
        encoding="utf-8",
    )
    roster.write_text("student,submission\nU-1,alice\nu-9,nobody\n", encoding="utf-8")
    done = cli(
        "export", "canvas", str(out), "--gradebook", str(gradebook), "--column", "CNN",
        "--match", "SIS Login ID", "--roster", str(roster), "--output", str(filled),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert filled.read_bytes().decode() == (
        "Student;ID;SIS User ID;SIS Login ID;Section;CNN (9);Final Score\r\n"
        "    Points Possible;;;;;100;(read only)\r\n"
        "Smith, Alice;101;S101;u-1;A;87.5;1,5\r\n"
        "King, Carol;103;S103;u-3;A;;2,5\r\n"
    )
    assert "no submission (1): King, Carol (u-3)" in done.stdout
    # not in the roster: no student, whatever their file is called
    assert "submission matched no student (4): BOB; carol.k; zed; dave" in done.stdout


@pytest.mark.parametrize(
    "change, args, message",
    [
        (None, ["--column", "Quiz 9 (1)"], "no assignment column 'Quiz 9 (1)'"),
        (None, ["--column", "Current Score"], "no assignment column 'Current Score'"),
        (None, ["--match", "Email"], "no student column 'Email'"),
        ("    Points Possible", [], 'no "Points Possible" row'),
        ("grades", [], "no grades.csv in"),
        ("ambiguous", [], "'alice' and 'ALICE' both stand for"),
        ("latin-1", [], "is not UTF-8"),
    ],
)
def test_bad_gradebooks_and_columns_exit_2_with_a_message(out, tmp_path, change, args, message):
    gradebook, filled = tmp_path / "canvas.csv", tmp_path / "filled.csv"
    gradebook.write_text(CANVAS, encoding="utf-8")
    if change == "    Points Possible":
        gradebook.write_text(CANVAS.replace(change, "Possible"), encoding="utf-8")
    if change == "latin-1":
        gradebook.write_bytes(CANVAS[1:].replace("Smith", "Sm\u00efth").encode("latin-1"))
    if change == "grades":
        (out / results.GRADEBOOK).unlink()
    if change == "ambiguous":
        with (out / results.GRADEBOOK).open("a") as f:
            f.write("ALICE,graded,1,100,False\n")
    done = cli(
        "export", "canvas", str(out), "--gradebook", str(gradebook), "--column", COLUMN,
        "--output", str(filled), *args,
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not filled.exists()


def test_roster_export_has_a_row_per_student_and_says_who_is_unmatched(out, tmp_path):
    roster, written = tmp_path / "roster.csv", tmp_path / "moodle.csv"
    roster.write_text(
        "\ufeffsubmission,student,email\n"
        "alice,alice@uni.example,x\n"
        " bob ,bob@uni.example,x\n"
        ",erin@uni.example,x\n"
        "frank,frank@uni.example,x\n"
        "dave,dave@uni.example,x\n",
        encoding="utf-8",
    )
    done = cli("export", "roster", str(out), "--roster", str(roster), "--output", str(written))
    assert done.returncode == 0, done.stderr
    got = list(csv.DictReader(io.StringIO(written.read_text(encoding="utf-8"))))
    points = [f"points:{n}" for n in CHECKS]
    assert list(got[0]) == ["student", "submission", "score", "max_score", "passed", *points]
    assert [[r[k] for k in ("student", "submission", "score", "passed")] for r in got] == [
        ["alice@uni.example", "alice", "87.5", "True"],
        ["bob@uni.example", "bob", "0.0", "False"],
        ["erin@uni.example", "", "", ""],
        ["frank@uni.example", "frank", "", ""],
        ["dave@uni.example", "dave", "", ""],  # lost: not a grade
    ]
    assert [got[0][p] for p in points] == ["10", "27.5", "50"]
    assert "no submission (2): erin@uni.example; frank@uni.example (frank)" in done.stdout
    assert "submission matched no student (2): carol.k; zed" in done.stdout
    assert "not graded yet" in done.stdout and "dave@uni.example (dave)" in done.stdout


def test_a_roster_without_its_columns_exits_2(out, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\n1,a\n", encoding="utf-8")
    done = cli("export", "roster", str(out), "--roster", str(roster), "--output", "x.csv")
    assert done.returncode == 2 and "submission,student" in done.stderr
