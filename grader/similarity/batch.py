"""Similarity over a batch, from start to files: entries from the submissions and their
results (and earlier results to compare against), the template's code excluded, pairs
compared, similarity.csv and similarity.html written. ``grade`` and ``grader similarity``
both come here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.assignment import Assignment
from grader.collect import Submission
from grader.result_schema import Result
from grader.similarity import pairs, sources
from grader.similarity.pairs import Found


@dataclass(frozen=True)
class Written:
    found: Found
    problems: list[str]  # code that could not be read for exclusion, said to the user

    def summary(self, out: Path) -> str:
        from grader.reporting.similarity import PAGE

        flagged = sum(1 for p in self.found.pairs if p.flagged)
        return (
            f"similarity: {len(self.found.pairs)} pairs listed, {flagged} flagged, "
            f"{len(self.found.clusters)} clusters of 3+ ({out / PAGE}; evidence, not a verdict)"
        )


def write(
    out: Path,
    subs: Sequence[Submission],
    stored: dict[str, Result],
    assignment: Assignment | None,
    scratch: Path,
    starters: Sequence[Path] = (),
    against: Sequence[Path] = (),
    title: str = "",
) -> Written:
    """Compare ``subs`` (model signals from ``stored``, their results by id) among
    themselves and with the submissions in ``against``; write the two files into ``out``."""
    from grader.reporting import similarity as report

    excluded, problems = sources.excluded_hashes(assignment, starters, scratch)
    entries = sources.entries(subs, stored, excluded)
    for folder in against:
        entries += sources.earlier(folder, scratch, excluded)
    found = pairs.compare(entries)
    name = title or (assignment.spec.title if assignment else "Submissions")
    report.write(out, found, entries, name, excluded)
    return Written(found, problems)
