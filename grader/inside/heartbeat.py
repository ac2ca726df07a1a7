"""Where the submission's code is, written twice a second while it runs: a stage stopped
at the code-time limit (or the wall-time limit) can name the cell and line that ran."""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from types import FrameType

from grader.inside import errors, protocol

PERIOD_S = 0.5


def _student_line(frame: FrameType | None) -> tuple[str, int] | None:
    """The innermost frame of the submission's own code."""
    while frame is not None:
        if frame.f_code.co_filename in errors.SOURCES:
            return frame.f_code.co_filename, frame.f_lineno
        frame = frame.f_back
    return None


def keep_failed(folder: Path):
    """A function that writes the code's error records so far, whole: a stage that dies
    later (a native crash after an out-of-memory error) still leaves what went wrong.
    Only the stage's own process writes: the forks of a fork bomb would race on one file."""
    pid = os.getpid()

    def write(records: list[dict]) -> None:
        if os.getpid() != pid:
            return
        tmp = folder / f".{protocol.FAILED_SO_FAR}"
        tmp.write_text(json.dumps(records[: protocol.KEPT_FAILED]))
        os.replace(tmp, folder / protocol.FAILED_SO_FAR)

    return write


class Heartbeat:
    """While the code runs, a thread notes the main thread's student line; at the end, the
    code-done marker tells the grader the code phase is over."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.main = threading.main_thread().ident
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        self.thread.join()
        (self.folder / protocol.CODE_DONE).touch()

    def _beat(self) -> None:
        last = None
        while not self.stopped.wait(PERIOD_S):
            where = _student_line(sys._current_frames().get(self.main))
            if where and where != last:
                self._write(*where)
                last = where

    def _write(self, filename: str, line: int) -> None:
        cell, source = errors.SOURCES[filename]
        running = {"cell": cell, "line": line, "excerpt": errors.excerpt(source, line)}
        tmp = self.folder / f".{protocol.HEARTBEAT}"
        tmp.write_text(json.dumps(running))
        os.replace(tmp, self.folder / protocol.HEARTBEAT)
