"""The package's floor plan holds: no module imports one that imports it back (at any
level: module, function or type-checking), and the light commands load only what they
use."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import grader

PACKAGE = Path(grader.__file__).parent
HEAVY = (
    "numpy",
    "tensorflow",
    "keras",
    "grader.pipeline",
    "grader.runner.sandbox",
    "grader.runner.stages",
)


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, known: set[str]) -> set[str]:
    """Every module of ours ``path`` imports, wherever the import statement is."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return found & known


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def _graph() -> dict[str, set[str]]:
    paths = {_module(p): p for p in PACKAGE.rglob("*.py")}
    return {name: _imports(path, set(paths)) - {name} for name, path in paths.items()}


def test_no_module_of_the_package_is_in_an_import_cycle():
    graph = _graph()
    assert (
        len(graph) > 50 and "grader.runner.warm.confine" in graph["grader.runner.sandbox"]
    )  # it reads them
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("argv", [["--help"], ["weights", "list"]])
def test_light_commands_load_no_grading_stack(argv, tmp_path):
    code = (
        "import json, sys\nfrom grader import cli\ntry:\n    cli.main(sys.argv[1:])\n"
        "except SystemExit:\n    pass\nprint(json.dumps(sorted(sys.modules)))"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GRADER_WEIGHTS": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, env=env, timeout=60
    )
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "grader.cli" in loaded, done.stderr
    assert sorted(m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY) == []
