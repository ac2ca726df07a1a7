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
import os
import sys
from collections.abc import Callable
from pathlib import Path

from grader.inside import bindings, errors
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


def main_guard(node: ast.stmt) -> bool:
    """``if __name__ == "__main__":`` (either way round)."""
    test = node.test if isinstance(node, ast.If) else None
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return False
    sides = [test.left, *test.comparators]
    names = [s.id for s in sides if isinstance(s, ast.Name)]
    texts = [s.value for s in sides if isinstance(s, ast.Constant)]
    return isinstance(test.ops[0], ast.Eq) and names == ["__name__"] and texts == ["__main__"]


def statements(tree: ast.Module) -> list[ast.stmt]:
    """A script's top-level statements, a ``__main__`` block's own ones in its place: run
    from the command line, that block runs, and each of its statements is one of the
    script's."""
    out: list[ast.stmt] = []
    for node in tree.body:
        out.extend(statements(ast.Module(node.body, [])) if main_guard(node) else [node])
    return out


class Cells:
    """Compiles and runs code the way IPython does, sharing ``__future__`` flags across
    cells like a kernel. A notebook cell stops at its first failing statement, as in
    Jupyter; a script goes on with its next statement, as a notebook goes on with its next
    cell. Each failure notes the names it left unbound (``bindings``)."""

    def __init__(
        self,
        namespace: dict,
        notebook: bool,
        known: set[str],
        rewrite: Rewrite | None,
        keep: Callable[[list[dict]], None] | None = None,
    ):
        self.namespace = namespace
        self.keep = keep  # told every record so far, after each failure
        self.notebook = notebook
        self.rewrite = rewrite
        self.unbound = bindings.Unbound(known)
        self.failed: list[dict] = []
        self.raised: BaseException | None = None  # the last exception recorded here
        self.compiler = codeop.Compile()
        self.compiler.flags |= ast.PyCF_ALLOW_TOP_LEVEL_AWAIT

    def run(self, source: str, filename: str) -> None:
        try:  # a SyntaxError stops the whole cell, as in IPython
            tree = ast.parse(source, filename)
        except SyntaxError as exc:
            self.record(exc)
            raise
        if self.rewrite is not None:
            tree = self.rewrite(tree)
        body = tree.body if self.notebook else statements(tree)
        last = len(body) - 1 if self.notebook and not _quiet(source) else -1
        for i, node in enumerate(body):
            shown = i == last and isinstance(node, ast.Expr)
            mode = "single" if shown else "exec"
            wrapped = ast.Interactive([node]) if shown else ast.Module([node], [])
            try:
                self._execute(self.compiler(wrapped, filename, mode))
            except Exception as exc:
                self._failed(exc, body[i:] if self.notebook else [node])
                if self.notebook:
                    raise
            else:
                self.unbound.ran(node)

    def record(self, exc: BaseException) -> dict:
        record = errors.record(exc) | {"id": len(self.failed)}
        self.failed.append(record)
        self.raised = exc
        if self.keep is not None:
            self.keep(self.failed)
        return record

    def _failed(self, exc: Exception, not_run: list[ast.stmt]) -> None:
        record = self.record(exc)
        models = [self.namespace[n] for n in bindings.added_to(not_run[0]) if n in self.namespace]
        if models:  # which objects it would have added a layer to (model.add(base))
            record["adds_to"] = [id(m) for m in models]
        name = bindings.missing_name(exc)
        if name:
            record["missing_name"] = name
            keras = sys.modules.get("keras")
            suggested = bindings.import_for(name, keras) if name not in self.unbound.known else None
            if suggested:
                record["import"] = suggested
        self.unbound.failed(record, not_run)

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
    keep: Callable[[list[dict]], None] | None = None,
) -> list[dict]:
    """Execute each cell in ``namespace``; return error records of the cells that failed.
    A ``transcript`` (notebooks) records what each cell printed, raised and showed;
    ``rewrite`` changes each parsed cell or module before it is compiled; ``keep`` is
    given the records so far after each failure."""
    known = set()
    for cell in cells:
        with contextlib.suppress(SyntaxError, ValueError):
            known |= bindings.anywhere([ast.parse(cell["source"])])
    code = Cells(namespace, kind == "notebook", known, rewrite, keep)
    sys.displayhook = _keep_last_value(namespace, transcript)
    streams = tee(transcript) if transcript is not None else None
    try:  # without a transcript, one that keeps nothing
        kept = transcript or Transcript(0)
        return _run_cells(cells, code, entry, capture, kept)
    finally:
        if streams is not None:
            sys.stdout, sys.stderr = streams


def _run_cells(
    cells: list[dict], code: Cells, entry: Path, capture: Capture, transcript: Transcript
) -> list[dict]:
    pid = os.getpid()
    for cell in cells:
        number, source = cell["number"], cell["source"]
        if code.notebook:
            with contextlib.suppress(Exception):  # compile() reports what IPython can't
                source = _transform(source)
        filename = cell_filename(number, entry)
        errors.SOURCES[filename] = (number, source)
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        capture.current_cell = number
        transcript.start(number)
        try:
            code.run(source, filename)
        except SystemExit as exc:
            code.failed.append(errors.failure("called_exit") | {"cell": number})
            transcript.failed(exc)
            capture.note("the code called exit(): the grader went on with the next cell")
        except Exception as exc:  # a failing cell never stops the others
            if exc is not code.raised:
                code.record(exc)
            transcript.failed(exc)
        if os.getpid() != pid:  # a process the code forked fell out of it: not ours to run
            os._exit(0)
        transcript.finish()
    capture.current_cell = None
    return code.failed
