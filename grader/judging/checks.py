"""Checking: the spec's architecture rules against the architecture the sandbox described,
and findings: silent traps that cost no points but explain a poor result."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from grader.errors import UsageError

if TYPE_CHECKING:
    from grader.spec_types import Rule


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    points: float
    max_points: float
    message: str
    hint: str = ""
    required: bool = False  # failing it means not passing, whatever the score

    def to_json(self) -> dict:
        return asdict(self)


def walk(layers: list[dict] | None, depth: int = 0) -> Iterator[tuple[int, dict]]:
    """Every described layer, nested ones after their parent, with its depth: the one
    walk over an architecture that checks and reports share."""
    for layer in layers or []:
        yield depth, layer
        yield from walk(layer.get("layers"), depth + 1)


def flatten(layers: list[dict] | None) -> list[dict]:
    return [layer for _, layer in walk(layers)]


def _count(arch: dict, test: Callable[[str], bool]) -> int:
    return sum(1 for layer in flatten(arch.get("layers") or []) if test(str(layer["class"])))


def _is_conv(cls: str) -> bool:
    return cls.startswith(("Conv", "SeparableConv", "DepthwiseConv"))


def _loss(arch: dict) -> str:
    return str(arch.get("loss") or "").lower()


def output_head(arch: dict) -> str:
    """How the outputs relate to the loss, judged by what the model outputs."""
    out = arch.get("output") or {}
    if out.get("probabilities") is None:
        return "unknown"
    if out["probabilities"]:
        return "softmax"
    if arch.get("from_logits"):
        return "logits"
    if out.get("in_unit_interval"):
        return "sigmoid"
    return "linear_with_probability_loss" if "crossentropy" in _loss(arch) else "linear"


def _classification_loss(arch: dict) -> bool:
    return "categorical_crossentropy" in _loss(arch)  # also sparse_categorical_crossentropy


FACTS: dict[str, Callable[[dict], object]] = {
    "conv_layers": lambda a: _count(a, _is_conv),
    "pooling_layers": lambda a: _count(a, lambda c: "Pooling" in c),
    "dropout_layers": lambda a: _count(a, lambda c: "Dropout" in c),
    "dense_layers": lambda a: _count(a, lambda c: c == "Dense"),
    "output_units": lambda a: (a.get("output_shape") or [None])[-1],
    "output_head": output_head,
    "classification_loss": _classification_loss,
    "input_shape": lambda a: (a.get("input_shape") or [None])[1:],
    "params": lambda a: a.get("params"),
    "trainable_params": lambda a: a.get("trainable_params"),
    "frozen_params": lambda a: a.get("frozen_params"),
}
HEADS = {
    "softmax": "a softmax output",
    "logits": "a linear output with from_logits=True in the loss",
    "linear_with_probability_loss": "a linear output (no softmax) with a loss that expects "
    "probabilities, which trains badly with no warning",
    "sigmoid": "a sigmoid output, not a distribution over the 10 classes",
    "linear": "a linear output without from_logits=True in the loss",
    "unknown": "an output the grader could not evaluate",
}
BEFORE_TRAINING = ("params",)  # facts known before training: a rule on them may reject


def _shown(fact: str, value: object, arch: dict) -> str:
    """A found value in the student's terms."""
    if fact == "output_head":
        return HEADS.get(str(value), str(value))
    if fact == "classification_loss":
        loss = arch.get("loss") or "no loss"
        return f"loss {loss}" + ("" if value else ", not a categorical cross-entropy")
    if fact in ("params", "trainable_params", "frozen_params") and isinstance(value, int):
        return f"{value:,}"
    return "nothing" if value is None else str(value)


def validate(rules: tuple[Rule, ...], where: str) -> None:
    """Rule facts must exist; only facts known before training may reject."""
    for i, rule in enumerate(rules):
        if rule.fact not in FACTS:
            raise UsageError(
                f"{where}: rules[{i}].fact: unknown fact '{rule.fact}' (known: {', '.join(FACTS)})"
            )
        if rule.reject and (rule.fact not in BEFORE_TRAINING or rule.max is None):
            raise UsageError(
                f"{where}: rules[{i}].reject: only a 'max' on "
                f"{' or '.join(BEFORE_TRAINING)} can reject before training"
            )


