"""Gradient clipping (standard, not in the book; PyTorch's `torch.nn.utils.clip_grad_norm_` /
`clip_grad_value_`).

Gradient arrays are shared and read-only, so clipping never scales them in place: each clipped
parameter gets a new `.grad` Tensor (a gradient that carried a graph, from create_graph=True,
becomes a plain constant).
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ..autograd.tensor import Tensor
from .optimizer import as_tensor_list


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Rescale all gradients together so that their global norm is at most `max_norm`.

    The global norm treats the gradients of all `parameters` (a Tensor or an iterable of Tensors;
    those without a gradient are skipped) as one vector: ‖g‖ = (Σ_p ‖g_p‖^q)^(1/q) for
    norm_type=q, or max |g| for norm_type=inf. As in PyTorch, every gradient is multiplied by
    max_norm / (‖g‖ + 1e-6) when that is below 1, so directions are kept. Returns ‖g‖ before
    clipping (a numpy float64, computed in float64). A nan/inf norm raises with
    `error_if_nonfinite=True`; otherwise it is returned and the gradients become nan as in PyTorch.
    """
    params = [p for p in as_tensor_list(parameters, "clip_grad_norm_") if p.grad is not None]
    _check_real("clip_grad_norm_", "max_norm", max_norm)
    _check_real("clip_grad_norm_", "norm_type", norm_type, allow_inf=True)
    if norm_type <= 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be > 0 (2.0 for the Euclidean norm, inf for the max), got {norm_type}")
    if not params:
        return np.float64(0.0)
    per_param = np.array([np.linalg.norm(p.grad.data.ravel().astype(np.float64), norm_type) for p in params])
    total = np.float64(np.linalg.norm(per_param, norm_type))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total gradient norm is {total}, so the gradients cannot be clipped; "
                           "check the loss for nan/inf (or pass error_if_nonfinite=False)")
    scale = max_norm / (total + 1e-6)
    if scale < 1 or np.isnan(scale):  # a nan/inf norm makes the gradients nan, as in PyTorch
        with np.errstate(invalid="ignore"):
            for p in params:
                _replace_grad(p, p.grad.data * scale)
    return total


def clip_grad_value_(parameters, clip_value):
    """Clip every gradient entry to [−clip_value, clip_value] (entry by entry, so directions change)."""
    params = [p for p in as_tensor_list(parameters, "clip_grad_value_") if p.grad is not None]
    _check_real("clip_grad_value_", "clip_value", clip_value)
    for p in params:
        _replace_grad(p, np.clip(p.grad.data, -clip_value, clip_value))


def _replace_grad(p, array):
    grad = Tensor(array, dtype=p.grad.data.dtype)
    grad.data.flags.writeable = False  # gradients are read-only, as the engine makes them
    p.grad = grad



def _check_real(owner, name, value, allow_inf=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise TypeError(f"{owner}: {name} must be a number, got {value!r}")
    if value < 0 or (math.isinf(value) and not allow_inf):
        raise ValueError(f"{owner}: {name} must be a finite number >= 0, got {value}")
