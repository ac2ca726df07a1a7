"""similarity.csv and similarity.html: the ranked pairs with both signals, clusters, and
for each listed pair (up to VIEWS) the two codes side by side with matching lines marked.
The page has no script: each pair's view is a static section the table links to."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from grader.reporting import html, results
from grader.similarity import code as codes
from grader.similarity import pairs as signals
from grader.similarity.pairs import Entry, Found, Pair

CSV = "similarity.csv"
PAGE = "similarity.html"
VIEWS = 200  # pairs with a side-by-side view; the CSV lists them all
ROWS = 1000  # pairs in the page's table
FIELDS = [
    "a",
    "b",
    "flagged",
    "code_similarity",
    "same_architecture",
    "same_predictions",
    "shared_fingerprints",
    "fingerprints_a",
    "fingerprints_b",
    "cluster",
]


def _cell(value: object) -> object:
    """true/false for a signal, 'unknown' when one side lacks it (not graded, failed, or
    graded before the signal was stored), blank for no code."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def csv_text(found: Found) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for p in found.pairs:
        writer.writerow(
            {
                "a": results.inert(p.a),
                "b": results.inert(p.b),
                "flagged": _cell(p.flagged),
                "code_similarity": "" if p.code_similarity is None else p.code_similarity,
                "same_architecture": _unknown(p.same_architecture),
                "same_predictions": _unknown(p.same_predictions),
                "shared_fingerprints": p.shared,
                "fingerprints_a": p.fingerprints_a,
                "fingerprints_b": p.fingerprints_b,
                "cluster": "" if p.cluster is None else p.cluster,
            }
        )
    return buffer.getvalue()


def _unknown(value: bool | None) -> str:
    return "unknown" if value is None else str(_cell(value))


def _side(code: codes.Code | None, marked: set[int]) -> list[dict]:
    if code is None:
        return []
    number, rows = 0, []
    for i, text in enumerate(code.lines):
        header = i in code.headers
        number = 0 if header else number + 1
        rows.append({"n": number, "text": text, "header": header, "hit": i in marked})
    return rows


def _view(p: Pair, by_id: dict[str, Entry], excluded: frozenset[int]) -> dict:
    """The pair's two codes, lines covered by a k-gram both have (not the template's)
    marked on both sides."""
    a, b = by_id[p.a].code, by_id[p.b].code
    marked_a: set[int] = set()
    marked_b: set[int] = set()
    if a is not None and b is not None:
        shared = ({h for h, _, _ in a.kgrams} & {h for h, _, _ in b.kgrams}) - excluded
        marked_a, marked_b = codes.matching_lines(a, shared), codes.matching_lines(b, shared)
    return {"a": _side(a, marked_a), "b": _side(b, marked_b)}


def page(found: Found, entries: list[Entry], title: str, excluded: frozenset[int]) -> str:
    by_id = {e.id: e for e in entries}
    listed = found.pairs[:ROWS]
    views = [(i, p, _view(p, by_id, excluded)) for i, p in enumerate(found.pairs[:VIEWS], 1)]
    return (
        html.environment()
        .get_template("similarity.html.j2")
        .render(
            title=title,
            found=found,
            listed=listed,
            views=views,
            flagged=sum(1 for p in found.pairs if p.flagged),
            more=len(found.pairs) - len(listed),
            earlier=sum(1 for e in entries if e.earlier),
            flag_at=signals.FLAG_AT,
            list_at=signals.LIST_AT,
            common_at=signals.common_limit(found.submissions),
            csv=CSV,
        )
    )


def write(
    out: Path, found: Found, entries: list[Entry], title: str, excluded: frozenset[int]
) -> None:
    """Both files, atomically."""
    results.write_atomic(out / CSV, csv_text(found))
    results.write_atomic(out / PAGE, page(found, entries, title, excluded))
