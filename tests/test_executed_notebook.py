"""executed.ipynb: a notebook with failing cells, graded once at the tiny budget, comes back
as a valid notebook with each cell's streams, value, error and the grader's notes; a
module gets none; a re-run that reuses the result keeps it. The builder and the per-cell
cap are also tested on their own (no sandbox): the sandbox's records are untrusted."""

from __future__ import annotations

import nbformat
import pytest

from grader.inside.transcript import Transcript
from grader.reporting import notebook
from tests.conftest import SUBMISSIONS, cli, grade_args, results, tiny_batch

pytestmark = pytest.mark.slow  # grades, or starts warm parents that import TensorFlow

NOTEBOOK = SUBMISSIONS / "errors_then_model.ipynb"
MISSING = "module_the_grader_has_not_got"
# Appended after the fixture's cells, so its cells keep their numbers (3 raises NameError,
# 4 calls exit(), 8 fits for 100 epochs, 9 calls the removed predict_classes).
PRINTS = f"""import sys
import {MISSING}
print("normalised images:", xtr.shape)
print("a warning of mine", file=sys.stderr)
!pip install nothing-at-all
cnn.count_params()"""


def _outputs(cell, kind: str, name: str | None = None) -> list:
    return [o for o in cell.outputs if o.output_type == kind and name in (None, o.get("name"))]


def _notes(cell) -> str:
    return "".join(o.text for o in _outputs(cell, "stream") if o.text.startswith(notebook.NOTE))


@pytest.fixture(scope="module")
def graded(tmp_path_factory, data_path):
    folder = tmp_path_factory.mktemp("class")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PRINTS))
    nbformat.write(nb, folder / "nb.ipynb")
    (folder / "mod.py").write_text((SUBMISSIONS / "no_model.py").read_text())
    out, spec, _ = tiny_batch(tmp_path_factory, data_path, [folder])
    return out, spec, folder, nb


def test_executed_notebook_shows_outputs_errors_and_notes(graded):
    out, _, _, original = graded
    path = out / "nb" / notebook.EXECUTED
    executed = nbformat.read(path, as_version=4)
    nbformat.validate(executed)
    assert [c.source for c in executed.cells] == [c.source for c in original.cells]
    cells = dict(enumerate(executed.cells, start=1))
    assert cells[1].cell_type == "markdown"

    (error,) = _outputs(cells[3], "error")
    assert error.ename == "NameError" and "undefined_variable" in error.evalue
    assert any("<cell 3>" in line for line in error.traceback)
    assert _outputs(cells[4], "error")[0].ename == "SystemExit"
    assert "exit()" in _notes(cells[4])
    assert not _outputs(cells[9], "error")  # the removed predict_classes, translated:
    assert "translated `predict_classes(x)`" in _notes(cells[9])
    assert not _outputs(cells[2], "error") and not _outputs(cells[6], "error")

    fit_note = _notes(cells[8])
    assert "fit() was capped" in fit_note and "instead of 100 of" in fit_note

    last = cells[len(cells)]
    stdout = "".join(o.text for o in _outputs(last, "stream", "stdout"))
    assert "normalised images: (" in stdout
    stderr = "".join(o.text for o in _outputs(last, "stream", "stderr"))
    assert "a warning of mine" in stderr
    assert "skipped `!pip install nothing-at-all`" in _notes(last)
    assert f"No module named '{MISSING}'" in _notes(last)
    (value,) = _outputs(last, "execute_result")
    result = results(out)["nb"]
    assert value.data["text/plain"] == str(result["architecture"]["params"])

    counts = [c.execution_count for c in executed.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))  # every code cell ran, in order
    assert 'href="executed.ipynb"' in (out / "nb" / "report.html").read_text()


def test_a_module_gets_none_and_a_reused_result_keeps_it(graded, data_path):
    out, spec, folder, _ = graded
    assert results(out)["mod"]["failure"]["kind"] == "no_model"
    assert not (out / "mod" / notebook.EXECUTED).exists()
    assert "executed.ipynb" not in (out / "mod" / "report.html").read_text()
    path = out / "nb" / notebook.EXECUTED
    stamp = path.stat().st_mtime_ns
    again = cli(*grade_args([folder], spec, out, data_path))
    assert again.returncode == 0 and "reused" in again.stdout
    assert path.stat().st_mtime_ns == stamp


def test_untrusted_records_make_only_plain_text_outputs(tmp_path):
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# title"), nbformat.v4.new_code_cell("x")]
    )
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="stale")]
    entry = tmp_path / "nb.ipynb"
    nbformat.write(nb, entry)
    records = [
        "not a record",
        {"number": 1, "streams": [{"name": "stdout", "text": "on markdown"}]},
        {
            "number": 2,
            "streams": [
                {"name": "stdout", "text": "<script>alert(1)</script>"},
                {"name": "display_data", "text": "bad name"},
                {"name": "stdout", "text": 5},
            ],
            "error": {"ename": "E", "evalue": None, "traceback": ["ok", 3]},
            "value": "\ud800 lone surrogate",
            "notes": ["a note", None],
        },
        {"number": 99},
    ]
    built = nbformat.reads(notebook.build(entry, records, "test"), as_version=4)
    nbformat.validate(built)
    assert not built.cells[0].get("outputs")
    cell = built.cells[1]
    kinds = [(o.output_type, o.get("name")) for o in cell.outputs]
    assert kinds == [
        ("stream", "stderr"),
        ("stream", "stdout"),
        ("execute_result", None),
        ("error", None),
    ]
    assert cell.outputs[0].text == f"{notebook.NOTE}a note\n"
    assert list(cell.outputs[2].data) == ["text/plain"]
    assert cell.outputs[3].traceback == ["ok"] and cell.outputs[3].evalue == ""
    assert notebook.build(entry, None, "test") is None


def test_each_cell_keeps_the_head_and_tail_of_its_output_within_the_budget():
    transcript = Transcript(4000)  # a cell keeps at most 1000 characters: 500 + 500
    for number, lines in ((1, 300), (2, 300), (3, 300), (4, 300), (5, 1)):
        transcript.start(number)
        for i in range(lines):
            transcript.write("stdout" if i % 2 else "stderr", f"line {i:04d}\n")
        transcript.finish()
    cells = transcript.records([{"cell": 2, "text": "changed"}])
    first = "".join(s["text"] for s in cells[0]["streams"])
    assert first.startswith("line 0000\n") and first.endswith("line 0299\n")
    assert "characters of output cut" in first and len(first) < 1100
    assert cells[1]["notes"] == ["changed"] and cells[0]["notes"] == []
    markers = 60 * len(cells)  # "[... N characters of output cut ...]" each
    assert sum(len(s["text"]) for c in cells for s in c["streams"]) <= 4000 + markers
    assert [s["text"] for s in cells[4]["streams"]] == [
        "\n[... 10 characters of output cut ...]\n"
    ]  # the budget was spent: what came later is counted, not kept
