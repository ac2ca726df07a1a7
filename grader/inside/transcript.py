"""What each notebook cell showed as it ran, for the TA's ``executed.ipynb``: its printed
streams (stdout and stderr interleaved, capped like output.txt: head and tail), its
error as Jupyter shows one, the value of its last expression, and what the grader changed
in it. Plain data for the outcome; the trusted side builds the notebook
(grader/reporting/notebook.py), so nothing here needs nbformat.
"""

from __future__ import annotations

import contextlib
import reprlib
import sys
import threading
import traceback
from collections import Counter, deque

from grader.inside import errors

PER_CELL_SHARE = 4  # one cell keeps at most a quarter of the output budget
MAX_VALUE_CHARS = 2000  # the repr of a cell's last value
MAX_TRACEBACK_CHARS = 20000  # the newest frames are kept: they hold the error
MAX_NOTES = 20  # different notes per cell


class Kept:
    """One cell's streams: the first ``keep`` characters and the last ``keep``, in the
    order written; what lies between is counted and cut."""

    def __init__(self, keep: int):
        self.keep = keep
        self.head: list[tuple[str, str]] = []
        self.head_n = 0
        self.tail: deque[tuple[str, str]] = deque()
        self.tail_n = 0
        self.total = 0

    def add(self, name: str, text: str) -> None:
        self.total += len(text)
        room = self.keep - self.head_n
        if room > 0:
            self.head.append((name, text[:room]))
            self.head_n += len(text[:room])
            text = text[room:]
        if text:
            self.tail.append((name, text))
            self.tail_n += len(text)
            while self.tail and self.tail_n - len(self.tail[0][1]) >= self.keep:
                self.tail_n -= len(self.tail.popleft()[1])

    def kept(self) -> int:
        return self.head_n + min(self.tail_n, self.keep)

    def streams(self) -> list[dict]:
        """Nbformat-shaped streams, consecutive writes to one stream joined."""
        tail = list(self.tail)
        if self.tail_n > self.keep:
            name, text = tail[0]
            tail[0] = (name, text[self.tail_n - self.keep :])
        cut = self.total - self.kept()
        marker = [("stderr", f"\n[... {cut} characters of output cut ...]\n")] if cut else []
        joined: list[dict] = []
        for name, text in [*self.head, *marker, *tail]:
            if joined and joined[-1]["name"] == name:
                joined[-1]["text"] += text
            elif text:
                joined.append({"name": name, "text": text})
        return joined


class Transcript:
    """The record of every cell that ran, in order; ``budget`` characters of printed output
    in all (the spec's ``output_kept_kb``), at most a share of it per cell."""

    def __init__(self, budget: int):
        self.remaining = budget
        self.per_cell = budget // PER_CELL_SHARE
        self.cells: list[dict] = []
        self.kept: Kept | None = None
        self.lock = threading.Lock()

    def start(self, number: int | None) -> None:
        self.kept = Kept(min(self.per_cell, self.remaining) // 2)
        self.cells.append({"number": number, "error": None, "value": None})

    def finish(self) -> None:
        with self.lock:
            kept, self.kept = self.kept, None
        if kept is not None:
            self.cells[-1]["streams"] = kept.streams()
            self.remaining = max(0, self.remaining - kept.kept())

    def write(self, name: str, text: str) -> None:
        with self.lock:
            if self.kept is not None:
                self.kept.add(name, text)

    def value(self, value: object) -> None:
        """The cell's last value, as Jupyter's ``Out[n]`` would show it (capped)."""
        if self.kept is None:
            return
        shown = reprlib.Repr()
        shown.maxstring = shown.maxother = shown.maxlong = MAX_VALUE_CHARS
        shown.maxlist = shown.maxtuple = shown.maxdict = shown.maxset = 100
        try:
            self.cells[-1]["value"] = shown.repr(value)[:MAX_VALUE_CHARS]
        except Exception:  # a __repr__ that fails: Jupyter would show its error; skip it
            self.cells[-1]["value"] = None

    def failed(self, exc: BaseException) -> None:
        self.cells[-1]["error"] = {
            "ename": type(exc).__name__,
            "evalue": str(exc)[:MAX_VALUE_CHARS],
            "traceback": _traceback(exc),
        }

    def records(self, notes: list[dict]) -> list[dict]:
        """Every cell's record, with the notes (``cell``, ``text``) the grader made about it:
        each once, with how often (a fit() in a loop), at most ``MAX_NOTES`` of them."""
        for cell in self.cells:
            counted = Counter(n["text"] for n in notes if n.get("cell") == cell["number"])
            shown = [t if k == 1 else f"{t} ({k} times)" for t, k in counted.items()]
            more = len(shown) - MAX_NOTES
            cell["notes"] = shown[:MAX_NOTES] + ([f"... and {more} more"] if more > 0 else [])
        return self.cells


def _traceback(exc: BaseException) -> list[str]:
    """The traceback from the cell's own frame on (the grader's frames above it mean
    nothing to a student), as lines; the newest ones when it is long."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename not in errors.SOURCES:
        tb = tb.tb_next
    lines = "".join(traceback.format_exception(type(exc), exc, tb)).rstrip("\n").split("\n")
    kept: list[str] = []
    size = 0
    for line in reversed(lines):
        size += len(line) + 1
        if size > MAX_TRACEBACK_CHARS:
            kept.append(f"[... {len(lines) - len(kept)} lines of the traceback cut ...]")
            break
        kept.append(line)
    return kept[::-1]


class Tee:
    """``sys.stdout`` or ``sys.stderr`` while cells run: everything still reaches the real
    stream (output.txt), and a copy goes to the running cell's record."""

    def __init__(self, name: str, stream, transcript: Transcript):
        self._name, self._stream, self._transcript = name, stream, transcript

    def write(self, text: str) -> int:
        written = self._stream.write(text)
        if isinstance(text, str):
            with contextlib.suppress(Exception):  # recording never changes what code sees
                self._transcript.write(self._name, text)
        return written

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def tee(transcript: Transcript) -> tuple:
    """Send both streams through the transcript; returns the originals to put back."""
    originals = sys.stdout, sys.stderr
    sys.stdout = Tee("stdout", sys.stdout, transcript)
    sys.stderr = Tee("stderr", sys.stderr, transcript)
    return originals
