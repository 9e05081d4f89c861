"""The loss along straight lines in parameter space (section 20.3.2-20.3.3, fig. 20.5).

φ(δ) = (1 − δ)·φ₀ + δ·φ₁: from the initialisation (δ = 0) to the trained solution (δ = 1) the loss
"usually decreases monotonically (except for a small bump near the start sometimes)" (Goodfellow
et al., fig. 20.5a); between two independently found solutions it rises in between (fig. 20.5b).
The model's own parameters are put back afterwards.
"""
from __future__ import annotations

import numpy as np

from ..nn.loss import cross_entropy
from ..training import evaluate
from ..training.metrics import classification_error
from .common import parameter_vector, set_parameter_vector


def loss_along_line(model, start, end, data, deltas, loss_fn=cross_entropy, error_fn=classification_error) -> dict:
    """{"delta", "loss", "error"}: the loss (and error, %) of `model` on `data = (x, y)` at
    φ(δ) = (1 − δ)·start + δ·end for each δ of `deltas` (parameter vectors in `parameters()` order)."""
    start, end = np.asarray(start, np.float64), np.asarray(end, np.float64)
    saved = parameter_vector(model)
    losses, errs = [], []
    try:
        for delta in deltas:
            set_parameter_vector(model, (1.0 - delta) * start + delta * end)
            result = evaluate(model, data, loss_fn, error_fn)
            losses.append(float(result["loss"]))
            errs.append(float(result.get("error", float("nan"))))
    finally:
        set_parameter_vector(model, saved)
    return {"delta": [float(d) for d in deltas], "loss": losses, "error": errs}


def barrier(losses) -> float:
    """How far the loss along a path rises above the higher of its two ends (0 if it never does)."""
    losses = np.asarray(losses)
    return float(max(0.0, losses.max() - max(losses[0], losses[-1])))


def largest_rise(losses) -> float:
    """The largest increase of the loss between consecutive points (0 for a monotone descent)."""
    d = np.diff(np.asarray(losses))
    return float(max(0.0, d.max())) if d.size else 0.0
