"""Pretrained ``keras.applications`` weights the grader keeps for submissions: where the
cache is and which application a weights file belongs to (names only: no Keras import)."""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

from grader.errors import UsageError

# The functions of keras.applications (Keras 3.15) that take weights="imagenet".
APPLICATIONS = (
    *(f"ConvNeXt{size}" for size in ("Tiny", "Small", "Base", "Large", "XLarge")),
    "DenseNet121",
    "DenseNet169",
    "DenseNet201",
    *(f"EfficientNetB{n}" for n in range(8)),
    *(f"EfficientNetV2{size}" for size in ("B0", "B1", "B2", "B3", "S", "M", "L")),
    "InceptionResNetV2",
    "InceptionV3",
    "MobileNet",
    "MobileNetV2",
    "MobileNetV3Small",
    "MobileNetV3Large",
    "NASNetMobile",
    "NASNetLarge",
    *(f"ResNet{depth}{v}" for v in ("", "V2") for depth in (50, 101, 152)),
    "VGG16",
    "VGG19",
    "Xception",
)
NO_TOP = re.compile(r"no_?top")  # in the file name of weights without the classifier


def folder(given: str | None = None) -> Path:
    """``--weights``, else ``$GRADER_WEIGHTS``, else ``$XDG_CACHE_HOME/grader/keras-models``
    (``~/.cache`` when unset): absolute, as the sandbox binds it from another folder."""
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    chosen = given or os.environ.get("GRADER_WEIGHTS") or Path(cache) / "grader" / "keras-models"
    return Path(chosen).expanduser().resolve()


def for_grading(given: str | None) -> Path | None:
    """The cache to show submissions, when there is one; a folder named on purpose must exist."""
    path = folder(given)
    if path.is_dir():
        return path
    if given or os.environ.get("GRADER_WEIGHTS"):
        raise UsageError(f"no pretrained weights folder at {path} (--weights, $GRADER_WEIGHTS)")
    return None


def files(cache: Path | None) -> list[Path]:
    """The weights files in the cache, by name."""
    if cache is None or not cache.is_dir():
        return []
    return sorted(p for p in cache.iterdir() if p.is_file() and p.suffix == ".h5")


def listing(cache: Path | None) -> list[tuple[str, int]]:
    """Names and sizes: what a result graded with this cache depends on."""
    return [(p.name, p.stat().st_size) for p in files(cache)]


def _key(name: str) -> str:
    return re.sub(r"[_\-]", "", name.lower())


def application_named(name: str) -> str:
    """The keras.applications function a name means: MobileNetV2, mobilenetv2, mobilenet_v2."""
    by_key = {_key(a): a for a in APPLICATIONS}
    if _key(name) in by_key:
        return by_key[_key(name)]
    close = [a for a in APPLICATIONS if _key(a).startswith(_key(name))]
    close = close or difflib.get_close_matches(name, APPLICATIONS, n=4, cutoff=0.5)
    such = f": did you mean {', '.join(close)}?" if close else " in keras.applications"
    raise UsageError(f"unknown application '{name}'{such}")


def application_of(file_name: str) -> str | None:
    """The application a weights file belongs to: the longest name its first words spell
    (mobilenet_v2_weights_..._no_top.h5 is MobileNetV2's, not MobileNet's)."""
    words = [w for w in re.split(r"[_\-.]", file_name.lower()) if w]
    if words[:1] == ["weights"]:  # weights_mobilenet_v3_small_224_1.0_float.h5
        words = words[1:]
    spelled = {"".join(words[:k]) for k in range(1, len(words) + 1)}
    return max((a for a in APPLICATIONS if _key(a) in spelled), key=len, default=None)
