"""``grader similarity``: near-copies among submissions without grading them again.
Code comes from the submissions named; model signals from their results in ``--out``
(when they were graded there); ``--against`` adds earlier submissions or results."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from grader import assignment, collect
from grader.errors import UsageError
from grader.reporting import terminal
from grader.similarity import batch, sources


def run(args) -> int:
    task = assignment.load(args.assignment)
    out = Path(args.out)
    starters = [Path(s) for s in args.starter or []]
    against = [Path(a) for a in args.against or []]
    for path in [*starters, *against]:
        if not path.exists():
            raise UsageError(f"{path}: no such file or folder")
    for folder in against:
        if not folder.is_dir():
            raise UsageError(f"--against {folder}: expected a folder (of results or submissions)")
    scratch = Path(tempfile.mkdtemp(prefix="grader-similarity-"))
    try:
        subs, usage = collect.collect(args.paths, scratch, task.spec.submission_files)
        for problem in usage:
            terminal.say(f"grader: error: {problem}")
        if not subs:
            raise UsageError("no submissions to compare")
        stored = sources.stored_results(out) if out.is_dir() else {}
        done = batch.write(out, subs, stored, task, scratch, starters, against)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for problem in done.problems:
        terminal.say(f"grader: similarity: {problem}")
    graded = sum(1 for s in subs if s.id in stored)
    print(f"{len(subs)} submissions ({graded} with a result in {out}/): " + done.summary(out))
    return 2 if usage else 0
