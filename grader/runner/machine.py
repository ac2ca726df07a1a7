"""The machine a grade is measured on: what decides the last bits of a trained model.

TensorFlow's CPU kernels (oneDNN, Eigen) are picked by the CPU's instruction sets, so
training is bit-identical run to run on one kind of CPU, not across kinds. Read from
/proc/cpuinfo and package metadata: the trusted side never imports TensorFlow for it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
from importlib import metadata
from pathlib import Path

# Instruction-set flags (as /proc/cpuinfo names them) that select different float kernels.
KERNEL_FEATURES = (
    "avx",
    "avx2",
    "fma",
    "avx512f",
    "avx512bw",
    "avx512_vnni",
    "avx512_bf16",
    "avx512_fp16",
    "avx_vnni",
    "amx_tile",
    "amx_bf16",
    "amx_int8",
)
# Whether stages run TensorFlow's oneDNN kernels (TF_ENABLE_ONEDNN_OPTS). On, by
# measurement: bit-identical run to run either way, and faster (README, "Machines").
ONEDNN_VARIABLE = "GRADER_ONEDNN"
ONEDNN_DEFAULT = "1"
_LIBRARIES = {  # what the sandbox imports, by the package names that may provide it
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-macos", "tf-nightly"),
    "keras": ("keras", "keras-nightly"),
    "numpy": ("numpy",),
}


def library_versions() -> dict[str, str | None]:
    """TensorFlow, Keras and NumPy versions from package metadata: no import of them."""
    found: dict[str, str | None] = {}
    for module, names in _LIBRARIES.items():
        found[module] = None
        for name in names:
            try:
                found[module] = metadata.version(name)
                break
            except metadata.PackageNotFoundError:
                continue
    return found


def onednn() -> str:
    """'1' or '0': what the stages are given as TF_ENABLE_ONEDNN_OPTS."""
    value = os.environ.get(ONEDNN_VARIABLE, ONEDNN_DEFAULT).strip()
    return "0" if value in ("0", "false", "off", "no") else "1"


def _cpuinfo() -> dict[str, str]:
    """The first processor's fields of /proc/cpuinfo (empty where there is none)."""
    fields: dict[str, str] = {}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return fields
    for line in text.splitlines():
        if not line.strip():
            break
        name, _, value = line.partition(":")
        fields.setdefault(name.strip(), value.strip())
    return fields


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@functools.cache
def fingerprint() -> dict:
    """This machine, as far as it can change a grade: CPU and its kernel features, cores,
    the oneDNN setting and the numeric libraries' versions."""
    info = _cpuinfo()
    flags = set(info.get("flags", "").split())
    return {
        "cpu": {
            "vendor": info.get("vendor_id") or platform.machine(),
            "model": info.get("model name") or platform.processor() or platform.machine(),
            # Two CPUs of one name and features can still differ in the bits (two "AMD
            # EPYC"s with AVX2 did): the generation and cache sizes steer kernel blocking.
            "generation": "/".join(info.get(k, "?") for k in ("cpu family", "model", "stepping")),
            "cache": info.get("cache size"),
            "features": [f for f in KERNEL_FEATURES if f in flags],
        },
        "cores": _cores(),
        "onednn": "on" if onednn() == "1" else "off",
        "versions": library_versions(),
    }


def identity(found: dict) -> str:
    """A short name for a fingerprint: calibrations of one key on two machines sit side
    by side under it."""
    return hashlib.sha256(json.dumps(found, sort_keys=True).encode()).hexdigest()[:8]


def describe(found: dict | None) -> str:
    """'AMD EPYC (25/1/1; avx, avx2, fma), 2 cores, oneDNN on', or 'an unrecorded
    machine'."""
    if not found:
        return "an unrecorded machine"
    cpu = found.get("cpu", {})
    features = ", ".join(cpu.get("features", [])) or "no vector extensions"
    return (
        f"{cpu.get('model', '?')} ({cpu.get('generation', '?')}; {features}), "
        f"{found.get('cores', '?')} cores, oneDNN {found.get('onednn', '?')}"
    )
