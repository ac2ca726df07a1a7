"""``executed.ipynb``: the student's notebook as the grader ran it, for a TA to open in
Jupyter. Every cell of the original, in its place (so "cell 5" in the report is the
fifth cell here too), each code cell that ran with what it printed, its last value, its
error as Jupyter shows one, and the grader's notes on what it changed there.

The per-cell records come from the sandbox (grader/inside/transcript.py): untrusted
data, so each field is taken only when it has the right type, and only plain-text
outputs are made (a stream, an error, ``text/plain``): nothing a submission prints can
become HTML or script in the TA's browser. The grader's notes are a stream of their own,
first in the cell's outputs and marked ``[grader]``, rather than a markdown cell after
it: the cells keep their numbers, and the note's text (which quotes the student's code)
is never rendered as markdown.
"""

from __future__ import annotations

from pathlib import Path

from grader.reporting import printed, results

EXECUTED = "executed.ipynb"
NOTE = "[grader] "
STREAMS = ("stdout", "stderr")


def _text(value: object) -> str | None:
    """A string from the sandbox, writable as UTF-8 (no lone surrogates) and without paths
    of the grading machine; None for anything else."""
    if not isinstance(value, str):
        return None
    return printed.scrub(value.encode("utf-8", "replace").decode("utf-8"))


def _outputs(record: dict, count: int) -> list:
    """A cell's outputs in Jupyter's order: the grader's notes, streams, value, error."""
    from nbformat import v4

    outputs = []
    notes = [n for n in map(_text, record.get("notes") or []) if n]
    if notes:
        outputs.append(v4.new_output("stream", name="stderr", text=_notes(notes)))
    for stream in record.get("streams") or []:
        stream = stream if isinstance(stream, dict) else {}
        name, text = stream.get("name"), _text(stream.get("text"))
        if name in STREAMS and text:
            outputs.append(v4.new_output("stream", name=name, text=text))
    value = _text(record.get("value"))
    if value is not None:
        outputs.append(
            v4.new_output("execute_result", data={"text/plain": value}, execution_count=count)
        )
    error = record.get("error")
    if isinstance(error, dict) and _text(error.get("ename")):
        lines = error.get("traceback")
        outputs.append(
            v4.new_output(
                "error",
                ename=_text(error["ename"]),
                evalue=_text(error.get("evalue")) or "",
                traceback=[_text(x) for x in lines if isinstance(x, str)]
                if isinstance(lines, list)
                else [],
            )
        )
    return outputs


def _notes(notes: list[str]) -> str:
    return "".join(f"{NOTE}{note}\n" for note in notes)


def build(entry: Path, cells: object, grader_version: str) -> str | None:
    """The executed notebook's JSON, validated; None when no cell record came back."""
    import nbformat

    if not isinstance(cells, list):
        return None
    records = [c for c in cells if isinstance(c, dict) and type(c.get("number")) is int]
    notebook = nbformat.reads(entry.read_bytes().decode("utf-8-sig"), as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    for count, record in enumerate(records, start=1):
        if 1 <= record["number"] <= len(notebook.cells):
            cell = notebook.cells[record["number"] - 1]
            if cell.cell_type == "code":
                cell.execution_count = count
                cell.outputs = _outputs(record, count)
    notebook.metadata["grader"] = {
        "version": grader_version,
        "about": "run by the grader: outputs are its run's; lines marked [grader] say what "
        "it changed",
    }
    nbformat.validate(notebook)
    return nbformat.writes(notebook)


def save(folder: Path, text: str | None) -> None:
    """Beside result.json; a stale one from an earlier grading goes when there is none."""
    if text is None:
        (folder / EXECUTED).unlink(missing_ok=True)
    else:
        results.write_atomic(folder / EXECUTED, text)
