"""Similarity: near-copies by code and by model. Most tests need no training: code
fingerprints work on the files in tests/similarity/, model signals on result.json files
written here in the grader's shape. One tiny batch (marked slow) checks the real thing:
a disguised copy and a differently written copy of one model get identical predictions."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from bs4 import BeautifulSoup

from grader import assignment, collect
from grader.similarity import code, model, pairs, sources
from tests.conftest import ROOT, a_result, cli, results, tiny_batch

HERE = Path(__file__).resolve().parent / "similarity"
TEMPLATE = ROOT / "assignments" / "cifar10_cnn" / "template.ipynb"
HOSTILE = '</script><script>document.title = "pwned"</script>'


def _rows(out: Path) -> list[dict]:
    with (out / "similarity.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def _row(rows: list[dict], a: str, b: str) -> dict | None:
    return next((r for r in rows if {r["a"], r["b"]} == {a, b}), None)


def _entries(tmp_path: Path, names: list[str], excluded=None) -> dict[str, pairs.Entry]:
    subs = [collect.one(HERE / n, tmp_path) for n in names]
    if excluded is None:
        excluded, problems = sources.excluded_hashes(assignment.load("cifar10_cnn"), [], tmp_path)
        assert problems == []
    return {e.id: e for e in sources.entries(subs, {}, excluded)}


def _similarity(x: pairs.Entry, y: pairs.Entry) -> float:
    shared = len(x.code.fingerprints & y.code.fingerprints)
    return pairs.code_similarity(shared, len(x.code.fingerprints), len(y.code.fingerprints))


def _similarity_cli(*paths: Path, out: Path, options: tuple[str, ...] = ()):
    done = cli("similarity", *map(str, paths), "--out", str(out), *options, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


# --- code ----------------------------------------------------------------------------


def test_every_disguise_normalises_away():
    """Renamed variables, functions and parameters, new comments and docstrings, the
    other quote style and reordered imports: the same token sequence."""
    original = (HERE / "original.py").read_text()
    disguised = (HERE / "disguised.py").read_text()
    assert original != disguised
    assert '"relu"' in original and "'relu'" in disguised  # the quote style changed
    tokens = [
        [t for t, _, _ in code.normalise(text, code.chosen_names([text]))]
        for text in (original, disguised)
    ]
    assert len(tokens[0]) > 200
    assert tokens[0] == tokens[1]


@pytest.mark.parametrize(
    ("change", "kept"),
    [
        (lambda s: s.replace("filters", "n_f"), True),  # a renamed parameter
        (lambda s: s.replace('"', "'"), True),
        (lambda s: s.replace("# flatten the feature maps", "# now the head"), True),
        (lambda s: s.replace("import numpy as np\n", "") + "\nimport numpy as np\n", True),
        (lambda s: s.replace("layers.Conv2D", "layers.SeparableConv2D"), False),  # API
        (lambda s: s.replace("activation=", "kernel_initializer="), False),
    ],
)
def test_what_counts_as_a_change(change, kept):
    """Disguises leave the tokens as they were; library calls and keyword arguments the
    student did not choose are kept, so independent code stays apart."""
    original = (HERE / "original.py").read_text()
    changed = change(original)
    assert changed != original
    same = [
        [t for t, _, _ in code.normalise(text, code.chosen_names([text]))]
        for text in (original, changed)
    ]
    assert (same[0] == same[1]) is kept


def test_independent_cnns_stay_apart(tmp_path):
    found = _entries(tmp_path, ["original.py", "independent.py", "same_model.py"])
    assert _similarity(found["original"], found["independent"]) < 0.5
    assert _similarity(found["same_model"], found["independent"]) < 0.5
    assert _similarity(found["original"], found["same_model"]) < 0.5  # other code, same model


def test_template_code_is_never_evidence(tmp_path):
    """Two notebooks that share only the template's code: nothing in common once the
    template is excluded; counted, they would be flagged (so this test can fail)."""
    names = ["template_a.ipynb", "template_b.ipynb"]
    found = _entries(tmp_path, names)
    assert _similarity(found["template_a"], found["template_b"]) == 0
    raw = _entries(tmp_path, names, excluded=frozenset())
    assert _similarity(raw["template_a"], raw["template_b"]) >= pairs.FLAG_AT
    out = tmp_path / "out"
    _similarity_cli(HERE / names[0], HERE / names[1], out=out)
    assert _rows(out) == []


def test_a_starter_file_is_excluded(tmp_path):
    """Code handed to everyone (--starter) is left out like the template."""
    helper = (HERE / "original.py").read_text().split("def build_model")[0]
    (tmp_path / "starter.py").write_text(helper)
    for name, body in (("ann", "independent.py"), ("bob", "same_model.py")):
        rest = (HERE / body).read_text()
        (tmp_path / f"{name}.py").write_text(helper + "\n\n" + rest)
    subs = [tmp_path / "ann.py", tmp_path / "bob.py"]
    _similarity_cli(*subs, out=tmp_path / "plain")
    assert float(_row(_rows(tmp_path / "plain"), "ann", "bob")["code_similarity"]) >= 0.4
    starter = ("--starter", str(tmp_path / "starter.py"))
    _similarity_cli(*subs, out=tmp_path / "starter", options=starter)
    assert _row(_rows(tmp_path / "starter"), "ann", "bob") is None


def test_broken_code_and_magics_still_have_fingerprints():
    cell = "!pip install keras\n%matplotlib inline\nx = [1, 2\nfor i in range(3):\n  print(i"
    tokens = code.normalise(cell, code.chosen_names([code.strip_magics(cell)]))
    assert tokens and all(t not in ("pip", "matplotlib") for t, _, _ in tokens)


def test_a_broken_cell_does_not_change_how_the_rest_reads():
    """A half-written cell beside the code (a cheap disguise, and common in honest
    notebooks) leaves the other cells' tokens as they were."""
    original = (HERE / "original.py").read_text()
    alone = code.normalise(original, code.chosen_names([original]))
    beside = code.normalise(original, code.chosen_names([original, "x = ("]))
    assert [t for t, _, _ in alone] == [t for t, _, _ in beside]


