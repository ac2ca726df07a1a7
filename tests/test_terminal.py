"""The terminal lines: columns that fit the batch, texts cut at a word, a line when a
submission starts where no progress bar can show it."""

from dataclasses import replace

from grader.reporting import terminal
from grader.result_schema import Result
from tests.conftest import a_result


def _result(name: str, message: str = "") -> Result:
    failed = bool(message)
    return a_result(
        submission=name,
        status="failed" if failed else "graded",
        score=0 if failed else 91.5,
        max_score=100,
        accuracy=None if failed else 0.4321,
        seeds=None,
        duration_s=12.3,
        failure={"message": message} if failed else None,
    )


def test_long_ids_keep_the_columns_aligned():
    ids = ["alice", "bob_the_student_with_a_very_long_name_2024"]
    width = terminal.id_width(ids)
    lines = [terminal.line(_result(i), False, width) for i in ids]
    assert width == len(ids[1])
    assert len({ln.index("graded") for ln in lines}) == 1
    assert ids[1] in lines[1]


def test_failure_text_is_cut_at_a_word_with_an_ellipsis():
    message = "TypeError: " + "an error that goes on and on " * 10
    text = terminal.line(_result("carol", message), False, 12)
    tail = text.split("0/100", 1)[1].rsplit(" ", 1)[0].strip()
    assert tail.endswith("…") and len(tail) <= terminal.TAIL
    assert tail[:-1] == message[: len(tail) - 1].rstrip()  # whole words only
    assert terminal.cut("short", 90) == "short"


def test_started_lines_when_not_on_a_terminal(capsys):
    with terminal.Progress(["alice", "bob"]) as progress:  # pytest's stdout is no terminal
        progress.started("alice")
        progress.done(_result("alice"), False)
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["alice", "started"]
    assert out[1].split()[:2] == ["alice", "graded"]


def test_a_failed_required_rule_is_named_on_graded_lines_only():
    graded = replace(_result("dave"), required_failed=["convolutions"])
    assert "not passing: required convolutions failed" in terminal.line(graded, False)
    failed = replace(_result("erin", "TypeError: bad"), required_failed=["convolutions"])
    assert "required" not in terminal.line(failed, False)  # the failure is the reason


def test_a_problem_is_worded_once_for_the_terminal_the_exports_and_the_pages():
    from grader.reporting import html, problem_text

    p = {"message": "NameError: x", "hint": "define x", "cell": 3, "line": 9, "excerpt": ["x"]}
    assert problem_text.lines(p) == ["cell 3, line 9: NameError: x", "x", "Hint: define x"]
    assert problem_text.lines({**p, "cell": None}, "hint", "  ")[0] == "  line 9: NameError: x"
    assert problem_text.where({"message": "m", "hint": "h"}) == ""
    page = html.environment().get_template("_problem.html.j2").render(p=p, css="failure")
    assert "<strong>Cell 3, line 9: </strong>NameError: x" in page
