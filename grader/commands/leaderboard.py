"""``grader leaderboard``: a results folder's ``leaderboard.html``, ranked on the public
test images during the term, on the private ones with ``--final`` (README, "Leaderboards")."""

from __future__ import annotations

from pathlib import Path

from grader import assignment
from grader.errors import UsageError
from grader.reporting import leaderboard, results


def run(args) -> int:
    out = Path(args.out_dir)
    if not out.is_dir():
        raise UsageError(f"{out}: no such results folder")
    task = assignment.load(args.assignment)
    board = task.spec.leaderboard
    if not board.enabled:
        raise UsageError(
            f"{task.spec.name} keeps no leaderboard: set enabled = true under [leaderboard] "
            "in its assignment.toml, then grade"
        )
    if args.final and not board.private_share:
        raise UsageError("--final ranks on the private test images: the spec keeps none")
    found = results.all_results(out)
    page = leaderboard.write(out, found, board, task.spec.title, args.final)
    ranked = sum(1 for r in found if r.leaderboard)
    print(f"wrote {page}: {ranked} of {len(found)} results ranked")
    return 0
