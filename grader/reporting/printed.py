"""What a submission printed, made readable for its student: TensorFlow's and the
sandbox's own log lines set apart at the end, and paths of the grading machine replaced
by module names (they mean nothing to a student, and say where the grader lives)."""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import grader

LOGS = "\n[--- log lines of TensorFlow and the grading machine, not of your code ---]\n"
# Lines the student's code did not print: TensorFlow/absl start-up and logging, oneDNN
# notices, fontconfig's complaint about the sandbox's missing configuration.
_LOG_LINE = re.compile(
    r"^(?:[IWEF]\d{4} [\d:.]+\s+\d+ \S+:\d+\]"
    r"|WARNING: All log messages before absl::InitializeLog"
    r"|To enable the following instructions: .* rebuild TensorFlow"
    r"|.*oneDNN custom operations are on"
    r"|Fontconfig error: )"
)
SYSTEM = ("/usr", "/usr/local", "/")
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")  # Keras's progress bars: colour codes, not text
_MODULE_FILE = re.compile(r"(?:[\w.\-/]*/(?:site|dist)-packages/)([\w/]+?)(?:/__init__)?\.py")


def _roots() -> list[tuple[str, str]]:
    """Folders of the grading machine, longest first, and what to show instead (the
    system's own /usr means nothing private)."""
    roots = {p: "<python>" for p in {sys.prefix, sys.base_prefix} if p not in SYSTEM}
    roots[str(Path(tempfile.gettempdir()) / "grader-")] = "<run>-"
    return sorted(roots.items(), key=lambda kv: -len(kv[0]))


def scrub(text: str) -> str:
    """Module names for files of installed packages and of the grader; no host paths."""
    text = _MODULE_FILE.sub(lambda m: m[1].replace("/", "."), text)
    package = str(Path(grader.__file__).resolve().parent.parent) + "/"
    text = re.sub(
        re.escape(package) + r"([\w/]+?)(?:/__init__)?\.py",
        lambda m: m[1].replace("/", "."),
        text,
    )
    for root, shown in _roots():
        text = text.replace(root, shown)
    return text


def clean(output: str) -> str:
    """The student's lines first, the log lines after a marker (when there are any)."""
    mine, logs = [], []
    for line in _COLOUR.sub("", scrub(output)).splitlines():
        (logs if _LOG_LINE.match(line) else mine).append(line)
    text = "\n".join(mine)
    return text + (LOGS + "\n".join(logs) if logs else "")


def parts(output: str) -> tuple[str, str]:
    """(what the code printed, the log lines) of a cleaned output."""
    mine, _, logs = output.partition(LOGS)
    return mine, logs
