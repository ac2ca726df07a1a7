"""Where each finished result goes. The batch loop hands every result to consumers,
whatever produced it; the class-wide pages (``index.html``, ``grades.csv``) are kept in
memory and written at most every few seconds and once at the end, so a class of
thousands costs linear time instead of re-reading every result after each one."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from grader.reporting import html, insights, notebook, results, terminal
from grader.result_schema import Result

EVERY_S = 5.0  # the class pages lag the newest result by at most this much


class Consumer(Protocol):
    """``output``: what the submission printed; ``executed``: its executed.ipynb (None for
    a module, a run that left no cell records, and a reused result)."""

    def add(
        self, result: Result, output: str | None, reused: bool, executed: str | None = None
    ) -> None: ...

    def close(self) -> None: ...


@dataclass
class SubmissionFiles:
    """``result.json``, ``output.txt``, ``executed.ipynb`` and the student's page, the
    moment a result is known: nothing finished is ever lost."""

    out: Path

    def add(
        self, result: Result, output: str | None, reused: bool, executed: str | None = None
    ) -> None:
        if not reused:  # a reused result's files are already there
            results.save(self.out, result, output)
            notebook.save(self.out / result.submission, executed)
            html.write_submission(self.out, result, output)

    def close(self) -> None:
        return None


@dataclass
class ClassPages:
    """The gradebook and class overview over every result in the folder (earlier runs'
    too), updated in memory per result and written when ``every_s`` has passed."""

    out: Path
    title: str
    every_s: float = EVERY_S
    clock: Callable[[], float] = time.monotonic
    known: dict[str, Result] = field(init=False)
    written_at: float | None = field(init=False, default=None)
    dirty: bool = field(init=False, default=True)
    writes: int = field(init=False, default=0)  # how often the pages were written
    linked: bool = field(init=False, default=False)  # the last index linked similarity.html

    def __post_init__(self) -> None:
        self.known = {r.submission: r for r in results.all_results(self.out)}

    def add(
        self, result: Result, output: str | None, reused: bool, executed: str | None = None
    ) -> None:
        self.known[result.submission] = result
        self.dirty = True
        if self.written_at is None or self.clock() - self.written_at >= self.every_s:
            self.write()

    def close(self) -> None:
        """The last write, also when only a page to link appeared after the batch."""
        if self.dirty or self.linked != (self.out / html.SIMILARITY).is_file():
            self.write()

    def write(self) -> None:
        rows = [self.known[k] for k in sorted(self.known)]
        results.write_gradebook(self.out, rows)
        insights.write_csv(self.out, rows)
        self.linked = html.write_index(self.out, rows, self.title)
        self.written_at, self.dirty = self.clock(), False
        self.writes += 1


@dataclass
class AfterBatch:
    """Something written once over the batch's results when it ends (the similarity
    report), before the class pages so the overview can link it. A fault of ours in it is
    said and remembered (``failed``), never lost results or pages."""

    write: Callable[[dict[str, Result]], None]
    found: dict[str, Result] = field(default_factory=dict)
    failed: bool = False

    def add(
        self, result: Result, output: str | None, reused: bool, executed: str | None = None
    ) -> None:
        self.found[result.submission] = result

    def close(self) -> None:
        try:
            self.write(self.found)
        except Exception:
            self.failed = True
            terminal.internal_error("after the batch")


@dataclass
class Each:
    """A callback as a consumer: the terminal's progress, ``check``'s summary."""

    call: Callable[[Result, bool], None]

    def add(
        self, result: Result, output: str | None, reused: bool, executed: str | None = None
    ) -> None:
        self.call(result, reused)

    def close(self) -> None:
        return None


def to_folder(
    out: Path, title: str, every_s: float = EVERY_S, after: AfterBatch | None = None
) -> list[Consumer]:
    """What every graded batch writes into its results folder; ``after``: what is written
    over the whole batch when it ends, before the class pages."""
    return [SubmissionFiles(out), *([after] if after else []), ClassPages(out, title, every_s)]
