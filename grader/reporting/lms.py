"""LMS gradebooks: a results folder's grades.csv into the gradebook CSV Canvas exports (to
import back), or through a roster into a plain CSV any LMS imports (Moodle, Blackboard, a
spreadsheet). Identifiers match exactly after stripping spaces, ignoring case, since LMS
logins and file names differ in little else."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import UsageError
from grader.reporting.results import GRADEBOOK, LOST, POINTS, write_atomic

BOM = "\ufeff"
POINTS_POSSIBLE = "Points Possible"  # Canvas's second row (indented), after an optional one
TEST_STUDENT = "Student, Test"  # Canvas's Student View enrollment: never one of ours
READ_ONLY = "(read only)"  # a computed column: Canvas ignores what is written there
ASSIGNMENT = re.compile(r"^(.*) \((\d+)\)$")  # Canvas names assignment columns "Title (id)"
ROSTER_FIELDS = ["student", "submission", "score", "max_score", "passed"]


@dataclass
class Grades:
    """grades.csv read back: its rows and its ``points:`` columns, in order."""

    rows: list[dict[str, str]]
    points: list[str]


@dataclass
class Matching:
    """What an export did, for the person who runs it: nobody is dropped silently."""

    filled: int = 0
    no_submission: list[str] = field(default_factory=list)
    no_student: list[str] = field(default_factory=list)
    not_graded: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    matched: set[str] = field(default_factory=set)

    def take(self, label: str, row: dict[str, str] | None) -> dict[str, str] | None:
        """Count one student; their grade row when there is a grade to write."""
        if row is None:
            self.no_submission.append(label)
            return None
        self.matched.add(row["submission"])
        if row.get("failure_kind") == LOST or not (row.get("score") or "").strip():
            self.not_graded.append(label)
            return None
        self.filled += 1
        return row

    def finish(self, grades: Grades) -> Matching:
        self.no_student = [
            r["submission"] for r in grades.rows if r["submission"] not in self.matched
        ]
        return self

    def lines(self, output: Path) -> list[str]:
        said = [f"wrote {output}: {self.filled} student(s) graded", *self.notes]
        for label, names in (
            ("no submission", self.no_submission),
            ("submission matched no student", self.no_student),
            ("not graded yet (the grading machine died under it: grade again)", self.not_graded),
        ):
            if names:
                said.append(f"{label} ({len(names)}): " + "; ".join(names))
        return said


def key(identifier: str) -> str:
    """What two identifiers must share to match."""
    return identifier.strip().casefold()


def read_grades(out: Path) -> Grades:
    path = out / GRADEBOOK
    if not path.is_file():
        raise UsageError(f"no {GRADEBOOK} in {out}: grade into that folder first (--out)")
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        fields = reader.fieldnames or []
    if not {"submission", "score"} <= set(fields):
        raise UsageError(f"{path} is not the grader's {GRADEBOOK}: no submission or score column")
    return Grades(rows, [f for f in fields if f.startswith(POINTS)])


def read_roster(path: Path) -> list[tuple[str, str]]:
    """(submission, student) pairs in the roster's order; a blank submission is a student
    who handed nothing in."""
    text, _ = _read_text(path, "roster")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    named = {key(f): f for f in reader.fieldnames or []}
    if not {"submission", "student"} <= set(named):
        raise UsageError(f"{path}: a roster has the columns submission,student")
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for n, row in enumerate(reader, start=2):
        submission = (row[named["submission"]] or "").strip()
        student = (row[named["student"]] or "").strip()
        if not student:
            raise UsageError(f"{path}, line {n}: no student for submission {submission!r}")
        if submission and key(submission) in seen:
            raise UsageError(f"{path}, line {n}: submission {submission!r} is listed twice")
        seen.add(key(submission))
        pairs.append((submission, student))
    return pairs


def canvas(
    out: Path,
    gradebook: Path,
    column: str,
    match: str,
    output: Path,
    roster: list[tuple[str, str]] | None = None,
) -> Matching:
    """Fill one assignment's column of Canvas's gradebook export with the scores. Rows
    not filled stay byte for byte as Canvas wrote them, so the import changes nothing
    else; a filled row keeps every other cell's value."""
    grades = read_grades(out)
    sheet = _read_sheet(gradebook)
    header = [h.strip() for h in sheet.records[0].cells]
    first = _first_student(sheet, gradebook)
    possible = sheet.records[first - 1].cells
    assignments = [
        h for i, h in enumerate(header) if ASSIGNMENT.match(h) and _cell(possible, i) != READ_ONLY
    ]
    target = _column(header, column, assignments, gradebook, "assignment")
    people = header[: header.index(assignments[0])] if assignments else header
    by = _column(header, match, people, gradebook, "student")
    students = None if roster is None else {key(s): student for s, student in roster if s}
    graded = _index(
        grades.rows,
        lambda r: r["submission"] if students is None else students.get(key(r["submission"])),
    )
    done, out_of = Matching(), set()
    for record in sheet.records[first:]:
        name = _name(header, record.cells)
        if name == TEST_STUDENT or not any(c.strip() for c in record.cells):
            continue
        ident = _cell(record.cells, by).strip()
        row = done.take(f"{name} ({ident or 'no ' + header[by]})", graded.get(key(ident)))
        if row is not None:
            record.cells.extend([""] * (target + 1 - len(record.cells)))
            record.cells[target] = _number(row["score"])
            record.changed = True
            out_of.add(_number(row.get("max_score") or ""))
    if out_of - {_number(_cell(possible, target))}:
        done.notes.append(
            f"note: {header[target]!r} has {_cell(possible, target).strip() or 'no'} points "
            f"possible, the scores are out of {', '.join(sorted(out_of))}: Canvas takes them "
            "as points"
        )
    _write_sheet(sheet, output)
    return done.finish(grades)


