"""Plots as inline SVG strings, drawn with matplotlib (trusted side, headless)."""

from __future__ import annotations

import io
import threading

_lock = threading.Lock()  # pyplot's state is global; reports may be written from threads


def warm_up() -> None:
    """Import matplotlib while the first submission runs, not after it."""
    with _lock:
        _figure(1, 1)
        import matplotlib.pyplot as plt

        plt.close("all")


def _svg(fig) -> str:
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog and DOCTYPE: inline in HTML


def _figure(width: float, height: float, ncols: int = 1):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "path", "font.size": 9, "svg.hashsalt": "grader"})
    return plt.subplots(1, ncols, figsize=(width, height))


def training_curves(curves: dict[str, list]) -> str | None:
    """Loss and accuracy per epoch, one panel each."""
    if not curves.get("loss"):
        return None
    with _lock:
        fig, axes = _figure(7, 2.6, ncols=2)
        epochs = range(1, len(curves["loss"]) + 1)
        for ax, key in zip(axes, ("loss", "accuracy"), strict=True):
            values = curves.get(key) or []
            ax.plot(list(epochs)[: len(values)], values, marker="o", color="#2563eb")
            ax.set_title(f"training {key}")
            ax.set_xlabel("epoch")
            ax.set_xticks(list(epochs))
            ax.grid(alpha=0.3)
        return _svg(fig)


def confusion_matrix(matrix: list[list[int]], classes: list[str]) -> str:
    with _lock:
        fig, ax = _figure(5.2, 4.6)
        ax.imshow(matrix, cmap="Blues")
        ax.set_xticks(range(10), classes, rotation=60, ha="right")
        ax.set_yticks(range(10), classes)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        top = max(max(row) for row in matrix) or 1
        for i, row in enumerate(matrix):
            for j, count in enumerate(row):
                ax.text(
                    j,
                    i,
                    count,
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if count > top / 2 else "black",
                )
        return _svg(fig)


def for_submission(
    history: dict | None, confusion: list[list[int]] | None, classes: list[str]
) -> dict[str, str | None]:
    """A student report's plots by name (None where there is nothing to draw): the page
    and PrairieLearn's images show the same two."""
    curves = (history or {}).get("curves") or {}
    return {
        "curves": training_curves(curves),
        "confusion": confusion_matrix(confusion, classes) if confusion else None,
    }


def score_distribution(scores: list[float], max_score: float, pass_mark: float) -> str:
    with _lock:
        fig, ax = _figure(6, 2.4)
        ax.hist(scores, bins=min(20, max(5, len(scores))), range=(0, max_score), color="#2563eb")
        ax.axvline(pass_mark, color="#dc2626", linestyle="--", label="pass mark")
        ax.set_xlabel("score")
        ax.set_ylabel("submissions")
        ax.legend()
        return _svg(fig)


def accuracy_against_threshold(accuracies: list[float], full_at: float, zero_at: float) -> str:
    with _lock:
        fig, ax = _figure(6, 1.8)
        ax.scatter(accuracies, [0] * len(accuracies), alpha=0.7, color="#2563eb")
        ax.axvline(full_at, color="#16a34a", linestyle="--", label="full points")
        ax.axvline(zero_at, color="#dc2626", linestyle=":", label="chance (no points)")
        ax.set_yticks([])
        ax.set_xlabel("test accuracy")
        ax.set_xlim(0, max([full_at, *accuracies]) * 1.1)
        ax.legend(loc="upper left", fontsize=7)
        return _svg(fig)
