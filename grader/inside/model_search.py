"""Find the model to grade: ``build_model()`` when defined, else the best candidate left
in the notebook's namespace (the rules, and why, are in the README's "The submission
contract")."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

from grader.inside.errors import Failure
from grader.inside.patches import Capture, FitCall


@dataclass
class Found:
    model: object
    source: str
    fit: FitCall | None = None
    notes: list[str] = field(default_factory=list)


def not_the_contract(namespace: dict) -> str | None:
    """Why a ``build_model`` defined by the code is not the contract's: one that needs
    arguments (keras-tuner's ``build_model(hp)``) cannot be called as ``build_model()``."""
    build = namespace.get("build_model")
    try:
        inspect.signature(build).bind()
    except TypeError:
        return (
            "build_model() takes arguments (a keras-tuner hypermodel's `hp`, say), so it is "
            "not the assignment's build_model(): graded the model the code ended with"
        )
    except ValueError:  # no signature to read: call it and see
        pass
    return None


def from_contract(namespace: dict, keras, seed: int) -> Found | None:
    """Call build_model() on a clean, seeded Keras state: the same weights every time."""
    build = namespace.get("build_model")
    if not callable(build) or not_the_contract(namespace):
        return None
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    model = build()  # its exceptions are the student's, reported by the harness
    if not isinstance(model, keras.Model):
        raise Failure("not_a_model", type=type(model).__name__)
    return Found(model, "build_model()")


def _params(model) -> int:
    try:
        return int(model.count_params())
    except Exception:
        return 0


def _candidates(namespace: dict, capture: Capture, keras) -> dict[int, tuple[object, list]]:
    """Every top-level keras.Model in the namespace, in History objects and seen by fit(),
    with the names it goes by (nested models are parts, not candidates)."""
    found: dict[int, tuple[object, list]] = {}

    def add(model, name: str | None) -> None:
        names = found.setdefault(id(model), (model, []))[1]
        if name:
            names.append(name)

    for name, value in list(namespace.items()):
        if name.startswith("_"):
            continue
        if isinstance(value, keras.Model):
            add(value, name)
        elif isinstance(value, keras.callbacks.History) and isinstance(
            getattr(value, "model", None), keras.Model
        ):
            add(value.model, f"{name}.model")
    for call in capture.fits:
        add(call.model, None)
    nested = {id(sub) for m, _ in found.values() for sub in m._flatten_layers(include_self=False)}
    return {key: entry for key, entry in found.items() if key not in nested}


def _choose(
    top: dict[int, tuple[object, list]], capture: Capture, wanted: str | None
) -> tuple[object, str]:
    """The spec's ``model_variable``, else the model fit last, else the top-level one
    named ``model``, compiled, largest: the model and why it was chosen."""
    for model, names in top.values():
        if wanted and wanted in names:
            return model, "the assignment names it (model_variable)"
    fitted = [f for f in capture.fits if id(f.model) in top]
    if fitted:
        return max(fitted, key=lambda f: f.last).model, "your code fit it last"

    def rank(entry: tuple[object, list]) -> tuple:
        model, names = entry
        return ("model" in names, bool(getattr(model, "compiled", False)), _params(model))

    model, names = max(top.values(), key=rank)
    return model, "no model was fit, so the one named `model`, else compiled, else the largest"


def _describe(model, names: list, capture: Capture) -> str:
    fit = capture.first_fit(model)
    what = f"variable `{names[0]}`" if names else "the model passed to fit()"
    if fit is None:
        return f"{what}, never fit by the code"
    return f"{what}, fit in cell {fit.cell}" if fit.cell else f"{what}, fit"


def search(namespace: dict, capture: Capture, keras, wanted: str | None = None) -> Found:
    """The model a notebook or script ends with (rules in README, "The submission
    contract"); the result says why, and which other models were seen."""
    top = _candidates(namespace, capture, keras)
    if not top:
        raise Failure("no_model")
    best, why = _choose(top, capture, wanted)
    found = Found(best, _describe(best, top[id(best)][1], capture), capture.first_fit(best))
    found.notes.append(f"graded this model: {why}")
    if wanted and wanted not in top[id(best)][1]:
        found.notes.append(f"the assignment names `{wanted}`, which the code does not define")
    others = [_describe(m, names, capture) for key, (m, names) in top.items() if m is not best]
    if others:
        found.notes.append(f"other models seen: {'; '.join(others)}")
    return found
