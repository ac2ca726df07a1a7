"""The class leaderboard (``leaderboard.html``): every graded model ranked on accuracy on
labels no student sees, trained under one budget. During the term it ranks on the public
share of the hidden test images; ``--final`` ranks on the private rest, which no earlier
page or export has shown. Names are submission ids or, as the instructor chooses, random
pseudonyms kept in the results folder (``pseudonyms.json``: the instructor's key)."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from grader.reporting import html
from grader.reporting.results import write_atomic
from grader.result_schema import Result
from grader.spec_types import Leaderboard

PAGE = "leaderboard.html"
PSEUDONYMS = "pseudonyms.json"
WORDS = (
    ("amber", "brisk", "calm", "deft", "eager", "fleet", "gentle", "hardy", "keen", "lucid",
     "merry", "nimble", "quiet", "rapid", "steady", "vivid"),
    ("otter", "heron", "lynx", "marten", "falcon", "badger", "ibis", "kestrel", "newt",
     "osprey", "puffin", "quail", "raven", "stoat", "tern", "wren"),
)  # fmt: skip


def names(out: Path, ids: list[str], how: str) -> dict[str, str]:
    """What the page calls each submission: its id, or a pseudonym drawn at random the first
    time it is ranked and kept in ``pseudonyms.json`` (the same on every later page)."""
    if how == "id":
        return {i: i for i in ids}
    path = out / PSEUDONYMS
    known: dict[str, str] = json.loads(path.read_text()) if path.is_file() else {}
    taken = set(known.values())
    new = [i for i in ids if i not in known]
    for i in new:
        while i not in known:
            name = f"{secrets.choice(WORDS[0])}-{secrets.choice(WORDS[1])}-{secrets.randbelow(100)}"
            if name not in taken:
                known[i], taken = name, taken | {name}
    if new:
        write_atomic(path, json.dumps(known, indent=1, sort_keys=True))
    return {i: known[i] for i in ids}


def ranking(results: list[Result], final: bool) -> list[dict]:
    """Graded models, best first: accuracy on the public images (the private ones when
    ``final``), then fewer parameters; equal on both, equal rank."""
    key = "private_accuracy" if final else "public_accuracy"
    rows = [
        {"id": r.submission, "accuracy": r.leaderboard[key], "params": r.leaderboard["params"]}
        for r in results
        if r.status == "graded" and r.leaderboard and r.leaderboard.get(key) is not None
    ]
    rows.sort(key=lambda row: (-row["accuracy"], row["params"] or 0, row["id"]))
    for place, row in enumerate(rows, 1):
        before = rows[place - 2] if place > 1 else None
        same = before and (before["accuracy"], before["params"]) == (row["accuracy"], row["params"])
        row["rank"] = before["rank"] if same else place
    return rows


def write(out: Path, results: list[Result], board: Leaderboard, title: str, final: bool) -> Path:
    """``leaderboard.html`` in the results folder, self-contained like the other pages."""
    split = board.private_share > 0
    rows = ranking(results, final and split)
    shown = names(out, [row["id"] for row in rows], board.names)
    for row in rows:
        row["name"] = shown[row.pop("id")]
    page = (
        html.environment()
        .get_template(PAGE + ".j2")
        .render(
            title=title,
            rows=rows,
            final=final and split,
            share=board.private_share,
            pseudonyms=board.names == "pseudonym",
        )
    )
    write_atomic(out / PAGE, page)
    return out / PAGE
