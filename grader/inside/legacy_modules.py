"""Moved modules and removed names outside Keras's classes: old module paths aliased by an
import hook (keras.layers.core, keras.utils.np_utils, ...), NumPy 1's aliases, SciPy's
image helpers, matplotlib's old seaborn style names and ImageDataGenerator under
standalone Keras 3, each added to its module once it is imported."""

from __future__ import annotations

import builtins
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from collections.abc import Callable

import numpy as np

from grader.inside.translations import Translations, missing

MOVED_MODULES = {  # old module -> where its names live today
    f"{prefix}{old}": f"{prefix}{new}"
    for prefix in ("keras.", "tensorflow.keras.")
    for old, new in {
        "layers.core": "layers",
        "layers.convolutional": "layers",
        "layers.pooling": "layers",
        "layers.normalization": "layers",
        "layers.recurrent": "layers",
        "layers.embeddings": "layers",
        "layers.noise": "layers",
        "layers.advanced_activations": "layers",
        "utils.np_utils": "utils",
        "utils.vis_utils": "utils",
    }.items()
}
NUMPY_ALIASES = {  # removed in NumPy 1.24/2.0 -> what it meant
    "float": ("float (or np.float64)", builtins.float),
    "int": ("int (or np.int64)", builtins.int),
    "bool": ("bool", builtins.bool),
    "object": ("object", builtins.object),
    "str": ("str", builtins.str),
    "long": ("int", builtins.int),
    "unicode": ("str", builtins.str),
    "complex": ("complex", builtins.complex),
    "float_": ("np.float64", np.float64),
    "complex_": ("np.complex128", np.complex128),
    "NaN": ("np.nan", np.nan),
    "Inf": ("np.inf", np.inf),
    "product": ("np.prod", np.prod),
    "cumproduct": ("np.cumprod", np.cumprod),
    "alltrue": ("np.all", np.all),
    "sometrue": ("np.any", np.any),
    "round_": ("np.round", np.round),
    "asscalar": ("a.item()", lambda a: np.asarray(a).item()),
    "in1d": ("np.isin", np.isin),
    "trapz": ("np.trapezoid", getattr(np, "trapezoid", None)),
}


def _legacy_image_generator():
    from keras.src.legacy.preprocessing.image import ImageDataGenerator

    return ImageDataGenerator


def _after_import(log: Translations) -> dict[str, Callable]:
    """What to add to a module when (or if already) it is imported."""

    def numpy_aliases(module):
        missing(module, NUMPY_ALIASES, log)

    def preprocessing_image(module):
        if not hasattr(module, "ImageDataGenerator"):
            missing(
                module,
                {
                    "ImageDataGenerator": (
                        "tf.keras.preprocessing.image.ImageDataGenerator (or the keras.layers "
                        "Random* augmentation layers)",
                        _legacy_image_generator(),
                    )
                },
                log,
            )

    def scipy_misc(module):
        from grader.inside import legacy_images

        missing(
            module,
            {
                "imresize": ("Image.fromarray(a).resize((w, h)) (Pillow)", legacy_images.imresize),
                "imread": ("np.asarray(Image.open(path)) (Pillow)", legacy_images.imread),
                "imsave": ("Image.fromarray(a).save(path) (Pillow)", legacy_images.imsave),
                "toimage": ("Image.fromarray(a) (Pillow)", legacy_images.toimage),
                "bytescale": ("your own scaling to np.uint8", legacy_images.bytescale),
            },
            log,
        )

    def matplotlib_style(module):
        use = module.use

        def style_use(style):
            names = [style] if isinstance(style, str) else style
            if isinstance(names, (list, tuple)):
                fixed = [_seaborn(s) if isinstance(s, str) else s for s in names]
                if fixed != list(names):
                    for old, new in zip(names, fixed, strict=True):
                        if old != new:
                            log.record(
                                f"plt.style.use({old!r})",
                                f"plt.style.use({new!r})",
                                f"the seaborn styles are named '{new}' since matplotlib 3.6",
                            )
                    style = fixed[0] if isinstance(style, str) else fixed
            return use(style)

        module.use = style_use

    return {
        "numpy": numpy_aliases,
        "keras.src.preprocessing.image": preprocessing_image,
        "keras.preprocessing.image": preprocessing_image,
        "scipy.misc": scipy_misc,
        "matplotlib.style": matplotlib_style,
    }


def _seaborn(style: str) -> str:
    if style == "seaborn" or style.startswith("seaborn-") and not style.startswith("seaborn-v0_8"):
        return style.replace("seaborn", "seaborn-v0_8", 1)
    return style


class _Alias(types.ModuleType):
    """An old module path whose names now live in another module."""

    def __init__(self, name: str, target: str):
        super().__init__(name)
        self.__path__ = []
        self._target = target

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(importlib.import_module(self._target), name)


class _Loader(importlib.abc.Loader):
    def __init__(self, make: Callable[[str], types.ModuleType]):
        self._make = make

    def create_module(self, spec):
        return self._make(spec.name)

    def exec_module(self, module) -> None:
        pass


class _Finder(importlib.abc.MetaPathFinder):
    """First on ``sys.meta_path``: aliases moved modules, and patches a module of
    ``after`` once it is loaded (a module loaded already was patched at install)."""

    def __init__(self, log: Translations, after: dict[str, Callable]):
        self.log, self.after = log, after
        self._busy: set[str] = set()

    def find_spec(self, fullname: str, path, target=None):
        if fullname in MOVED_MODULES:
            new = MOVED_MODULES[fullname]
            self.log.record(f"import {fullname}", f"import {new}", f"import from {new}")
            return importlib.machinery.ModuleSpec(
                fullname, _Loader(lambda name: _Alias(name, new)), is_package=True
            )
        if fullname not in self.after or fullname in self._busy:
            return None
        self._busy.add(fullname)
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            self._busy.discard(fullname)
        if spec is None or spec.loader is None:
            return None
        run, patch = spec.loader.exec_module, self.after[fullname]

        def exec_module(module):
            run(module)
            patch(module)

        spec.loader.exec_module = exec_module
        return spec


def install(log: Translations) -> None:
    """Patch what is imported already; alias and patch the rest as it is imported."""
    after = _after_import(log)
    for name, patch in after.items():
        if name in sys.modules:
            patch(sys.modules[name])
    sys.meta_path.insert(0, _Finder(log, after))
