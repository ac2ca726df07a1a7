"""What a graded submission records (``result.json``): one typed definition, its version,
and the JSON Schema made from it (published as ``docs/result.schema.json``, so course
scripts can check what they read). A result of an older version is upgraded on reading;
one this grader cannot read is refused with the reason."""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, fields

SCHEMA_VERSION = 2  # 0: results written before the version was recorded (December 2026)
ADDED = {2: {"leaderboard": None}}  # fields each version added, as an older result reads


class UnreadableResult(ValueError):
    """A ``result.json`` this grader cannot read: the message says why."""


@dataclass(frozen=True)
class Result:
    """One submission's result. Nested parts (checks, failure, architecture, seeds, ...)
    are JSON objects whose shapes their producers document."""

    submission: str
    status: typing.Literal["graded", "failed"]  # failed: with a failure
    score: float
    max_score: float
    passed: bool
    required_failed: list[str]  # required rules that failed: not passing, whatever the score
    not_passing_because: str | None
    pass_mark: float
    accuracy: float | None  # on the hidden test labels; None when nothing was measured
    seeds: dict | None  # the seeds a standard grade was trained on, and why
    estimate: dict | None  # a quick budget's estimate of the standard grade
    confusion: list | None
    accuracy_scale: dict
    calibration: dict
    machine: dict  # where the stages ran
    classes: list[str]
    checks: list[dict]  # one per rubric item: name, passed, points, max_points, message, hint
    failure: dict | None  # why the run ended without a grade: kind, message, hint, where
    errors: list[dict]  # the code's errors that did not stop it, as problems
    duration_s: float
    model_source: str | None
    findings: list[dict]
    inferred: list[str]
    translations: list[dict]  # old API calls the compatibility layer translated
    batch_norm: dict | None
    source: str
    kind: typing.Literal["notebook", "module", ""]  # "": no file of it could be read
    sandbox: dict
    worker: str | None  # the cluster worker that ran it (None: this machine)
    seed: int
    hash_seed: str | None
    threads: int
    budget: dict
    data: dict
    architecture: dict | None
    architecture_fingerprint: str | None
    prediction_hash: str | None
    history: dict | None
    timings: dict[str, float]  # seconds: each stage's steps, and its CPU (the `*cpu_s` keys)
    versions: dict
    memory_peak_mb: float | None
    trained_in: str | None
    assignment: str
    grader_version: str
    cache_key: str
    leaderboard: dict | None = None  # public and private accuracy, parameters (spec's choice)
    schema_version: int = SCHEMA_VERSION

    def to_json(self) -> dict:
        """The plain data ``result.json`` holds, its version first."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        return {"schema_version": data.pop("schema_version"), **data}

    @classmethod
    def from_json(cls, data: object) -> Result:
        """A result read back: an older version upgraded, anything else refused."""
        if not isinstance(data, dict):
            raise UnreadableResult("a result is a JSON object")
        version = data.get("schema_version", 0)
        if not isinstance(version, int) or isinstance(version, bool) or version < 0:
            raise UnreadableResult(f"schema_version {version!r} is not a version number")
        if version > SCHEMA_VERSION:
            raise UnreadableResult(
                f"written by a newer grader (result schema {version}); this grader reads "
                f"schemas up to {SCHEMA_VERSION}: upgrade it, or grade again with this one"
            )
        upgraded = {**data, "schema_version": SCHEMA_VERSION}  # 0 to 1: the version alone
        for added in range(version + 1, SCHEMA_VERSION + 1):
            upgraded = {**ADDED.get(added, {}), **upgraded}
        names = {f.name for f in fields(cls)}
        missing, unknown = sorted(names - set(upgraded)), sorted(set(upgraded) - names)
        if missing or unknown:
            raise UnreadableResult(
                "not a result of this grader: "
                + "; ".join(
                    f"{what}: {', '.join(keys)}"
                    for what, keys in (("missing", missing), ("unknown", unknown))
                    if keys
                )
            )
        return cls(**upgraded)


def json_schema() -> dict:
    """The JSON Schema (draft 2020-12) of ``result.json``, from ``Result``'s fields."""
    hints = typing.get_type_hints(Result)
    properties = {f.name: _schema_of(hints[f.name]) for f in fields(Result)}
    properties["schema_version"] = {"const": SCHEMA_VERSION}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "grader result.json",
        "description": f"What a graded submission records (result schema {SCHEMA_VERSION})",
        "type": "object",
        "properties": properties,
        "required": [f.name for f in fields(Result)],
        "additionalProperties": False,
    }


_JSON_TYPES = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    dict: "object",
    list: "array",
    type(None): "null",
}


def _schema_of(hint: object) -> dict:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return {"anyOf": [_schema_of(arg) for arg in typing.get_args(hint)]}
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        return {"enum": list(typing.get_args(hint))}
    if origin is list:
        (item,) = typing.get_args(hint)
        return {"type": "array", "items": _schema_of(item)}
    if origin is dict:  # dict[str, V]: every value a V
        return {"type": "object", "additionalProperties": _schema_of(typing.get_args(hint)[1])}
    if hint is dict:
        return {"type": "object"}
    if hint in _JSON_TYPES:
        return {"type": _JSON_TYPES[hint]}
    raise TypeError(f"no JSON type for {hint!r}")  # a field added without one


if __name__ == "__main__":  # python -m grader.result_schema > docs/result.schema.json
    import json

    print(json.dumps(json_schema(), indent=1))
