"""Entries to compare, from what the grader already has: collected submissions (their
notebook code cells or module, read as text) and stored results (model signals). Results
stored before the signals were kept still work: the architecture fingerprint is computed
from ``architecture``; without a ``prediction_hash`` predictions are unknown."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from grader import collect
from grader.assignment import Assignment
from grader.collect import Submission
from grader.reporting import results
from grader.result_schema import Result
from grader.similarity import code, model
from grader.similarity.pairs import Entry


def sources_of(sub: Submission) -> list[code.Source]:
    """A submission's code: its code cells, or its module (also one that does not parse:
    broken code is still evidence); nothing for a file that could not be read."""
    if sub.cells:
        return [code.Source(f"cell {c.number}" if c.number else "", c.source) for c in sub.cells]
    if sub.entry is not None and sub.entry.suffix.lower() == ".py":
        try:
            return [code.Source("", sub.entry.read_bytes().decode("utf-8-sig"))]
        except (OSError, UnicodeDecodeError):
            return []
    return []


def excluded_hashes(
    assignment: Assignment | None, starters: Sequence[Path], scratch: Path
) -> tuple[frozenset[int], list[str]]:
    """Every k-gram of the spec's template and of the starter files, and what could not be
    read (said, never fatal: then that code counts as evidence)."""
    paths = list(starters)
    if assignment is not None and assignment.spec.template:
        paths.insert(0, assignment.directory / assignment.spec.template)
    hashes: set[int] = set()
    problems: list[str] = []
    for path in paths:
        if not path.is_file():
            problems.append(f"{path}: not found; its code is not excluded")
            continue
        found = sources_of(collect.one(path, scratch))
        if not found:
            problems.append(f"{path}: no code read from it; nothing excluded")
        hashes |= code.all_hashes(found)
    return frozenset(hashes), problems


def signals(result: Result | None) -> dict:
    """The model signals of a stored result, whichever grader version wrote it: a failed
    run has no predictions, but a model it described still has an architecture."""
    if result is None:
        return {"architecture": None, "predictions": None, "layers": None}
    arch = result.architecture
    graded = result.status == "graded"
    return {
        "architecture": result.architecture_fingerprint or model.architecture_fingerprint(arch),
        "predictions": result.prediction_hash if graded else None,
        "layers": model.layer_count(arch),
    }


def entries(
    subs: Iterable[Submission],
    found: dict[str, Result],
    excluded: frozenset[int],
    earlier: bool = False,
    prefix: str = "",
) -> list[Entry]:
    """One entry per submission, with the model signals of its result in ``found``."""
    return [
        Entry(
            prefix + sub.id,
            code.fingerprint(src, excluded) if (src := sources_of(sub)) else None,
            earlier=earlier,
            **signals(found.get(sub.id)),
        )
        for sub in subs
    ]


def stored_results(folder: Path) -> dict[str, Result]:
    """The results in a results folder, by submission id."""
    return {r.submission: r for r in results.all_results(folder)}


def earlier(folder: Path, scratch: Path, excluded: frozenset[int]) -> list[Entry]:
    """``--against``: a results folder (code read from each result's ``source`` while it
    is still there) or a folder of submissions, with ids prefixed by the folder's name."""
    prefix = f"{folder.name}/"
    stored = stored_results(folder)
    subs: list[Submission] = []
    for entry in sorted(folder.iterdir()):
        if collect.skipped(entry.name):
            continue
        if entry.is_dir() and (entry / results.RESULT).is_file():
            source = Path(stored[entry.name].source if entry.name in stored else "")
            if source.name and source.exists():
                subs.append(_renamed(collect.one(source, scratch), entry.name))
            else:
                subs.append(Submission(entry.name, entry))  # model signals only
        elif entry.is_file() or entry.is_dir():
            subs.append(collect.one(entry, scratch))
    return entries(subs, stored, excluded, earlier=True, prefix=prefix)


def _renamed(sub: Submission, name: str) -> Submission:
    return replace(sub, id=name)
