import json
import zipfile

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from grader.collect import collect
from tests.conftest import EXAMPLES


def _one(tmp_path, path):
    subs, usage = collect([str(path)], tmp_path / "scratch")
    assert usage == []
    assert len(subs) == 1
    return subs[0]


def test_examples_folder_gives_one_submission_per_file(tmp_path):
    subs, usage = collect([str(EXAMPLES)], tmp_path)
    assert usage == []
    assert {s.id for s in subs} == {p.stem for p in EXAMPLES.iterdir()}
    nb = next(s for s in subs if s.id == "freeform_colab")
    assert nb.kind == "notebook" and nb.problem is None
    assert nb.cells[0].number == 2  # cell 1 is markdown
    assert "pip install" in nb.cells[0].source


def test_missing_path_and_empty_folder_are_usage_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    subs, usage = collect([str(tmp_path / "nope"), str(tmp_path / "empty")], tmp_path)
    assert subs == []
    assert "no such file" in usage[0] and "empty folder" in usage[1]


def test_wrong_file_type_is_rejected_with_hint(tmp_path):
    path = tmp_path / "essay.pdf"
    path.write_bytes(b"%PDF-1.4")
    sub = _one(tmp_path, path)
    assert sub.problem.kind == "rejected"
    assert "not a notebook" in sub.problem.message and ".ipynb" in sub.problem.hint


def test_invalid_json_notebook(tmp_path):
    path = tmp_path / "broken.ipynb"
    path.write_text('{"cells": [')
    sub = _one(tmp_path, path)
    assert sub.problem.kind == "rejected"
    assert "not valid notebook JSON (line 1" in sub.problem.message


def test_json_that_is_not_a_notebook(tmp_path):
    path = tmp_path / "data.ipynb"
    path.write_text(json.dumps({"hello": 1}))
    assert "not a valid notebook" in _one(tmp_path, path).problem.message


def test_nbformat3_notebook_is_converted_and_noted(tmp_path):
    v3 = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {"name": "old"},
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "code", "input": "x = 1", "language": "python", "outputs": []}
                ],
                "metadata": {},
            }
        ],
    }
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(v3))
    sub = _one(tmp_path, path)
    assert sub.problem is None
    assert [c.source for c in sub.cells] == ["x = 1"]
    assert "nbformat 3" in sub.notes[0].message


def test_syntax_error_in_module_is_found_without_running_it(tmp_path):
    path = tmp_path / "typo.py"
    path.write_text("import keras\n\ndef build_model(:\n    pass\n")
    sub = _one(tmp_path, path)
    assert sub.problem.kind == "syntax"
    assert sub.problem.line == 3
    assert any(line.startswith(">") and "def build_model(:" in line for line in sub.problem.excerpt)


def test_zip_with_nothing_gradable(tmp_path):
    path = tmp_path / "alice.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("alice/readme.txt", "hi")
    sub = _one(tmp_path, path)
    assert sub.id == "alice" and sub.problem.kind == "rejected"
    assert "holds no notebook" in sub.problem.message


def test_zip_of_a_student_folder(tmp_path):
    path = tmp_path / "bob.zip"
    nb = new_notebook(cells=[new_code_cell("x = 1")])
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("bob/hw.ipynb", nbformat.writes(nb))
        z.writestr("bob/helpers.py", "Y = 2\n")
        z.writestr("../escape.py", "bad")
    sub = _one(tmp_path, path)
    assert sub.problem is None and sub.kind == "notebook" and sub.entry.name == "hw.ipynb"
    assert (sub.folder / "bob" / "helpers.py").is_file()
    assert not (tmp_path / "scratch" / "escape.py").exists()


def test_student_folders_and_ambiguity(tmp_path):
    root = tmp_path / "class"
    (root / "carol").mkdir(parents=True)
    (root / "carol" / "model.py").write_text("def build_model():\n    pass\n")
    (root / "carol" / "utils.py").write_text("X = 1\n")
    (root / "dave").mkdir()
    (root / "dave" / "a.ipynb").write_text(nbformat.writes(new_notebook()))
    (root / "dave" / "b.ipynb").write_text(nbformat.writes(new_notebook()))
    (root / ".DS_Store").write_text("")
    subs, _ = collect([str(root)], tmp_path)
    by_id = {s.id: s for s in subs}
    assert set(by_id) == {"carol", "dave"}
    assert by_id["carol"].entry.name == "model.py"
    assert "several files" in by_id["dave"].problem.message


def test_same_stem_gets_distinct_ids(tmp_path):
    (tmp_path / "eve.py").write_text("x = 1\n")
    (tmp_path / "eve.ipynb").write_text(nbformat.writes(new_notebook()))
    subs, _ = collect([str(tmp_path / "eve.py"), str(tmp_path / "eve.ipynb")], tmp_path)
    assert sorted(s.id for s in subs) == ["eve-ipynb", "eve-py"]


def test_a_students_repository_is_decided_once_what_reaches_the_sandbox(tmp_path):
    """.git, __pycache__ and hidden files are not the submission: the run's copy, the
    cluster's task and the result cache's digest leave out the same files."""
    from grader.collect import one
    from grader.runner import cluster, stages

    repo = tmp_path / "erin"
    (repo / "src").mkdir(parents=True)
    (repo / "model.py").write_text("from src.layers import block\ndef build_model():\n    pass\n")
    (repo / "src" / "layers.py").write_text("def block():\n    pass\n")
    for name in (".git/objects/ab/cdef", "__pycache__/model.cpython-311.pyc", "src/.env"):
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text("not the submission")
    sub = one(repo, tmp_path / "scratch")  # as `grader check .` takes a repository
    wanted = ["model.py", "src/layers.py"]
    copied = stages._layout(sub, tmp_path / "run")["submission"]
    assert sorted(str(p.relative_to(copied)) for p in copied.rglob("*") if p.is_file()) == wanted
    assert sorted(cluster.pack(sub)["files"]) == wanted
    before = sub.digest
    (repo / ".git" / "objects" / "ab" / "cdef").write_text("a new commit")
    (repo / "__pycache__" / "model.cpython-311.pyc").write_text("recompiled")
    assert one(repo, tmp_path).digest == before  # nothing the sandbox sees changed
    (repo / "src" / "layers.py").write_text("def block():\n    return 1\n")
    assert one(repo, tmp_path).digest != before
