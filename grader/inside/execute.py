"""Run the submission's code in order; a failing cell is recorded and the next one runs.

A notebook cell runs as IPython runs it: parsed whole, then compiled and run statement by
statement with the ``__future__`` flags seen so far (so a mid-cell ``from __future__``
import works), top-level ``await`` allowed, and the value of a last expression kept in
``_`` unless the cell ends with ``;``.
"""

from __future__ import annotations

import ast
import asyncio
import codeop
import contextlib
import inspect
import linecache
import sys
from collections.abc import Callable
from pathlib import Path

from grader.inside import errors
from grader.inside.patches import Capture
from grader.inside.transcript import Transcript, tee

Rewrite = Callable[[ast.Module], ast.Module]  # what the grader changes in parsed student code


def cell_filename(number: int | None, entry: Path) -> str:
    return str(entry) if number is None else f"<cell {number}>"


def _transform(source: str) -> str:
    """IPython syntax (magics, !shell, leading indentation) to plain Python."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def _quiet(source: str) -> bool:
    """A trailing ``;`` hides the last value in Jupyter (and keeps it out of ``_``)."""
    lines = [ln.split("#")[0].rstrip() for ln in source.splitlines()]
    code = [ln for ln in lines if ln]
    return bool(code) and code[-1].endswith(";")


class Cells:
    """Compiles and runs notebook cells the way IPython does, sharing ``__future__``
    flags across cells like a kernel."""

    def __init__(self, namespace: dict, rewrite: Rewrite | None = None):
        self.namespace = namespace
        self.rewrite = rewrite
        self.compiler = codeop.Compile()
        self.compiler.flags |= ast.PyCF_ALLOW_TOP_LEVEL_AWAIT

    def run(self, source: str, filename: str) -> None:
        tree = ast.parse(source, filename)  # a SyntaxError stops the whole cell, as in IPython
        if self.rewrite is not None:
            tree = self.rewrite(tree)
        last = len(tree.body) - 1
        for i, node in enumerate(tree.body):
            shown = i == last and isinstance(node, ast.Expr) and not _quiet(source)
            mode = "single" if shown else "exec"
            wrapped = ast.Interactive([node]) if shown else ast.Module([node], [])
            self._execute(self.compiler(wrapped, filename, mode))

    def _execute(self, code) -> None:
        if code.co_flags & inspect.CO_COROUTINE:  # top-level await
            asyncio.run(eval(code, self.namespace))
        else:
            exec(code, self.namespace)


def _keep_last_value(namespace: dict, transcript: Transcript | None):
    """Jupyter shows a cell's last value and keeps it in ``_``; here it is kept, not
    printed, so the output stays what the code printed (the transcript notes it)."""

    def hook(value) -> None:
        if value is not None:
            namespace["_"] = value
            if transcript is not None:
                transcript.value(value)

    return hook


def run(
    cells: list[dict],
    kind: str,
    entry: Path,
    namespace: dict,
    capture: Capture,
    transcript: Transcript | None = None,
    rewrite: Rewrite | None = None,
) -> list[dict]:
    """Execute each cell in ``namespace``; return error records of the cells that failed.
    A ``transcript`` (notebooks) records what each cell printed, raised and showed;
    ``rewrite`` changes each parsed cell or module before it is compiled."""
    notebook = Cells(namespace, rewrite) if kind == "notebook" else None
    sys.displayhook = _keep_last_value(namespace, transcript)
    streams = tee(transcript) if transcript is not None else None
    try:  # without a transcript, one that keeps nothing
        kept = transcript or Transcript(0)
        return _run_cells(cells, notebook, entry, namespace, capture, kept, rewrite)
    finally:
        if streams is not None:
            sys.stdout, sys.stderr = streams


def _run_cells(
    cells: list[dict],
    notebook: Cells | None,
    entry: Path,
    namespace: dict,
    capture: Capture,
    transcript: Transcript,
    rewrite: Rewrite | None,
) -> list[dict]:
    found: list[dict] = []
    for cell in cells:
        number, source = cell["number"], cell["source"]
        if notebook:
            with contextlib.suppress(Exception):  # compile() reports what IPython can't
                source = _transform(source)
        filename = cell_filename(number, entry)
        errors.SOURCES[filename] = (number, source)
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        capture.current_cell = number
        transcript.start(number)
        try:
            if notebook:
                notebook.run(source, filename)
            else:
                tree = ast.parse(source, filename)
                exec(compile(rewrite(tree) if rewrite else tree, filename, "exec"), namespace)
        except SystemExit as exc:
            found.append(errors.failure("called_exit") | {"cell": number})
            transcript.failed(exc)
            capture.note("the code called exit(): the grader went on with the next cell")
        except Exception as exc:  # a failing cell never stops the others
            found.append(errors.record(exc))
            transcript.failed(exc)
        transcript.finish()
    capture.current_cell = None
    return found