def roster_csv(out: Path, roster: list[tuple[str, str]], output: Path) -> Matching:
    """A plain CSV for any LMS: a row per roster line, blank scores for students without a
    grade, then the ``points:`` columns for per-item imports."""
    grades = read_grades(out)
    by_submission = _index(grades.rows, lambda r: r["submission"])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=ROSTER_FIELDS + grades.points, extrasaction="ignore")
    writer.writeheader()
    done = Matching()
    for submission, student in roster:
        label = f"{student} ({submission})" if submission else student
        row = done.take(label, by_submission.get(key(submission)) if submission else None)
        writer.writerow({**(row or {}), "student": student, "submission": submission})
    write_atomic(output, buffer.getvalue())
    return done.finish(grades)


def _index(
    rows: list[dict[str, str]], identify: Callable[[dict[str, str]], str | None]
) -> dict[str, dict[str, str]]:
    """Grade rows under the key of whom they identify; two rows for one is an error, not a
    coin toss."""
    found: dict[str, dict[str, str]] = {}
    for row in rows:
        name = identify(row)
        if name is None:
            continue
        earlier = found.setdefault(key(name), row)
        if earlier is not row:
            raise UsageError(
                f"submissions {earlier['submission']!r} and {row['submission']!r} both stand "
                f"for {name!r}: rename one or fix the roster"
            )
    return found


@dataclass
class _Record:
    """One CSV record and the exact text it was read from."""

    cells: list[str]
    raw: str
    changed: bool = False


@dataclass
class _Sheet:
    records: list[_Record]
    delimiter: str
    newline: str
    bom: bool


def _read_text(path: Path, what: str) -> tuple[str, bool]:
    """A UTF-8 file's text without its byte-order mark, and whether it had one."""
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read the {what} {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"the {what} {path} is not UTF-8 (save it as CSV UTF-8)") from exc
    return text.removeprefix(BOM), text.startswith(BOM)


def _read_sheet(path: Path) -> _Sheet:
    """Canvas's export as records, each with its raw text; the separator is ``,`` or the
    ``;`` Canvas uses for locales with a decimal comma."""
    text, bom = _read_text(path, "gradebook")
    lines = io.StringIO(text, newline="").readlines()
    if not lines:
        raise UsageError(f"the gradebook {path} is empty")
    delimiter = max(",;\t", key=lambda d: len(next(csv.reader(lines[:1], delimiter=d))))
    reader = csv.reader(iter(lines), delimiter=delimiter)
    records: list[_Record] = []
    read = 0  # lines taken by the records so far: a quoted cell may span several
    try:
        for cells in reader:
            records.append(_Record(cells, "".join(lines[read : reader.line_num])))
            read = reader.line_num
    except csv.Error as exc:
        raise UsageError(f"{path}, line {reader.line_num}: not a CSV file ({exc})") from exc
    return _Sheet(records, delimiter, "\r\n" if lines[0].endswith("\r\n") else "\n", bom)


def _write_sheet(sheet: _Sheet, path: Path) -> None:
    """Back as it came: same byte-order mark, separator and line ends; only changed
    records are written anew (quoted where needed, as Canvas does)."""
    parts = [BOM if sheet.bom else ""]
    for record in sheet.records:
        if not record.changed:
            parts.append(record.raw)
            continue
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=sheet.delimiter, lineterminator=sheet.newline).writerow(
            record.cells
        )
        ended = record.raw.endswith(("\n", "\r"))
        parts.append(buffer.getvalue() if ended else buffer.getvalue().removesuffix(sheet.newline))
    write_atomic(path, "".join(parts))


def _first_student(sheet: _Sheet, path: Path) -> int:
    """The record after "Points Possible": Canvas puts it second, or third after a row
    saying which assignments post grades manually."""
    for i, record in enumerate(sheet.records[1:3], start=1):
        if _cell(record.cells, 0).strip() == POINTS_POSSIBLE:
            return i + 1
    raise UsageError(
        f'{path} has no "{POINTS_POSSIBLE}" row under its header: not a gradebook exported '
        "from Canvas (Grades, Export, Export Entire Gradebook)"
    )


def _column(header: list[str], name: str, choices: list[str], path: Path, kind: str) -> int:
    """A column by its exact name, or an assignment by its title alone when only one has it."""
    wanted = name.strip()
    if wanted in choices:
        return header.index(wanted)
    titled = [i for i, h in enumerate(header) if (m := ASSIGNMENT.match(h)) and m[1] == wanted]
    if len(titled) == 1 and header[titled[0]] in choices:
        return titled[0]
    raise UsageError(
        f"no {kind} column {name!r} in {path}; its {kind} columns: "
        + ", ".join(repr(c) for c in choices)
    )


def _cell(cells: list[str], i: int) -> str:
    return cells[i] if i < len(cells) else ""


def _name(header: list[str], cells: list[str]) -> str:
    """A student's name as Canvas shows it, also from an export with split name columns."""
    if header[:2] == ["LastName", "FirstName"]:
        return f"{_cell(cells, 0).strip()}, {_cell(cells, 1).strip()}"
    return _cell(cells, 0).strip()


def _number(value: str) -> str:
    """A score as Canvas writes one: at most two decimals, no trailing zeros."""
    try:
        return f"{float(value):.2f}".rstrip("0").rstrip(".")
    except ValueError:
        return value.strip()
