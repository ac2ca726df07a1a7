"""The compatibility layer: old Keras 1/2, NumPy 1, SciPy and matplotlib code runs on
today's stack in the student stage, and every translation it needed is recorded (call,
cell, line, what it became, how to write it today): legacy_keras for Keras's classes,
legacy_modules for moved modules and removed names, and here ``int()``/``float()`` of a
one-element array, rewritten in the submission's parsed code only. What cannot be
translated faithfully is left to fail with its hint.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable

import numpy as np

from grader.inside import legacy_keras, legacy_modules
from grader.inside.translations import Translations

SCALAR_CALL = "__grader_scalar__"  # what int(...)/float(...) calls in student code become


class _Scalars(ast.NodeTransformer):
    """``int(x)`` -> ``__grader_scalar__(int, x)``: whatever ``int`` is bound to still
    decides; only a one-element array gets NumPy 1's meaning."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if (
            isinstance(node.func, ast.Name)
            and node.func.id in ("int", "float")
            and len(node.args) == 1
            and not node.keywords
        ):
            call = ast.Call(ast.Name(SCALAR_CALL, ast.Load()), [node.func, *node.args], [])
            return ast.copy_location(call, node)
        return node


def scalars(tree: ast.AST) -> ast.AST:
    """The student's parsed code with int()/float() routed through the scalar check."""
    return ast.fix_missing_locations(_Scalars().visit(tree))


def _scalar(log: Translations) -> Callable:
    def __grader_scalar__(kind, value):
        if (
            kind in (builtins.int, builtins.float)
            and isinstance(value, np.ndarray)
            and value.ndim > 0
            and value.size == 1
        ):
            name = kind.__name__
            log.record(
                f"{name}(array of shape {value.shape})",
                f"{name}(array.item())",
                f"{name}(a.item()) or {name}(a[0]): NumPy 2 converts only 0-d arrays",
            )
            return kind(value.item())
        return kind(value)

    return __grader_scalar__


def install(keras, namespace: dict, log: Translations) -> None:
    """Every translation, before the submission's code runs."""
    legacy_keras.install(keras, log)
    legacy_modules.install(log)
    namespace[SCALAR_CALL] = _scalar(log)
