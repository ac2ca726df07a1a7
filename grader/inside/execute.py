"""Run the submission's code in order; a failing cell is recorded and the next one runs."""

from __future__ import annotations

import contextlib
import linecache
from pathlib import Path

from grader.inside import errors
from grader.inside.patches import Capture


def cell_filename(number: int | None, entry: Path) -> str:
    return str(entry) if number is None else f"<cell {number}>"


def _transform(source: str) -> str:
    """IPython syntax (magics, !shell, leading indentation) to plain Python."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def run(cells: list[dict], kind: str, entry: Path, namespace: dict, capture: Capture) -> list[dict]:
    """Execute each cell in ``namespace``; return error records of the cells that failed."""
    found: list[dict] = []
    for cell in cells:
        number, source = cell["number"], cell["source"]
        if kind == "notebook":
            with contextlib.suppress(Exception):  # compile() reports what IPython can't
                source = _transform(source)
        filename = cell_filename(number, entry)
        errors.SOURCES[filename] = (number, source)
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        capture.current_cell = number
        try:
            exec(compile(source, filename, "exec"), namespace)
        except SystemExit:
            found.append(
                errors.problem("the code called exit(); the grader went on", "error")
                | {"cell": number}
            )
        except Exception as exc:  # a failing cell never stops the others
            found.append(errors.record(exc))
    capture.current_cell = None
    return found
