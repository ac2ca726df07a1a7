"""A model the code never compiled is still graded when the code shows how it trains:
``build_model()`` returned it uncompiled and the code compiled it afterwards, or a loop of
the student's own (``GradientTape``) trained it with an optimizer and a loss it made.
What was chosen is said; a compile that failed, or a ``fit`` of an uncompiled model, is
the student's error and stays one."""

from __future__ import annotations

import re

from grader.inside.errors import Failure
from grader.inside.patches import Capture

# A failed line that could have left the model uncompiled: compile() or its optimizer.
COMPILING = re.compile(
    r"compile|optimi[sz]er|\bloss|\b(sgd|adam\w*|rmsprop|adagrad|adadelta|nadam|ftrl|lion)\b",
    re.IGNORECASE,
)


def _failed_line(error: dict) -> str:
    return next((x for x in error.get("excerpt", []) if x.startswith(">")), "")


def _fresh(optimizer):
    """The same optimizer class and settings, with no state from the code's own steps."""
    return (
        optimizer
        if isinstance(optimizer, str)
        else type(optimizer).from_config(optimizer.get_config())
    )


def _head_activation(model) -> str | None:
    layers = [x for x in getattr(model, "layers", []) if hasattr(x, "activation")]
    activation = getattr(layers[-1], "activation", None) if layers else None
    return getattr(activation, "__name__", None)


def _named(namespace: dict, kind: type) -> tuple[str, object] | None:
    """The last top-level variable holding an instance of ``kind``."""
    found = [(n, v) for n, v in namespace.items() if not n.startswith("_") and isinstance(v, kind)]
    return found[-1] if found else None


def _from_compile(model, capture: Capture) -> tuple[object, object, str] | None:
    """The compile the code gave a model of the same class (itself, or the copy it built)."""
    same = [c for c in capture.compiles if type(c.model) is type(model)]
    call = (same or capture.compiles or [None])[-1]
    if call is None:
        return None
    return call.optimizer, call.loss, "the compile() your code gave it later"


def _from_loop(model, namespace: dict, keras) -> tuple[object, object, str]:
    """The optimizer and loss objects a custom training loop made, else Adam and the
    cross-entropy that fits the model's head."""
    optimizer = _named(namespace, keras.optimizers.Optimizer)
    loss = _named(namespace, keras.losses.Loss)
    said = []
    if optimizer:
        said.append(f"your optimizer `{optimizer[0]}`")
    if loss:
        said.append(f"your loss `{loss[0]}`")
    logits = _head_activation(model) != "softmax"
    chosen_loss = (
        loss[1] if loss else keras.losses.SparseCategoricalCrossentropy(from_logits=logits)
    )
    defaults = []
    if not optimizer:
        defaults.append("Adam")
    if not loss:
        defaults.append(f"sparse categorical cross-entropy (from_logits={logits})")
    how = " and ".join(said) or "no optimizer or loss of yours was found"
    if defaults:
        how += f"; the grader's default {' and '.join(defaults)}"
    return optimizer[1] if optimizer else "adam", chosen_loss, how


# Code that trains by a loop of its own: the gradient step, or its optimizer object.
CUSTOM_LOOP = re.compile(r"GradientTape|apply_gradients|optimizer\.minimize")


def ensure_compiled(
    model, capture: Capture, namespace: dict, keras, compile_, code: str, failed: list[dict]
) -> str | None:
    """Compile an uncompiled model as ``code`` trains it (``compile_`` is Keras's own
    compile); returns the note on what was chosen, None when the model was compiled. A
    model nothing compiles or trains stays the student's error."""
    if getattr(model, "compiled", False):
        return None
    compile_failed = [e for e in failed if COMPILING.search(_failed_line(e))]
    if compile_failed or capture.first_fit(model) is not None:
        raise Failure("not_compiled", compile_failed)
    found = _from_compile(model, capture)
    what = "the model was never compiled"
    if found is None:
        if not CUSTOM_LOOP.search(code):
            raise Failure("not_compiled")
        found, what = _from_loop(model, namespace, keras), f"{what} (your own loop trains it)"
    optimizer, loss, how = found
    compile_(model, optimizer=_fresh(optimizer), loss=loss, metrics=["accuracy"])
    return f"{what}: graded with {how}: {_name(model.optimizer)}, {_name(loss)}"


def _name(value) -> str:
    if isinstance(value, str):
        return value
    name = getattr(value, "name", None) or type(value).__name__
    logits = getattr(value, "from_logits", None)
    return f"{name} (from_logits={logits})" if logits is not None else str(name)
