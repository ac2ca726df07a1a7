"""What went wrong, in the student's terms: a failure or a non-fatal error."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

FAILURE_KINDS = (
    "syntax",
    "error",
    "no_model",
    "timeout",
    "memory",
    "resources",
    "crashed",
    "environment",
    "rejected",
)


@dataclass(frozen=True)
class Problem:
    """One problem: a one-line message, a hint, and where in the submission it happened."""

    kind: str
    message: str
    hint: str
    cell: int | None = None
    line: int | None = None
    excerpt: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)
