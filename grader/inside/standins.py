"""Stand-ins for modules the grading environment does not have, so a notebook's
``import wandb`` does not abort its cell and take the model down with it.

Only an import written in the submission's own code gets one: a library probing for an
optional dependency still gets its ImportError, and so does an import the student
guarded with ``try/except ImportError``. Keras, TensorFlow and NumPy are never stood in
for. Each stand-in is recorded once, with its cell and line, as an environment note.
"""

from __future__ import annotations

import ast
import importlib.abc
import importlib.machinery
import sys
import types

from grader.inside import errors

NEVER = ("keras", "tensorflow", "numpy", "grader", "tf_keras")
IMPORT_ERRORS = ("ImportError", "ModuleNotFoundError", "Exception", "BaseException")


class StandInError(ModuleNotFoundError):
    """Code needed a real value from a stood-in module."""


class StandIn:
    """Any name of a stood-in module: calls, attributes, items and ``with`` give more
    stand-ins; where a real value is needed (numbers, iteration) it fails, naming the
    module."""

    def __init__(self, module: str, path: str):
        self._module = module
        self._path = path

    def __getattr__(self, name: str) -> StandIn:
        if name.startswith("_"):  # protocols and private probes: as if absent
            raise AttributeError(name)
        return StandIn(self._module, f"{self._path}.{name}")

    def __call__(self, *args, **kwargs) -> StandIn:
        return StandIn(self._module, f"{self._path}(...)")

    def __getitem__(self, key) -> StandIn:
        return StandIn(self._module, f"{self._path}[...]")

    def __setitem__(self, key, value) -> None:
        pass

    def __enter__(self) -> StandIn:
        return self

    def __exit__(self, *exc) -> bool:
        return False

    def __bool__(self) -> bool:
        return False

    def __mro_entries__(self, bases: tuple) -> tuple:
        return (object,)  # class MyCallback(wandb.Callback): still a class

    def __repr__(self) -> str:
        return f"<stand-in for {self._path}: {self._module} is not installed>"

    def _needed(self, *args, **kwargs):
        raise StandInError(
            f"No module named '{self._module}' (a stand-in replaced it so the code after the "
            f"import could run, but `{self._path}` needs its real value here)",
            name=self._module,
        )

    __iter__ = __len__ = __int__ = __float__ = __index__ = __array__ = _needed
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _needed
    __truediv__ = __rtruediv__ = __lt__ = __le__ = __gt__ = __ge__ = _needed


class StandInModule(types.ModuleType):
    """A stood-in package: every attribute and submodule is a stand-in."""

    def __getattr__(self, name: str) -> StandIn:
        if name.startswith("__"):
            raise AttributeError(name)
        return StandIn(self.__name__.split(".")[0], f"{self.__name__}.{name}")


class _Loader(importlib.abc.Loader):
    def create_module(self, spec) -> types.ModuleType:
        module = StandInModule(spec.name)
        module.__path__ = []  # a package, so `from x.y import z` finds x.y here too
        return module

    def exec_module(self, module) -> None:
        pass


def _student_line() -> tuple[str, int] | None:
    """The submission's line that asked for the import, when it was the submission's."""
    frame = sys._getframe(2)
    while frame and (
        frame.f_code.co_filename.startswith("<frozen importlib")
        or frame.f_code.co_filename == __file__
    ):
        frame = frame.f_back
    if frame is None or frame.f_code.co_filename not in errors.SOURCES:
        return None
    return frame.f_code.co_filename, frame.f_lineno


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(getattr(n, "id", getattr(n, "attr", None)) in IMPORT_ERRORS for n in names)


def _guarded(source: str, line: int) -> bool:
    """Whether ``line`` sits in a ``try`` whose handler expects the import to fail."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(map(_catches_import_error, node.handlers)):
            body_end = node.body[-1].end_lineno or node.body[-1].lineno
            if node.body[0].lineno <= line <= body_end:
                return True
    return False


class Finder(importlib.abc.MetaPathFinder):
    """Last on ``sys.meta_path``: asked only when no real module was found."""

    def __init__(self) -> None:
        self.notes: list[dict] = []

    def find_spec(self, fullname: str, path, target=None):
        if fullname.split(".")[0] in NEVER:
            return None
        parent = sys.modules.get(fullname.rpartition(".")[0])
        if not isinstance(parent, StandInModule):
            where = _student_line()
            if where is None:
                return None
            cell, source = errors.SOURCES[where[0]]
            if _guarded(source, where[1]):
                return None
            self._note(fullname, cell, where[1], source)
        return importlib.machinery.ModuleSpec(fullname, _Loader(), is_package=True)

    def _note(self, name: str, cell: int | None, line: int, source: str) -> None:
        self.notes.append(
            {
                "exception": "ModuleNotFoundError",
                "message": f"No module named '{name}': a stand-in that does nothing took its "
                "place, so the code after the import still ran",
                "kind": "environment",
                "stood_in": name,
                "cell": cell,
                "line": line,
                "excerpt": errors.excerpt(source, line),
            }
        )


def install() -> Finder:
    finder = Finder()
    sys.meta_path.append(finder)
    return finder
