"""Which names a failed statement leaves unbound, and how a knock-on NameError finds the
first link of its chain (grader/inside/bindings.py), on code as students write it."""

from __future__ import annotations

import ast
from types import SimpleNamespace

from grader.inside import bindings
from grader.inside.execute import statements

IMPORT_CELL = """\
import numpy as np
import matplotlib.pyplot as plt
from tensorflow.keras.layers.experimental import preprocessing
from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import Conv2D, Dense as D
import tensorflow.keras.backend
for i, (a, b) in enumerate([]):
    total = a
with open("f") as handle:
    pass
def build_model(units=10):
    inner = units
class Net:
    pass
if (n := 3) > 2:
    model = Sequential()
"""


def _cell(source: str) -> list[ast.stmt]:
    return ast.parse(source).body


def test_a_statement_binds_its_targets_and_not_what_its_functions_bind():
    names = set().union(*(bindings.bound(s) for s in _cell(IMPORT_CELL)))
    expected = {"np", "plt", "preprocessing", "Sequential", "Conv2D", "D", "tensorflow", "i"}
    assert expected | {"a", "b", "total", "handle", "build_model", "Net", "n", "model"} == names
    assert "inner" not in names and "units" not in names  # inside build_model
    assert {"inner", "units"} <= bindings.anywhere([ast.parse(IMPORT_CELL)])


def test_knock_on_errors_point_at_the_first_link_of_their_chain():
    cell = _cell(IMPORT_CELL)
    unbound = bindings.Unbound(bindings.anywhere([ast.parse(IMPORT_CELL)]))
    unbound.ran(cell[0])
    unbound.ran(cell[1])
    failed_import = {"id": 0, "cell": 1, "line": 3}
    unbound.failed(failed_import, cell[2:])  # the rest of the cell never ran
    model_cell = {"id": 1, "cell": 2, "line": 1, "missing_name": "Sequential"}
    unbound.failed(model_cell, _cell("model = Sequential()"))
    fit_cell = {"id": 2, "cell": 3, "line": 1, "missing_name": "model"}
    unbound.failed(fit_cell, _cell("history = model.fit(x, y)"))
    assert "cause" not in failed_import
    assert model_cell["cause"] == {"id": 0, "cell": 1, "line": 3}
    assert fit_cell["cause"] == {"id": 0, "cell": 1, "line": 3}  # through `model`, to the root
    unbound.ran(_cell("model = build()")[0])  # bound again by a later cell: no longer a knock-on
    later = {"id": 3, "cell": 5, "line": 1, "missing_name": "model"}
    unbound.failed(later, [])
    assert "cause" not in later


def test_a_name_no_cell_binds_gets_the_import_that_gives_it():
    keras = SimpleNamespace(models=SimpleNamespace(Sequential=object), layers=SimpleNamespace())
    assert bindings.import_for("Sequential", keras) == (
        "from tensorflow.keras.models import Sequential"
    )
    assert bindings.import_for("np", keras) == "import numpy as np"
    assert bindings.import_for("my_helper", keras) is None
    assert bindings.import_for("print", keras) is None


def test_a_scripts_main_block_runs_statement_by_statement_in_its_place():
    tree = ast.parse(
        "import os\n"
        "def main():\n    pass\n"
        "if __name__ == '__main__':\n    x = 1\n    if '__main__' == __name__:\n        main()\n"
        "if __name__ == 'other':\n    y = 2\n"
    )
    kinds = [type(s).__name__ for s in statements(tree)]
    assert kinds == ["Import", "FunctionDef", "Assign", "Expr", "If"]
