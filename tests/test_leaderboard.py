"""Leaderboards: accuracy on labels no student sees, under one budget. The public and
private split is fixed for the term; the page ranks on the public images, and on the
private ones only with --final; Gradescope's leaderboard shows the public accuracy."""

from __future__ import annotations

import json

import numpy as np
import pytest
from bs4 import BeautifulSoup

from grader.judging.scoring import accuracy, split_accuracy
from grader.reporting import exports, leaderboard
from tests.conftest import EXAMPLES, TINY, a_result, cli, results, spec_text

BOARD = '\n[leaderboard]\nenabled = true\nnames = "pseudonym"\nprivate_share = 0.5\nseed = 7\n'


def test_the_split_is_fixed_and_a_zero_share_is_every_image():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 300)
    predictions = rng.random((300, 10))
    assert split_accuracy(predictions, labels, 0.5, 7) == split_accuracy(
        predictions, labels, 0.5, 7
    )
    public, private = split_accuracy(predictions, labels, 0.0, 7)
    assert private is None and public == round(accuracy(predictions, labels), 4)
    public, private = split_accuracy(predictions, labels, 0.5, 7)
    assert round((public + private) / 2, 3) == round(accuracy(predictions, labels), 3)


def _ranked(name: str, public: float, private: float, params: int):
    board = {"public_accuracy": public, "private_accuracy": private, "params": params}
    return a_result(submission=name, status="graded", leaderboard=board)


def test_ties_share_a_rank_and_fewer_parameters_go_first():
    found = [
        _ranked("a", 0.5, 0.4, 1000),
        _ranked("b", 0.5, 0.6, 500),
        _ranked("c", 0.5, 0.6, 500),
        _ranked("d", 0.7, 0.1, 9000),
        a_result(submission="e", leaderboard=None),
    ]
    rows = leaderboard.ranking(found, final=False)
    assert [(r["id"], r["rank"]) for r in rows] == [("d", 1), ("b", 2), ("c", 2), ("a", 4)]
    final = leaderboard.ranking(found, final=True)
    assert [r["id"] for r in final] == ["b", "c", "a", "d"]


def test_gradescope_shows_the_public_accuracy_and_the_size_only_when_kept(tmp_path):
    path = tmp_path / "results.json"
    exports.gradescope([_ranked("a", 0.51, 0.49, 1234)], path)
    entries = json.loads(path.read_text())["leaderboard"]
    assert entries == [{"name": "accuracy", "value": 0.51, "order": "desc"},
                       {"name": "parameters", "value": 1234, "order": "asc"}]  # fmt: skip
    exports.gradescope([_ranked("a", 0.51, 0.49, 1234)], path, lambda item: "hidden")
    assert [e["name"] for e in json.loads(path.read_text())["leaderboard"]] == ["parameters"]
    exports.gradescope([a_result(leaderboard=None)], path)
    assert "leaderboard" not in json.loads(path.read_text())


@pytest.mark.slow
def test_the_page_shows_the_private_split_only_with_final(tmp_path, data_path):
    spec = tmp_path / "spec" / "assignment.toml"
    spec.parent.mkdir()
    spec.write_text(spec_text(**TINY) + BOARD)
    out = tmp_path / "out"
    done = cli("grade", str(EXAMPLES / "good_cnn.py"), str(EXAMPLES / "dense_only.py"),
               "--out", str(out), "--data", data_path, "--assignment", str(spec))  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    boards = {name: r["leaderboard"] for name, r in results(out).items()}
    assert all(b["public_accuracy"] is not None and b["private_accuracy"] is not None
               for b in boards.values())  # fmt: skip

    def page(*options: str) -> str:
        made = cli("leaderboard", str(out), "--assignment", str(spec), *options)
        assert made.returncode == 0, made.stderr
        return BeautifulSoup((out / leaderboard.PAGE).read_text(), "html.parser")

    def shown(soup) -> list[str]:
        return [td.get_text() for td in soup.select("#board td:nth-of-type(3)")]

    term = page()
    assert sorted(shown(term)) == sorted(f"{b['public_accuracy']:.4f}" for b in boards.values())
    pseudonyms = json.loads((out / leaderboard.PSEUDONYMS).read_text())
    text = term.get_text()
    assert set(pseudonyms) == set(boards) and not any(name in text for name in boards)
    final = page("--final")
    assert sorted(shown(final)) == sorted(f"{b['private_accuracy']:.4f}" for b in boards.values())
    assert json.loads((out / leaderboard.PSEUDONYMS).read_text()) == pseudonyms  # kept
