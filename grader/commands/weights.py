"""``grader weights``: the cache of pretrained ``keras.applications`` weights submissions
load read-only while grading (README, "Pretrained weights"). Keras downloads them in a
child process: the grader's own never imports it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from grader.errors import UsageError
from grader.runner import pretrained

# Run in a child Python whose KERAS_HOME is a fresh folder: Keras fetches into its models/.
FETCH = (
    "import sys, keras\n"
    "getattr(keras.applications, sys.argv[1])(weights='imagenet', include_top=sys.argv[2] == 'top')"
)


def run(args) -> int:
    cache = pretrained.folder(args.weights)
    if args.action == "list":
        return _list(cache)
    names = [pretrained.application_named(name) for name in args.names]  # all, before any work
    for name in names:
        with tempfile.TemporaryDirectory(prefix="grader-weights-") as tmp:
            if args.source:
                found = _from_folder(name, Path(args.source).expanduser(), args.include_top)
            else:
                found = _download(name, bool(args.include_top), Path(tmp))
            for path in found:
                _install(path, cache)
                print(f"added {path.name} ({_size(path)}) for {name} to {cache}")
    return 0


def _list(cache: Path) -> int:
    found = pretrained.files(cache)
    if not found:
        print(f"{cache}: no pretrained weights; add them with `grader weights add NAME`")
        return 0
    print(f"{cache}:")
    width = max(len(p.name) for p in found)
    for path in found:
        owner = pretrained.application_of(path.name) or "?"
        print(f"  {path.name:<{width}}  {_size(path):>9}  {owner}")
    return 0


def _size(path: Path) -> str:
    return f"{path.stat().st_size / 2**20:.1f} MB"


def _from_folder(name: str, source: Path, include_top: bool | None) -> list[Path]:
    """The application's .h5 files in a folder: both variants unless one was asked for."""
    if not source.is_dir():
        raise UsageError(f"--from {source}: no such folder")
    found = [
        p
        for p in pretrained.files(source)
        if pretrained.application_of(p.name) == name
        and (include_top is None or include_top != bool(pretrained.NO_TOP.search(p.name)))
    ]
    if not found:
        variant = {None: "", True: " with the top", False: " without the top"}[include_top]
        raise UsageError(f"{source}: no .h5 weights of {name}{variant}")
    return found


def _download(name: str, include_top: bool, home: Path) -> list[Path]:
    """Keras fetches the weights into a fresh $KERAS_HOME, in a child process."""
    other = "" if include_top else "; --include-top for the variant with it"
    print(
        f"downloading {name}'s ImageNet weights through Keras, "
        f"{'with' if include_top else 'without'} the classifier top{other}",
        flush=True,
    )
    env = {**os.environ, "KERAS_HOME": str(home), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-I", "-c", FETCH, name, "top" if include_top else "no top"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    found = pretrained.files(home / "models")
    if done.returncode != 0 or not found:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise UsageError(
            f"Keras could not download {name}'s weights ({lines[-1] if lines else 'no file'}); "
            f"without network, copy them from a folder that has them: "
            f"grader weights add {name} --from DIR"
        )
    return found


def _install(path: Path, cache: Path) -> None:
    """Copied whole, then renamed (a grading never sees half a file); readable by the
    sandbox's own uid."""
    if not cache.is_dir():
        cache.mkdir(parents=True)
        cache.chmod(0o755)
    part = cache / f".{path.name}.part"
    shutil.copyfile(path, part)
    part.chmod(0o644)
    os.replace(part, cache / path.name)
