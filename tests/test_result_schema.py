"""``result.json`` has one typed definition and a published JSON Schema made from it; a
result of the previous release is read (upgraded), and one this grader cannot read is
refused with the reason. (Every result the suite writes is checked in conftest.py.)"""

from __future__ import annotations

import json

import jsonschema
import pytest

from grader import result_schema
from grader.reporting import results
from grader.result_schema import SCHEMA_VERSION, Result, UnreadableResult
from tests.conftest import ROOT, a_result

PUBLISHED = ROOT / "docs" / "result.schema.json"
PREVIOUS = ROOT / "tests" / "schemas" / "result-0.2.0.json"  # written by grader 0.2.0, 3 Dec 2026


def test_the_published_schema_is_the_one_the_type_makes():
    assert json.loads(PUBLISHED.read_text()) == result_schema.json_schema(), (
        "regenerate it: python -m grader.result_schema > docs/result.schema.json"
    )
    jsonschema.Draft202012Validator.check_schema(json.loads(PUBLISHED.read_text()))


def test_a_result_of_the_previous_release_is_upgraded_and_valid():
    old = json.loads(PREVIOUS.read_text())
    assert "schema_version" not in old
    result = Result.from_json(old)
    assert result.schema_version == result_schema.SCHEMA_VERSION
    written = result.to_json()
    assert list(written)[0] == "schema_version" and {**written, **old} == {**old, **written}
    jsonschema.validate(written, json.loads(PUBLISHED.read_text()))
    assert Result.from_json(written) == result  # the round trip


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"schema_version": 99}, "newer grader (result schema 99)"),
        ({"schema_version": "1"}, "not a version number"),
        ({"accuracy_percent": 41.0}, "unknown: accuracy_percent"),
        ({"checks": None, "status": None}, None),  # types: the schema's to refuse
    ],
)
def test_a_result_this_grader_cannot_read_is_refused_with_the_reason(change, said):
    data = {**json.loads(PREVIOUS.read_text()), **change}
    if said is None:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(Result.from_json(data).to_json(), result_schema.json_schema())
        return
    with pytest.raises(UnreadableResult, match=said.replace("(", r"\(").replace(")", r"\)")):
        Result.from_json(data)


def test_a_result_missing_a_key_names_it():
    data = json.loads(PREVIOUS.read_text())
    del data["accuracy"]
    with pytest.raises(UnreadableResult, match="missing: accuracy"):
        Result.from_json(data)
    with pytest.raises(UnreadableResult, match="JSON object"):
        Result.from_json([data])


def test_readers_get_typed_results_and_leave_out_what_they_cannot_read(tmp_path, capsys):
    """Every output reads results through one door: typed, an older one upgraded, one from
    a newer grader left out with a line that says so (and graded again, never reused)."""
    good = a_result(submission="alice", cache_key="k")
    results.save(tmp_path, good, None)
    newer = {**good.to_json(), "submission": "bob", "schema_version": SCHEMA_VERSION + 1}
    del newer["grader_version"]  # a stand-in: conftest's check of every result skips it
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob" / results.RESULT).write_text(json.dumps(newer))
    found = results.all_results(tmp_path)
    assert [type(r) for r in found] == [Result] and found[0] == good
    assert "bob/result.json: left out, written by a newer grader" in capsys.readouterr().err
    assert results.reusable(tmp_path, "alice", "k") == good
    assert results.reusable(tmp_path, "bob", "k") is None
