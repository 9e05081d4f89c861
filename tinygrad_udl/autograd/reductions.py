"""Tensor's reductions, with numpy's `axis=` and `keepdims=` (and PyTorch's `dim=` and `keepdim=`):
sum, mean, var, std, max, min, logsumexp, argmax, argmin, and the normalisations along an axis,
softmax and log_softmax.

Each function here is a Tensor method (`tensor_method` attaches it, hence the first argument `self`
and names that shadow the builtins only inside this module).
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from . import rules as R
from .shapes import _count, _reduction_axis, dim_aliases
from .tensor import apply, no_grad_op, tensor_method


@tensor_method
@dim_aliases
def sum(self, axis=None, keepdims=False):  # noqa: A001
    return apply(R.SUM, self, axis=_reduction_axis(axis, self.ndim, "sum"), keepdims=keepdims)


@tensor_method
@dim_aliases
def mean(self, axis=None, keepdims=False):
    axis = _reduction_axis(axis, self.ndim, "mean")
    n = _count(self.shape, axis)
    if n == 0:   # numpy's answer: nan, with a warning
        warnings.warn(f"mean of an empty slice (shape {self.shape}, axis {axis}) is nan", RuntimeWarning, stacklevel=2)
    return self.sum(axis, keepdims) * (1.0 / n if n else math.nan)


@tensor_method
@dim_aliases
def var(self, axis=None, ddof=0, keepdims=False):
    """Variance with divisor N - ddof (ddof=0: the biased form of batch norm, eq. 11.8)."""
    axis = _reduction_axis(axis, self.ndim, "var")
    n = _count(self.shape, axis)
    if n - ddof <= 0:
        raise ValueError(f"var: {n} element(s) along the reduced axes and ddof={ddof} leave no degrees of freedom")
    d = self - self.mean(axis, keepdims=True)
    return (d * d).sum(axis, keepdims) * (1.0 / (n - ddof))


@tensor_method
@dim_aliases
def std(self, axis=None, ddof=0, keepdims=False):
    return self.var(axis, ddof, keepdims).sqrt()


@tensor_method
@dim_aliases
def max(self, axis=None, keepdims=False):  # noqa: A001
    """Maximum; tied maximal elements share the gradient equally (a kink, see docs)."""
    return apply(R.MAX, self, axis=_reduction_axis(axis, self.ndim, "max"), keepdims=keepdims)


@tensor_method
@dim_aliases
def min(self, axis=None, keepdims=False):  # noqa: A001
    return apply(R.MIN, self, axis=_reduction_axis(axis, self.ndim, "min"), keepdims=keepdims)


@tensor_method
@dim_aliases
def logsumexp(self, axis=None, keepdims=False):
    """log sum exp, shifted by the maximum so that large logits stay finite (eq. 5.24)."""
    return apply(R.LOGSUMEXP, self, axis=_reduction_axis(axis, self.ndim, "logsumexp"), keepdims=keepdims)


@tensor_method
@dim_aliases
def argmax(self, axis=None, keepdims=False):
    return no_grad_op(np.argmax, self, axis=_reduction_axis(axis, self.ndim, "argmax"), keepdims=keepdims)


@tensor_method
@dim_aliases
def argmin(self, axis=None, keepdims=False):
    return no_grad_op(np.argmin, self, axis=_reduction_axis(axis, self.ndim, "argmin"), keepdims=keepdims)


@tensor_method
@dim_aliases
def softmax(self, axis=-1):
    """exp(x) / sum exp(x) along `axis`, computed stably (eq. 5.22, 12.5)."""
    return apply(R.SOFTMAX, self, axis=_reduction_axis(axis, self.ndim, "softmax"))


@tensor_method
@dim_aliases
def log_softmax(self, axis=-1):
    """x - logsumexp(x): finite for logits of +-1e4 (the multiclass loss, eq. 5.24)."""
    return apply(R.LOG_SOFTMAX, self, axis=_reduction_axis(axis, self.ndim, "log_softmax"))
