"""Collecting submissions: turn the paths given on the command line into submissions.

Everything that can be judged without running code is judged here (file type,
notebook JSON, a module's syntax), so such problems get a verdict in
milliseconds. Reading a notebook is reading data; nothing is executed.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import warnings
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from grader.errors import UsageError
from grader.inside.errors import excerpt
from grader.judging import verdict
from grader.judging.verdict import Problem
from grader.spec_types import GRADABLE, SUBMISSION_FILES

SKIPPED_NAMES = {"__pycache__", ".ipynb_checkpoints", "__MACOSX", ".git"}
MAX_ZIP_MEMBERS = 5000
MAX_FOLDER_BYTES = 200 * 2**20


@dataclass(frozen=True)
class Cell:
    """A piece of code to run in order: a notebook code cell, or a whole module."""

    number: int | None  # position among all notebook cells, 1-based; None for a module
    source: str


@dataclass(frozen=True)
class Submission:
    id: str
    origin: Path  # what the user named: a file, a student's folder, or a zip
    entry: Path | None = None  # the notebook or module to run
    folder: Path | None = None  # a student's folder: its files go along with the entry
    kind: str = ""  # "notebook" or "module"
    cells: tuple[Cell, ...] = ()
    notes: tuple[Problem, ...] = ()  # non-fatal problems found while reading
    problem: Problem | None = None  # a verdict reached without running anything
    digest: str = field(default="", compare=False)


def collect(
    paths: list[str], scratch: Path, patterns: tuple[str, ...] = SUBMISSION_FILES
) -> tuple[list[Submission], list[str]]:
    """Submissions for the given paths, and usage errors for paths that give none.
    ``patterns``: in a student's folder, which file is the submission (the spec's
    ``submission_files``, most preferred first)."""
    found: list[Submission] = []
    usage: list[str] = []
    for given in paths:
        path = Path(given)
        if not path.exists():
            usage.append(f"{given}: no such file or folder")
        elif path.is_dir():
            entries = [p for p in sorted(path.iterdir()) if not skipped(p.name)]
            if not entries:
                usage.append(f"{given}: empty folder, no submissions in it")
            found.extend(one(p, scratch, patterns) for p in entries)
        else:
            found.append(one(path, scratch, patterns))
    return _unique_ids(found), usage


def skipped(name: str) -> bool:
    """A name that never reaches the sandbox, at any depth of a student's folder: hidden
    files and folders (a repository's .git), caches, macOS debris."""
    return name.startswith(".") or name in SKIPPED_NAMES


def folder_files(folder: Path) -> list[Path]:
    """A student's folder as the sandbox gets it: every file but the skipped ones, in a
    fixed order (skipped folders are not even walked)."""
    found = []
    for top, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not skipped(d)]
        found.extend(Path(top, n) for n in names if not skipped(n))
    return sorted(p for p in found if p.is_file())


def sandbox_files(sub: Submission) -> list[Path]:
    """The files of a submission that go into the sandbox: the one decision behind the
    copy into a run's folder, a cluster task's files and the result cache's digest."""
    if sub.entry is None:
        return []
    return [sub.entry] if sub.folder is None else folder_files(sub.folder)


def one(path: Path, scratch: Path, patterns: tuple[str, ...] = SUBMISSION_FILES) -> Submission:
    """One student's file, folder or zip as one submission."""
    stem = path.stem if path.is_file() else path.name
    if path.is_dir():
        return _from_folder(stem, path, path, patterns)
    if path.suffix.lower() == ".zip":
        return _from_zip(stem, path, scratch, patterns)
    if path.suffix.lower() in GRADABLE:
        return _read_entry(stem, path, path, None)
    return Submission(
        stem,
        path,
        problem=Problem(
            "rejected",
            f"{path.name} is not a notebook (.ipynb) or a Python module (.py)",
            "hand in the notebook itself (in Jupyter or Colab: File > Download > .ipynb), "
            "not a PDF, HTML or Word export.",
        ),
    )


def _from_zip(stem: str, path: Path, scratch: Path, patterns: tuple[str, ...]) -> Submission:
    target = scratch / "unzipped" / hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if (
                len(members) > MAX_ZIP_MEMBERS
                or sum(m.file_size for m in members) > MAX_FOLDER_BYTES
            ):
                return _rejected(
                    stem,
                    path,
                    "the zip is too large to grade",
                    "zip only your notebook or code, not data or models.",
                )
            shutil.rmtree(target, ignore_errors=True)
            for m in members:
                name = Path(m.filename)
                if name.is_absolute() or ".." in name.parts or m.is_dir():
                    continue
                out = target / name
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(archive.read(m))
    except (zipfile.BadZipFile, OSError) as exc:
        return _rejected(
            stem,
            path,
            f"{path.name} is not a readable zip ({exc})",
            "zip your folder again, or hand in the notebook itself.",
        )
    return _from_folder(stem, path, target, patterns)


def _from_folder(stem: str, origin: Path, folder: Path, patterns: tuple[str, ...]) -> Submission:
    files = folder_files(folder)
    if sum(p.stat().st_size for p in files) > MAX_FOLDER_BYTES:
        return _rejected(
            stem,
            origin,
            "the folder is too large to grade",
            "hand in your notebook or code, not data sets or saved models.",
        )
    for pattern in patterns:
        group = _preferred([p for p in files if _matches(p.relative_to(folder), pattern)])
        if len(group) == 1:
            return _read_entry(stem, origin, group[0], folder)
        if len(group) > 1:
            names = ", ".join(str(p.relative_to(folder)) for p in group)
            return _rejected(
                stem,
                origin,
                f"several files could be the submission: {names}",
                f"hand in one file matching {pattern} (the assignment looks for "
                f"{' or '.join(patterns)}, in that order); remove or rename the others.",
            )
    return _rejected(
        stem,
        origin,
        f"{origin.name} holds no notebook or module the assignment grades ({', '.join(patterns)})",
        "put your notebook in the folder or zip you hand in.",
    )