def test_winnowing_keeps_a_fingerprint_per_window():
    hashes = [5, 3, 9, 3, 7, 1, 8, 8, 2, 6, 4]
    chosen = code.winnow(hashes, 4)
    for start in range(len(hashes) - 3):
        window = range(start, start + 4)
        assert any(i in window and hashes[i] == min(hashes[j] for j in window) for i in chosen)
    assert chosen == sorted(set(chosen))


def test_a_thousand_submissions_compare_in_seconds():
    """The inverted index: never every pair. (bench/similarity.py prints the figures.)"""
    import time

    text = (HERE / "original.py").read_text()
    entries = []
    for i in range(1000):
        variant = text.replace("128", str(i)).replace("def describe", f"def f{i}")
        variant += f"\n\ndef extra_{i}(v):\n" + "".join(
            f"    v = v * {j} + len(str(v)) - {i % (j + 2)}\n" for j in range(i % 7)
        )
        sources_ = [code.Source("", variant)]
        entries.append(pairs.Entry(f"s{i}", code.fingerprint(sources_)))
    started = time.perf_counter()
    found = pairs.compare(entries)
    assert time.perf_counter() - started < 10
    assert found.common_fingerprints > 0  # shared by all: idioms, not 500,000 pairs


# --- model signals -------------------------------------------------------------------


def _architecture(filters: int = 32, names: str = "") -> dict:
    return {
        "class": "Sequential",
        "input_shape": [None, 32, 32, 3],
        "layers": [
            {
                "name": f"conv2d{names}",
                "class": "Conv2D",
                "activation": "relu",
                "params": 896,
                "trainable": True,
                "output_shape": [None, 32, 32, filters],
                "config": {"filters": filters, "kernel_size": [3, 3], "padding": "same"},
            },
            {
                "name": f"dense{names}",
                "class": "Dense",
                "activation": "softmax",
                "params": 650,
                "trainable": True,
                "config": {"units": 10},
            },
        ],
    }


def test_architecture_fingerprint_ignores_names_not_hyper_parameters():
    same = model.architecture_fingerprint(_architecture())
    assert same == model.architecture_fingerprint(_architecture(names="_7"))
    assert same != model.architecture_fingerprint(_architecture(filters=64))
    assert model.architecture_fingerprint({"layers": []}) is None
    assert model.architecture_fingerprint(None) is None


