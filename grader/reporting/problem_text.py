"""A problem (a failure or a non-fatal error of the submission) and a rubric item as
text: the one wording of where it happened, its message, the lines it points at and its
hint, shared by the terminal, the exports, the pages and the course platforms' files."""

from __future__ import annotations


def where(p: dict) -> str:
    """``cell 3, line 9``, ``line 9`` or nothing."""
    return ", ".join(
        part
        for part in (
            f"cell {p['cell']}" if p.get("cell") else "",
            f"line {p['line']}" if p.get("line") else "",
        )
        if part
    )


def lines(p: dict, hint: str = "Hint", indent: str = "") -> list[str]:
    """Where and what, the excerpt indented under it, then the hint."""
    at = where(p)
    head = f"{indent}{at}: {p['message']}" if at else f"{indent}{p['message']}"
    more = [*p.get("excerpt", []), *([f"{hint}: {p['hint']}"] if p.get("hint") else [])]
    return [head, *(f"{indent}  {x}" if indent else x for x in more)]


def item_name(check: dict) -> str:
    """A rubric item's name where tools list it, marked when the assignment requires it."""
    return f"{check['name']} (required)" if check.get("required") else check["name"]


def item_text(check: dict) -> str:
    """A rubric item's message, and its hint when it has one."""
    return check["message"] + (f"\nHint: {check['hint']}" if check.get("hint") else "")
