"""Checking: the spec's architecture rules against the architecture the sandbox described."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from grader.assignment import Rule


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    points: float
    max_points: float
    message: str

    def to_json(self) -> dict:
        return asdict(self)


def _flatten(layers: list[dict]) -> list[dict]:
    out = []
    for layer in layers:
        out.append(layer)
        out.extend(_flatten(layer.get("layers", [])))
    return out


def _count(layers: list[dict], test) -> int:
    return sum(1 for layer in layers if test(str(layer.get("class", ""))))


def facts(arch: dict) -> dict[str, object]:
    """Plain facts rules can name; unknown parts of the description count as absent."""
    layers = _flatten(arch.get("layers") or [])
    output = arch.get("output_shape") or [None]
    return {
        "conv_layers": _count(
            layers, lambda c: c.startswith(("Conv", "SeparableConv", "DepthwiseConv"))
        ),
        "pooling_layers": _count(layers, lambda c: "Pooling" in c),
        "dropout_layers": _count(layers, lambda c: "Dropout" in c),
        "dense_layers": _count(layers, lambda c: c == "Dense"),
        "output_units": output[-1],
        "input_shape": (arch.get("input_shape") or [None])[1:],
        "params": arch.get("params"),
        "trainable_params": arch.get("trainable_params"),
    }


def _holds(rule: Rule, value: object) -> bool:
    if rule.equals is not None:
        return value == rule.equals
    if not isinstance(value, (int, float)):
        return False
    return (rule.min is None or value >= rule.min) and (rule.max is None or value <= rule.max)


def evaluate(rules: tuple[Rule, ...], arch: dict | None) -> list[Check]:
    if arch is None:
        return [
            Check(
                r.name,
                False,
                0.0,
                r.points,
                f"not checked: no model was built (expected {r.expect})",
            )
            for r in rules
        ]
    known = facts(arch)
    checks = []
    for rule in rules:
        value = known.get(rule.fact)
        ok = _holds(rule, value)
        shown = "nothing" if value is None else value
        message = (
            f"{rule.expect}: found {shown}" if ok else f"expected {rule.expect}, found {shown}"
        )
        checks.append(Check(rule.name, ok, rule.points if ok else 0.0, rule.points, message))
    return checks
