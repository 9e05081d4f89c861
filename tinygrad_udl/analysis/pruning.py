"""Pruning by weight magnitude and lottery tickets (section 20.5.1, fig. 20.15; section 20.2.7).

"Frankle & Carbin (2019) (i) trained a network, (ii) pruned the weights with the smallest
magnitudes, and (iii) retrained the remaining network from the same initial weights" (section
20.5.1). A pruned network is the dense one times a 0/1 mask per weight matrix:

    masks = magnitude_masks(model, 0.8)       # keep the 20 % largest |w| (over all layers)
    apply_masks(model, masks)                 # zero the others
    optimizer = MaskedOptimizer(optimizer, model, masks)   # and keep them zero while training

Only weights (parameters with two or more dimensions) are pruned, not biases, as in the lottery
ticket papers. The mask removes exactly round(fraction × number of weights) of them: the smallest
|w| (ties broken by position, so the result is deterministic). With `scope="layer"` every weight
matrix loses that fraction of its own entries instead. Iterative pruning passes the previous masks:
already pruned weights stay pruned and count towards the fraction.
"""
from __future__ import annotations

import numpy as np

from ..autograd.tensor import Tensor


def prunable(model) -> list:
    """(name, parameter) of every weight matrix or kernel of `model` (biases and norm scales excluded)."""
    return [(name, p) for name, p in model.named_parameters() if p.ndim >= 2]


def _smallest(scores, count):
    """A boolean mask over `scores` that is False at the `count` smallest (stable: ties by position)."""
    keep = np.ones(scores.size, dtype=bool)
    if count > 0:
        keep[np.argsort(scores, kind="stable")[:count]] = False
    return keep


def magnitude_masks(model, fraction, scope="global", previous=None) -> dict:
    """name -> boolean array (True = kept) removing exactly round(`fraction` × weights) weights of
    smallest magnitude (`scope="global"` over all weight matrices together, `"layer"` per matrix).

    `previous` masks (iterative pruning) stay applied: weights they removed count towards the
    fraction and are removed again first."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"magnitude_masks: fraction must be in [0, 1], got {fraction}")
    if scope not in ("global", "layer"):
        raise ValueError(f"magnitude_masks: scope must be 'global' or 'layer', got {scope!r}")
    weights = prunable(model)
    if not weights:
        raise ValueError("magnitude_masks: the model has no weight matrices to prune")

    def scores(name, p):
        s = np.abs(np.asarray(p.data, dtype=np.float64)).ravel()
        if previous is not None and name in previous:
            s = np.where(np.asarray(previous[name]).ravel(), s, -1.0)  # already pruned: first to go
        return s

    if scope == "layer":
        return {name: _smallest(scores(name, p), int(round(fraction * p.size))).reshape(p.shape)
                for name, p in weights}
    flat = np.concatenate([scores(name, p) for name, p in weights])
    keep = _smallest(flat, int(round(fraction * flat.size)))
    masks, start = {}, 0
    for name, p in weights:
        masks[name] = keep[start:start + p.size].reshape(p.shape)
        start += p.size
    return masks


def sparsity(masks) -> float:
    """The fraction of weights the masks remove."""
    total = sum(m.size for m in masks.values())
    return float(sum(m.size - int(m.sum()) for m in masks.values()) / total)


def apply_masks(model, masks):
    """Zero the pruned weights of `model` in place (its other parameters are untouched); returns it."""
    params = dict(model.named_parameters())
    for name, mask in masks.items():
        p = params[name]
        p.data = np.where(mask, p.data, 0).astype(p.dtype, copy=False)
        p._bump_version()
    return model


class MaskedOptimizer:
    """Wraps an optimizer so that pruned weights stay zero: their gradients are zeroed before each
    step and the weights after it (what `fit` and any training loop can use in place of the optimizer)."""

    def __init__(self, optimizer, model, masks):
        self.optimizer, self.model, self.masks = optimizer, model, masks

    def step(self, closure=None):
        def masked_closure():
            loss = closure()
            self._mask_gradients()
            return loss

        if closure is None:
            self._mask_gradients()
            result = self.optimizer.step()
        else:
            result = self.optimizer.step(masked_closure)
        apply_masks(self.model, self.masks)
        return result

    def _mask_gradients(self):
        params = dict(self.model.named_parameters())
        for name, mask in self.masks.items():
            p = params[name]
            if p.grad is not None:
                p.grad = Tensor(np.where(mask, p.grad.data, 0).astype(p.grad.dtype, copy=False))

    def zero_grad(self, *args, **kwargs):
        return self.optimizer.zero_grad(*args, **kwargs)

    def __getattr__(self, name):  # param_groups, lr, state: the wrapped optimizer's
        return getattr(self.optimizer, name)