def test_prediction_hash_is_bit_exact():
    rng = np.random.default_rng(0)
    p = rng.random((50, 10)).astype(np.float32)
    assert model.prediction_hash(p) == model.prediction_hash(p.copy())
    assert model.prediction_hash(p) == model.prediction_hash(p.astype(np.float64))
    nudged = p.copy()
    nudged[3, 4] = np.nextafter(nudged[3, 4], np.float32(2))
    assert model.prediction_hash(p) != model.prediction_hash(nudged)
    # two broken models that both predict class 0 for every image: not the same model
    one_hot = np.zeros((50, 10), np.float32)
    one_hot[:, 0] = 1
    mostly = np.full((50, 10), 0.01, np.float32)
    mostly[:, 0] = 0.91
    assert (one_hot.argmax(1) == mostly.argmax(1)).all()
    assert model.prediction_hash(one_hot) != model.prediction_hash(mostly)


def _stored(out: Path, sub: str, arch: dict | None, predictions: str | None, new: bool = True):
    """A result.json as the grader writes it; ``new=False``: one stored before the
    similarity signals existed (no architecture_fingerprint, no prediction_hash)."""
    result = a_result(
        submission=sub,
        status="graded",
        score=80,
        max_score=100,
        architecture=arch,
        source=str(HERE / f"{sub}.py"),
        architecture_fingerprint=model.architecture_fingerprint(arch) if new else None,
        prediction_hash=predictions if new else None,
    )
    (out / sub).mkdir(parents=True, exist_ok=True)
    (out / sub / "result.json").write_text(json.dumps(result.to_json()))


def test_same_model_from_other_code_is_flagged_and_clusters(tmp_path):
    """Model signals from result.json: the same architecture and predictions flag a pair
    whose code differs; three linked submissions make one cluster."""
    out = tmp_path / "out"
    digest = "ab" * 32
    for sub in ("original", "disguised", "same_model"):
        _stored(out, sub, _architecture(), digest)
    _stored(out, "independent", _architecture(filters=24), "cd" * 32)
    paths = [HERE / f"{n}.py" for n in ("original", "disguised", "same_model", "independent")]
    _similarity_cli(*paths, out=out)
    rows = _rows(out)
    assert {rows[0]["a"], rows[0]["b"]} == {"disguised", "original"}
    assert float(rows[0]["code_similarity"]) >= 0.8
    other = _row(rows, "original", "same_model")
    assert float(other["code_similarity"]) < 0.5
    assert (other["same_architecture"], other["same_predictions"], other["flagged"]) == (
        "true",
        "true",
        "true",
    )
    assert other["cluster"] == rows[0]["cluster"] == "1"
    assert _row(rows, "original", "independent") is None
    page = BeautifulSoup((out / "similarity.html").read_text(), "html.parser")
    clusters = page.find("h2", string="Clusters").find_next("ul").get_text()
    assert "disguised, original, same_model" in clusters and "independent" not in clusters


def test_results_stored_before_the_signals_still_work(tmp_path):
    """No architecture_fingerprint: computed from architecture; no prediction_hash:
    same_predictions is 'unknown', never a guess."""
    out = tmp_path / "out"
    _stored(out, "original", _architecture(), None, new=False)
    _stored(out, "same_model", _architecture(names="_2"), None, new=False)
    _similarity_cli(HERE / "original.py", HERE / "same_model.py", out=out)
    row = _row(_rows(out), "original", "same_model")
    assert (row["same_architecture"], row["same_predictions"], row["flagged"]) == (
        "true",
        "unknown",
        "false",
    )


def test_against_compares_with_earlier_results_not_among_them(tmp_path):
    """--against a results folder: each result's code is read from its source; earlier
    submissions are compared with the class, never with each other."""
    earlier = tmp_path / "2023"
    for sub in ("original", "disguised"):
        _stored(earlier, sub, _architecture(), "ef" * 32)
    out = tmp_path / "out"
    _similarity_cli(HERE / "same_model.py", out=out, options=("--against", str(earlier)))
    rows = _rows(out)
    assert _row(rows, "2023/original", "2023/disguised") is None
    assert _row(rows, "same_model", "2023/original") is None  # other code, no result yet
    _stored(out, "same_model", _architecture(), "ef" * 32)
    _similarity_cli(HERE / "same_model.py", out=out, options=("--against", str(earlier)))
    row = _row(_rows(out), "same_model", "2023/original")
    assert row["same_predictions"] == "true"
    copied = tmp_path / "copied"
    copied.mkdir()
    shutil.copy(HERE / "disguised.py", copied / "late.py")
    _similarity_cli(copied / "late.py", out=out, options=("--against", str(earlier)))
    assert float(_row(_rows(out), "late", "2023/original")["code_similarity"]) >= 0.8