def _matches(path: Path, pattern: str) -> bool:
    """A glob on the file's path, from the right, in any case (Colab saves .IPYNB too)."""
    return Path(str(path).lower()).match(pattern.lower())


def _preferred(group: list[Path]) -> list[Path]:
    """Of several modules, those that define build_model() (the others are helpers)."""
    if len(group) > 1 and all(p.suffix.lower() == ".py" for p in group):
        return [p for p in group if "def build_model" in _text(p)] or group
    return group


def _text(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")


def _rejected(stem: str, origin: Path, message: str, hint: str) -> Submission:
    return Submission(stem, origin, problem=Problem("rejected", message, hint))


def _read_entry(stem: str, origin: Path, entry: Path, folder: Path | None) -> Submission:
    raw = entry.read_bytes()
    base = Submission(stem, origin, entry=entry, folder=folder)
    base = replace(base, digest=_digest(base))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return replace(
            base,
            problem=Problem(
                "rejected",
                f"{entry.name} is not UTF-8 text",
                "save the file as UTF-8 (the default in Jupyter, Colab and VS Code).",
            ),
        )
    if entry.suffix.lower() == ".py":
        return _read_module(base, text)
    return _read_notebook(base, text)


def _read_module(base: Submission, text: str) -> Submission:
    try:
        ast.parse(text, filename=base.entry.name)
    except SyntaxError as exc:
        record = {
            "exception": type(exc).__name__,
            "message": exc.msg,
            "line": exc.lineno,
            "excerpt": excerpt(text, exc.lineno),
        }
        return replace(base, kind="module", problem=verdict.from_record(record, "syntax"))
    return replace(base, kind="module", cells=(Cell(None, text),))


def _read_notebook(base: Submission, text: str) -> Submission:
    import nbformat  # deferred: only notebooks pay for it

    name = base.entry.name
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        return replace(
            base,
            kind="notebook",
            problem=Problem(
                "rejected",
                f"{name} is not valid notebook JSON (line {exc.lineno}, "
                f"column {exc.colno}: {exc.msg})",
                "the file is damaged or not a notebook: download it again from Jupyter or "
                "Colab (File > Download > .ipynb).",
            ),
        )
    notes: list[Problem] = []
    try:
        version = int(raw.get("nbformat", 0)) if isinstance(raw, dict) else 0
        with warnings.catch_warnings():  # what Jupyter only warns about is not a problem
            warnings.simplefilter("ignore")
            notebook = nbformat.reads(text, as_version=4)
        cells = tuple(
            Cell(i, cell.source)
            for i, cell in enumerate(notebook.cells, start=1)
            if cell.cell_type == "code" and cell.source.strip()
        )
    except Exception as exc:  # nbformat raises many kinds for what Jupyter cannot open
        return replace(
            base,
            kind="notebook",
            problem=Problem(
                "rejected",
                f"{name} is not a valid notebook ({_first_line(exc)})",
                "open it in Jupyter and save it again, or download it again from Colab.",
            ),
        )
    if version < 4:
        notes.append(
            Problem(
                "rejected",
                f"{name} is an old nbformat {version} notebook; it was converted to "
                "nbformat 4 and graded",
                "save it again with a current Jupyter so nothing is lost in conversion.",
            )
        )
    invalid = _invalid(notebook)
    if invalid:
        notes.append(
            Problem(
                "rejected",
                f"{name} does not follow the notebook format ({invalid}); it was graded as "
                "Jupyter opens it, with a warning",
                "open it in Jupyter and save it again, so other tools read it too.",
            )
        )
    return replace(base, kind="notebook", cells=cells, notes=tuple(notes))


def _invalid(notebook) -> str | None:
    """What strict validation finds wrong in a notebook Jupyter opens anyway (extra
    properties, say): a warning, not a reason to refuse it."""
    import nbformat

    try:
        nbformat.validate(notebook)
    except nbformat.ValidationError as exc:
        return _first_line(exc)
    return None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _digest(sub: Submission) -> str:
    """Content hash of exactly what goes into the sandbox, for the result cache."""
    h = hashlib.sha256()
    for p in sandbox_files(sub):
        h.update(str(p.relative_to(sub.folder) if sub.folder else p.name).encode() + b"\0")
        h.update(p.read_bytes())
    return h.hexdigest()


def _unique_ids(subs: list[Submission]) -> list[Submission]:
    """Keep ids unique: alice.py and alice.ipynb become alice-py and alice-ipynb."""
    counts: dict[str, int] = {}
    for s in subs:
        counts[s.id] = counts.get(s.id, 0) + 1
    out = []
    for s in subs:
        if counts[s.id] > 1:
            suffix = s.origin.suffix.lstrip(".") or "folder"
            s = replace(s, id=f"{s.id}-{suffix}")
        out.append(s)
    if len({s.id for s in out}) != len(out):
        raise UsageError("two submissions have the same name; give each its own file name")
    return out
