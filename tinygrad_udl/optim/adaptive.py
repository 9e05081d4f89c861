"""`RMSprop` and `Adagrad`: the adaptive rules the ch. 6 Notes name (standard, not in the book).

Both are PyTorch's rules (`torch.optim.RMSprop`, `torch.optim.Adagrad`), with ε outside the root
as in Adam (eq. 6.17):

RMSprop (Hinton et al. 2012), with PyTorch's `alpha` = the smoothing γ:
    v ← α·v + (1 − α)·g²,   φ ← φ − lr·g / (√v + ε)        (no bias correction, unlike eq. 6.16)
    centered=True:  ḡ ← α·ḡ + (1 − α)·g, and √(v − ḡ²) replaces √v
    momentum=μ > 0: b ← μ·b + g / (√v + ε),  φ ← φ − lr·b
Adagrad (Duchi et al. 2011): the cumulative squared gradient, so the step sizes only shrink
    s ← s + g²  (s₀ = initial_accumulator_value),
    φ ← φ − lr / (1 + (k − 1)·lr_decay) · g / (√s + ε)     at the k-th step.
For both, weight_decay=wd adds wd·φ to g (L2, PyTorch).
"""
from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, add_l2, check_flag, check_number


class RMSprop(Optimizer):
    """`RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False)`
    (PyTorch's defaults and names; `alpha` is the smoothing constant, not the learning rate)."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))

    def _check_group(self, group):
        super()._check_group(group)
        check_number("RMSprop", "alpha", group["alpha"], minimum=0.0, below=1.0, note=" (the smoothing constant)")
        check_number("RMSprop", "eps", group["eps"], minimum=0.0)
        check_number("RMSprop", "weight_decay", group["weight_decay"], minimum=0.0)
        check_number("RMSprop", "momentum", group["momentum"], minimum=0.0)
        check_flag("RMSprop", "centered", group["centered"])

    def _init_state(self, p, group):
        state = {"square_avg": np.zeros_like(p.data)}
        if group["momentum"]:
            state["momentum_buffer"] = np.zeros_like(p.data)
        if group["centered"]:
            state["grad_avg"] = np.zeros_like(p.data)
        return state

    def _update(self, p, grad, group):
        alpha = group["alpha"]
        grad = add_l2(grad, p, group["weight_decay"])
        state = self._state(p, group)[0]
        v = state["square_avg"]
        v *= alpha
        v += (1 - alpha) * grad * grad
        if group["centered"]:
            mean = state["grad_avg"]
            mean *= alpha
            mean += (1 - alpha) * grad
            # v - mean² >= 0 in exact arithmetic (Cauchy-Schwarz); clamp the rounding error, which
            # would otherwise give sqrt of a tiny negative number (NaN)
            denominator = np.sqrt(np.maximum(v - mean * mean, 0)) + group["eps"]
        else:
            denominator = np.sqrt(v) + group["eps"]
        if group["momentum"]:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += grad / denominator
            p.data -= group["lr"] * buf
        else:
            p.data -= group["lr"] * grad / denominator


class Adagrad(Optimizer):
    """`Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10)`
    (PyTorch's defaults and names)."""

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps))

    def _check_group(self, group):
        super()._check_group(group)
        for key in ("lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            check_number("Adagrad", key, group[key], minimum=0.0)

    def _init_state(self, p, group):
        return {"step": 0, "sum": np.full_like(p.data, group["initial_accumulator_value"])}

    def _update(self, p, grad, group):
        grad = add_l2(grad, p, group["weight_decay"])
        state = self._state(p, group)[0]
        state["step"] += 1
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        s = state["sum"]
        s += grad * grad
        p.data -= lr * grad / (np.sqrt(s) + group["eps"])
