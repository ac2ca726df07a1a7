"""Which names a statement binds, read from its syntax tree: when a cell or statement fails,
the names it would have bound are left unbound, and a later ``NameError`` for one of them
is a consequence of that failure, not a cause of its own."""

from __future__ import annotations

import ast
import builtins
import re

_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)

# What a name is usually imported as, for a NameError on a name no cell binds.
COMMON_IMPORTS = {
    "np": "import numpy as np",
    "pd": "import pandas as pd",
    "plt": "import matplotlib.pyplot as plt",
    "sns": "import seaborn as sns",
    "tf": "import tensorflow as tf",
    "keras": "from tensorflow import keras",
    "layers": "from tensorflow.keras import layers",
    "models": "from tensorflow.keras import models",
    "optimizers": "from tensorflow.keras import optimizers",
    "callbacks": "from tensorflow.keras import callbacks",
    "math": "import math",
    "os": "import os",
    "time": "import time",
    "random": "import random",
}
# Keras modules searched, in this order, for a name no cell binds.
KERAS_MODULES = (
    "models",
    "layers",
    "optimizers",
    "losses",
    "callbacks",
    "utils",
    "datasets",
    "regularizers",
    "initializers",
    "metrics",
    "activations",
)
_MISSING = re.compile(r"name '(\w+)' is not defined")


def _targets(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def bound(statement: ast.AST) -> set[str]:
    """Names ``statement`` binds in the scope it runs in (not inside functions it defines)."""
    names: set[str] = set()
    stack = [statement]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            continue
        if isinstance(node, (ast.Lambda, *_COMPREHENSIONS)):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            for target in getattr(node, "targets", None) or [node.target]:
                names |= _targets(target)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            names |= _targets(node.target)
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            names |= _targets(node.optional_vars)
        elif isinstance(node, ast.NamedExpr):
            names.add(node.target.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        stack.extend(ast.iter_child_nodes(node))
    return names


def anywhere(trees: list[ast.AST]) -> set[str]:
    """Every name bound anywhere in the code, functions' own names and bodies included."""
    names: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                names.add(getattr(node, "name", ""))
                names |= {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names |= {a.asname or a.name.split(".")[0] for a in node.names}
    return names


def added_to(statement: ast.AST) -> set[str]:
    """The variables whose ``.add(...)`` the statement calls (``model.add(base)``)."""
    return {
        node.func.value.id
        for node in ast.walk(statement)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "add"
        and isinstance(node.func.value, ast.Name)
    }


def missing_name(exc: BaseException) -> str | None:
    """The name a ``NameError`` says is not defined."""
    if not isinstance(exc, NameError):
        return None
    found = _MISSING.search(str(exc))
    return found[1] if found else None


def import_for(name: str, keras) -> str | None:
    """The import line that gives ``name``, when it is a common alias or a Keras name."""
    if name in COMMON_IMPORTS:
        return COMMON_IMPORTS[name]
    if hasattr(builtins, name) or not name[:1].isalpha():
        return None
    for module in KERAS_MODULES:
        if hasattr(getattr(keras, module, None), name):
            return f"from tensorflow.keras.{module} import {name}"
    return None


class Unbound:
    """The names each failure so far has left unbound (to the first failure of a chain),
    updated as statements run: a later statement that binds a name again clears it."""

    def __init__(self, known: set[str]):
        self.known = known  # every name the submission binds anywhere
        self.left: dict[str, dict] = {}  # name -> the root failure that left it unbound

    def ran(self, statement: ast.AST) -> None:
        for name in bound(statement):
            self.left.pop(name, None)

    def failed(self, record: dict, not_run: list[ast.AST]) -> None:
        """``record`` failed; the statements in ``not_run`` (its own first) did not bind."""
        root = self.left.get(record.get("missing_name") or "", None)
        if root is not None:  # a knock-on: it points at the root of its chain
            record["cause"] = {"id": root["id"], "cell": root["cell"], "line": root["line"]}
        else:
            root = record
        for statement in not_run:
            for name in bound(statement):
                self.left[name] = root
