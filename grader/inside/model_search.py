"""Find the model to grade: ``build_model()`` when defined, else the best candidate left
in the notebook's namespace (the rules, and why, are in keras3.md of the research notes)."""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.inside.errors import Verdict
from grader.inside.patches import Capture, FitCall


@dataclass
class Found:
    model: object
    source: str
    fit: FitCall | None = None
    notes: list[str] = field(default_factory=list)


def from_contract(namespace: dict, keras, seed: int) -> Found | None:
    """Call build_model() on a clean, seeded Keras state: the same weights every time."""
    build = namespace.get("build_model")
    if not callable(build):
        return None
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    model = build()  # its exceptions are the student's, reported by the harness
    if not isinstance(model, keras.Model):
        raise Verdict(
            f"build_model() returned {type(model).__name__}, not a keras.Model", "no_model"
        )
    return Found(model, "build_model()")


def _sublayers(layer) -> list:
    out = []
    for sub in getattr(layer, "layers", None) or []:
        out.append(sub)
        out.extend(_sublayers(sub))
    return out


def _params(model) -> int:
    try:
        return int(model.count_params())
    except Exception:
        return 0


def search(namespace: dict, capture: Capture, keras) -> Found:
    """Every keras.Model in the namespace, in History objects and seen by fit(); the
    top-level one named ``model``, else fitted, else compiled, else the largest."""
    names: dict[int, list[str]] = {}
    models: dict[int, object] = {}

    def add(model, name: str | None) -> None:
        models.setdefault(id(model), model)
        names.setdefault(id(model), [])
        if name:
            names[id(model)].append(name)

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
    nested = {id(sub) for m in models.values() for sub in _sublayers(m)}
    top = [m for key, m in models.items() if key not in nested]
    if not top:
        raise Verdict(
            "no Keras model was found: define build_model() returning a compiled "
            "model, or build and compile one in the notebook",
            "no_model",
        )

    def rank(model) -> tuple:
        return (
            "model" in names[id(model)],
            capture.first_fit(model) is not None,
            bool(getattr(model, "compiled", False)),
            _params(model),
        )

    best = max(top, key=rank)
    fit = capture.first_fit(best)
    label = names[id(best)]
    what = f"variable `{label[0]}`" if label else "the model passed to fit()"
    when = (
        f", fit in cell {fit.cell}"
        if fit and fit.cell
        else (", fit" if fit else ", never fit by the code")
    )
    found = Found(best, f"{what}{when}", fit)
    if len(top) > 1:
        others = sorted({n for m in top if m is not best for n in names[id(m)][:1]})
        found.notes.append(
            f"chose {what} among {len(top)} models"
            + (f" (others: {', '.join(others)})" if others else "")
        )
    return found