def test_usage_errors(tmp_path):
    for args in (
        ["similarity", str(tmp_path / "none.py"), "--out", str(tmp_path)],
        ["similarity", str(HERE / "original.py"), "--against", str(tmp_path / "none")],
    ):
        done = cli(*args, timeout=120)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr


# --- the page ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("page")
    paths = [HERE / n for n in ("original.py", "disguised.py", "independent.py")]
    _similarity_cli(*paths, out=out)
    return out / "similarity.html"


def test_page_escapes_hostile_code(page):
    """A `</script>` in a student's comment is text in the page, not markup."""
    assert HOSTILE in (HERE / "disguised.py").read_text()
    soup = BeautifulSoup(page.read_text(), "html.parser")
    assert soup.find_all("script") == [] and soup.find_all("img") == []
    assert soup.title.get_text().endswith("similarity")
    view = soup.find("section", id="pair-1")
    assert "disguised" in view.h2.get_text() and "original" in view.h2.get_text()
    cells = [td.get_text() for td in view.find_all("td")]
    assert any(HOSTILE in text for text in cells)
    marked = [tr.get_text() for tr in view.select("tr.hit")]
    assert any("Conv2D" in line for line in marked)
    assert not any("import" in line for line in marked)  # imports are never evidence
    assert soup.find("a", href="#pair-1") is not None


def test_page_loads_in_chromium_offline_and_clean(page):
    from tests.test_reports import _browser

    driver = _browser()
    try:
        driver.get(page.as_uri() + "#pair-1")
        assert "pwned" not in driver.title
        assert driver.execute_script("return document.scripts.length") == 0
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == []
        shown = driver.execute_script(
            "return getComputedStyle(document.getElementById('pair-1')).display"
        )
        assert shown == "block"  # the selected pair, side by side
        hidden = driver.execute_script(
            "var s = document.getElementById('pair-2');"
            "return s ? getComputedStyle(s).display : 'none'"
        )
        assert hidden == "none"
    finally:
        driver.quit()


def test_help_stays_fast():
    """The command's module is imported only when it runs."""
    code_ = (
        "import sys, grader.cli; grader.cli.build_parser(); "
        "print('grader.similarity' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code_], capture_output=True, text=True, cwd=ROOT, env=os.environ
    )
    assert done.stdout.strip() == "False"


# --- one real batch ------------------------------------------------------------------


@pytest.fixture(scope="module")
def graded(tmp_path_factory, data_path) -> Path:
    folder = tmp_path_factory.mktemp("class")
    for name in ("original.py", "disguised.py", "same_model.py", "independent.py"):
        shutil.copy(HERE / name, folder / name)
    out, _, done = tiny_batch(tmp_path_factory, data_path, [folder], template=str(TEMPLATE))
    assert "grader: similarity:" in done.stderr
    return out


@pytest.mark.slow
def test_grading_finds_the_copies_by_code_and_by_model(graded):
    stored = results(graded)
    assert all(r["status"] == "graded" for r in stored.values()), stored
    for r in stored.values():
        assert len(r["prediction_hash"]) == 64 and r["architecture_fingerprint"]
    rows = _rows(graded)
    first = rows[0]
    assert {first["a"], first["b"]} == {"disguised", "original"}
    assert float(first["code_similarity"]) >= 0.8
    assert first["same_architecture"] == first["same_predictions"] == "true"
    other = _row(rows, "original", "same_model")  # other code, the same model
    assert float(other["code_similarity"]) < 0.5
    assert other["same_architecture"] == other["same_predictions"] == "true"
    assert other["flagged"] == "true"
    assert _row(rows, "original", "independent") is None  # < 0.3 and another model
    assert stored["independent"]["architecture_fingerprint"] not in {
        stored[n]["architecture_fingerprint"] for n in ("original", "same_model")
    }
    assert stored["independent"]["prediction_hash"] != stored["original"]["prediction_hash"]
    index = BeautifulSoup((graded / "index.html").read_text(), "html.parser")
    assert index.find("a", href="similarity.html") is not None


@pytest.mark.slow
def test_similarity_command_reads_the_grades_model_signals(graded, tmp_path):
    """Without grading again: the same rows from the submissions and their results."""
    before = _rows(graded)
    (graded / "similarity.csv").unlink()
    folder = Path(results(graded)["original"]["source"]).parent
    _similarity_cli(folder, out=graded)
    assert _rows(graded) == before
