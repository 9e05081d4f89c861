"""Error rates of classifiers: the fraction of wrong predictions (section 8.1).

The prediction is the most probable class, ŷ = argmax_y Pr(y | f[x, φ]) (eq. 5.5): the largest
logit for a softmax head (eq. 5.22), a positive logit for a sigmoid head (eq. 5.18, sig[f] > 0.5).
Both functions return a fraction in [0, 1] of the labels compared (every position of a
segmentation map counts as one label); `fit` reports it as a percentage, as the book does.
"""
from __future__ import annotations

import numpy as np

from ..autograd.tensor import Tensor


def _array(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def classification_error(logits, target) -> float:
    """Multiclass error: logits (N, K, ...) with the class axis 1 (PyTorch's layout), integer
    labels (N, ...) in 0..K-1."""
    logits, target = _array(logits), _array(target)
    if logits.ndim != target.ndim + 1 or logits.shape[:1] + logits.shape[2:] != target.shape:
        raise ValueError(f"classification_error: logits of shape {logits.shape} (N, K, ...) need labels of "
                         f"shape (N, ...) = {logits.shape[:1] + logits.shape[2:]}, got {target.shape}")
    return float(np.mean(np.argmax(logits, axis=1) != target))


def binary_error(logits, target) -> float:
    """Binary error: one logit f per label, predicted class 1 where f > 0; labels in {0, 1} of the
    same shape (a trailing axis of size 1 on the logits is dropped)."""
    logits, target = _array(logits), _array(target)
    if logits.ndim == target.ndim + 1 and logits.shape[-1] == 1:
        logits = logits[..., 0]
    if logits.shape != target.shape:
        raise ValueError(f"binary_error: logits of shape {logits.shape} and labels of shape {target.shape} "
                         "must match (one logit per label)")
    return float(np.mean((logits > 0) != (target > 0.5)))