def max_params(rules: tuple[Rule, ...]) -> int | None:
    """The parameter bound the sandbox enforces before training, if a rule sets one."""
    bounds = [int(r.max) for r in rules if r.reject and r.fact == "params"]
    return min(bounds) if bounds else None


def _holds(rule: Rule, value: object) -> bool:
    if rule.equals is not None:
        return value == rule.equals
    if rule.one_of:
        return value in rule.one_of
    if not isinstance(value, (int, float)) or isinstance(value, bool):
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
                required=r.required,
            )
            for r in rules
        ]
    checks = []
    for rule in rules:
        value = FACTS[rule.fact](arch)
        ok = _holds(rule, value)
        shown = _shown(rule.fact, value, arch)
        message = (
            f"{rule.expect}: found {shown}" if ok else f"expected {rule.expect}, found {shown}"
        )
        hint = "" if ok else rule.hint
        points = rule.points if ok else 0.0
        checks.append(Check(rule.name, ok, points, rule.points, message, hint, rule.required))
    return checks


def _finding(message: str, hint: str, quotes: str | None = None) -> dict:
    """``quotes``: the rubric item whose result the message gives away (while that item
    is hidden from students, so is the finding)."""
    return {"message": message, "hint": hint, **({"quotes": quotes} if quotes else {})}


def findings(arch: dict | None, fed_labels: str | None) -> list[dict]:
    """Silent traps: code that runs but does not do what the student meant."""
    if arch is None:
        return []
    found = []
    for layer in flatten(arch.get("layers") or []):
        config = layer.get("config") or {}
        strides, kernel = config.get("strides"), config.get("kernel_size")
        if (
            _is_conv(str(layer["class"]))
            and strides
            and strides == kernel
            and max(strides) >= 3
            and layer.get("trainable", True)
        ):
            found.append(
                _finding(
                    f"{layer['class']} '{layer['name']}' has strides {tuple(strides)}: in Keras 3 "
                    "the third argument of Conv2D(32, 3, 3) is strides, not the kernel's height, "
                    "so the image shrinks 3x at once",
                    "give the kernel as a tuple: Conv2D(32, (3, 3), padding='same').",
                )
            )
        if layer.get("hidden"):
            found.append(
                _finding(
                    f"{layer['class']} '{layer['name']}' is used by call() but Keras does not "
                    "track it, so its weights are never trained",
                    "assign layers to attributes of the model itself (self.conv = ...), not to "
                    "plain objects, dicts or globals.",
                )
            )
    if output_head(arch) == "softmax" and arch.get("from_logits"):
        found.append(
            _finding(
                "the output is already a softmax, but the loss says from_logits=True",
                "remove from_logits=True, or remove the softmax (Keras only warns and fixes it).",
            )
        )
    loss = _loss(arch)
    sparse = "sparse" in loss
    if (
        fed_labels == "one_hot"
        and sparse
        or fed_labels == "class numbers"
        and not sparse
        and "categorical_crossentropy" in loss
    ):
        found.append(
            _finding(
                f"your code fed {fed_labels.replace('_', '-')} labels to {arch.get('loss')}; the "
                "grader fed labels as the loss expects",
                "use categorical_crossentropy with one-hot labels (keras.utils.to_categorical), or "
                "sparse_categorical_crossentropy with class numbers.",
            )
        )
    return found


TRAIN_TEST_GAP = 0.15  # 3 epochs rarely overfit this much: a gap this size has a cause


def generalisation(train_accuracy: float | None, test_accuracy: float | None) -> list[dict]:
    """Training accuracy far above test accuracy after the grader's brief training: the
    model behaves differently when predicting. Names the causes seen so far."""
    if train_accuracy is None or test_accuracy is None:
        return []
    if train_accuracy - test_accuracy <= TRAIN_TEST_GAP:
        return []
    return [
        _finding(
            f"training accuracy {train_accuracy:.3f} in the last epoch, but {test_accuracy:.3f} "
            "on the test images: the model predicts much worse than it trained",
            "look for what changes between training and predicting: layers that use "
            "`training` (custom layers, BatchNormalization that is frozen or shared), "
            "preprocessing inside the model, or a small training set learnt by heart "
            "(more Dropout, fewer parameters).",
            quotes="accuracy",
        )
    ]
