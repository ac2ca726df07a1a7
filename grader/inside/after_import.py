"""Run a function on a module right after it is first imported, so the grader can adapt a
package (tensorflow_datasets, keras_tuner) only when a submission uses it: importing them
all up front would cost every submission their start-up time."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable
from types import ModuleType

Hook = Callable[[ModuleType], None]


class _Finder(importlib.abc.MetaPathFinder):
    """First on ``sys.meta_path``: finds a watched module as Python would, then runs its
    hook once the module has executed."""

    def __init__(self, hooks: dict[str, Hook]) -> None:
        self.hooks = hooks

    def find_spec(self, fullname: str, path, target=None):
        hook = self.hooks.get(fullname)
        if hook is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        run = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run(module)
            hook(module)

        spec.loader.exec_module = exec_module
        return spec


def install(hooks: dict[str, Hook]) -> None:
    """Hook each named module: now if it is already imported, else when it is."""
    for name, hook in hooks.items():
        if name in sys.modules:
            hook(sys.modules[name])
    sys.meta_path.insert(0, _Finder(hooks))
