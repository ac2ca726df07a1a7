"""What the compatibility layer translated, and where: each old call is recorded once,
at the submission's own line, for every surface that shows it (README, "Old Keras, NumPy
and SciPy code"). Shared by the legacy_* modules; runs in the student stage only."""

from __future__ import annotations

import sys
from collections.abc import Callable

from grader.inside import errors


class Translations:
    """Every translation made, once per call site, where the student's code made it."""

    def __init__(self, note: Callable[[str], None]):
        self.found: list[dict] = []
        self._note = note  # shown on the cell in executed.ipynb

    def record(self, call: str, translated: str, modern: str) -> None:
        where = student_line()
        if where is None:  # a library's own call: translated, not the student's to fix
            return
        cell, line = where
        entry = {
            "call": call,
            "translated_to": translated,
            "modern": modern,
            "cell": cell,
            "line": line,
        }
        if entry not in self.found:
            self.found.append(entry)
            self._note(f"translated `{call}` to `{translated}` (today: {modern})")


def student_line() -> tuple[int | None, int] | None:
    """The innermost frame of the submission's own code on the stack: (cell, line)."""
    frame = sys._getframe(2)
    while frame is not None:
        found = errors.SOURCES.get(frame.f_code.co_filename)
        if found is not None:
            return found[0], frame.f_lineno
        frame = frame.f_back
    return None


def from_student() -> bool:
    """Whether the code asking (above the hook's caller and the import system, which asks
    first for ``from module import name``) is the submission's."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith("<frozen importlib"):
        frame = frame.f_back
    return frame is not None and frame.f_code.co_filename in errors.SOURCES


def short(value) -> str:
    text = repr(value)
    if text.startswith("<"):  # an object: its class is what the student wrote
        return f"{type(value).__name__}(...)"
    return text if len(text) <= 30 else text[:27] + "..."


def arguments(kwargs: dict) -> str:
    return ", ".join(f"{k}={short(v)}" for k, v in kwargs.items())


def missing(module, names: dict[str, tuple[str, object]], log: Translations) -> None:
    """``module.NAME`` for names it no longer has: the current thing, recorded."""
    before = module.__dict__.get("__getattr__")
    label = "np" if module.__name__ == "numpy" else module.__name__.replace("keras.src.", "keras.")

    def __getattr__(name: str):
        if name in names and from_student():  # a library probing for old names: as before
            modern, value = names[name]
            log.record(f"{label}.{name}", modern, f"write {modern}")
            return value
        if before is not None:
            return before(name)
        raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")

    module.__getattr__ = __getattr__
