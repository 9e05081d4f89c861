"""Tensor's elementwise functions: `x.exp()`, `x.relu()`, `x.clip(0, 1)`, ..., and the elementwise
functions of two or three tensors, `where`, `maximum` and `minimum`.

The methods are functions here that `tensor_method` attaches to Tensor (hence the first argument
`self`); the activations that are not primitives are composites of those that are (figure 3.13).
`x.maximum(y)` and `x.minimum(y)` are methods of the class itself (tensor.py).
"""
from __future__ import annotations

import math

import numpy as np

from . import rules as R
from .operands import _binary, _operand, _raw
from .shapes import ShapeError, _broadcast_message
from .tensor import Tensor, apply, no_grad_op, tensor, tensor_method


@tensor_method
def exp(self):
    return apply(R.EXP, self)


@tensor_method
def log(self):
    return apply(R.LOG, self)


@tensor_method
def log1p(self):
    return apply(R.LOG1P, self)


@tensor_method
def sqrt(self):
    return apply(R.SQRT, self)


@tensor_method
def sin(self):
    return apply(R.SIN, self)


@tensor_method
def cos(self):
    return apply(R.COS, self)


@tensor_method
def tan(self):
    return apply(R.TAN, self)


@tensor_method
def tanh(self):
    return apply(R.TANH, self)


@tensor_method
def sigmoid(self):
    return apply(R.SIGMOID, self)


@tensor_method
def relu(self):
    return apply(R.RELU, self)


@tensor_method
def leaky_relu(self, slope=0.01):
    return apply(R.LEAKY_RELU, self, slope=slope)


@tensor_method
def elu(self, alpha=1.0):
    return apply(R.ELU, self, alpha=alpha)


@tensor_method
def selu(self):
    # Klambauer et al. 2017 constants (standard, not in the book): scale * elu(x, alpha).
    return self.elu(1.6732632423543772) * 1.0507009873554805


@tensor_method
def gelu(self):
    """Exact GELU x * Phi(x) with the normal CDF Phi written with erf (figure 3.13)."""
    return self * (0.5 * (1 + (self * (1 / math.sqrt(2))).erf()))


@tensor_method
def silu(self):
    """SiLU / swish x * sigmoid(x) (figure 3.13)."""
    return self * self.sigmoid()


Tensor.swish = silu


@tensor_method
def softplus(self):
    return apply(R.SOFTPLUS, self)


@tensor_method
def erf(self):
    return apply(R.ERF, self)


@tensor_method
def abs(self):  # noqa: A001 (the Tensor method; the builtin abs(x) calls Tensor.__abs__)
    return apply(R.ABS, self)


@tensor_method
def sign(self):
    """Sign of each element (-1, 0, 1): a constant, it carries no gradient."""
    return no_grad_op(np.sign, self)


@tensor_method
def clip(self, min=None, max=None):
    """Clamp to [min, max]; the gradient passes where min <= x <= max (PyTorch's clamp)."""
    out = self
    if min is not None:
        out = where(self.data < min, min, out)
    if max is not None:
        out = where(self.data > max, max, out)
    return out


Tensor.clamp = clip


# ---- of two or three tensors ----------------------------------------------------------------------


def where(cond, a, b):
    """Elementwise `a if cond else b`; the gradient flows into the branch that was taken."""
    cond = np.asarray(_raw(cond), dtype=bool)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = tensor(a)
    a = a if isinstance(a, Tensor) else _operand(a, b)
    b = b if isinstance(b, Tensor) else _operand(b, a)
    try:
        np.broadcast_shapes(cond.shape, a.shape, b.shape)
    except ValueError:
        raise ShapeError(_broadcast_message("where (cond, a, b)", [cond.shape, a.shape, b.shape])) from None
    return apply(R.WHERE, a, b, cond=cond)


def maximum(a, b):
    """Elementwise maximum; on a tie the gradient is split evenly between a and b (a kink)."""
    return _binary(R.MAXIMUM, a if isinstance(b, Tensor) else tensor(a), b)


def minimum(a, b):
    return _binary(R.MINIMUM, a if isinstance(b, Tensor) else tensor(a), b)
