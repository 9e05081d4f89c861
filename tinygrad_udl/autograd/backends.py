"""Raw maths: the namespaces that forward passes and raw-mode VJPs run on.

`ScalarMath` works on Python floats (the `Value` engine), `ArrayMath` on numpy arrays (the `Tensor`
engine). Both follow IEEE semantics -- overflow gives inf, never an exception -- and leave domain
errors (log of a negative number, ...) to the user-facing operations, which can name the op.
A helper used by a rule must exist here (for the engines that use the rule) and in the node
namespaces of `value.py` / `tensor_ops.py`, with the same meaning; a declared primitive needs neither:
every namespace runs it by name (`rules.Namespace`), and a numpy function that `ArrayMath` does not
spell out is taken from numpy itself.
"""
from __future__ import annotations

import math

import numpy as np

from .rules import Namespace

_EXP_MAX = 709.782712893384  # log of the largest float64; math.exp raises above it


class ScalarMath(metaclass=Namespace):
    """Float maths for the scalar engine (math module, IEEE-style overflow)."""

    @staticmethod
    def call(prim, *args, **params):
        return prim.forward(ScalarMath, *args, **params)

    @staticmethod
    def exp(x):
        return math.exp(x) if x < _EXP_MAX else math.inf

    @staticmethod
    def log(x):
        return math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)

    @staticmethod
    def log1p(x):
        return math.log1p(x) if x > -1 else (-math.inf if x == -1 else math.nan)

    @staticmethod
    def sqrt(x):
        return math.sqrt(x) if x >= 0 else math.nan

    sin = staticmethod(math.sin)
    cos = staticmethod(math.cos)
    tan = staticmethod(math.tan)
    tanh = staticmethod(math.tanh)  # overflow-safe: tends to +-1
    erf = staticmethod(math.erf)

    @staticmethod
    def sigmoid(x):
        # Two branches so that exp never overflows: sigmoid(+-1000) is exactly 1 / 0.
        if x >= 0:
            return 1.0 / (1.0 + math.exp(-x))
        e = math.exp(x) if x > -_EXP_MAX else 0.0
        return e / (1.0 + e)

    @staticmethod
    def softplus(x):
        # log(1 + e^x) = max(x, 0) + log1p(e^-|x|): stable for large |x|.
        return max(x, 0.0) + math.log1p(math.exp(-abs(x)))

    @staticmethod
    def pow(x, y):
        try:
            return x ** y
        except OverflowError:
            return math.inf if x > 0 or float(y) % 2 == 0 else -math.inf
        except ZeroDivisionError:  # 0 ** negative
            return math.inf

    @staticmethod
    def sign(x):
        return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)

    @staticmethod
    def maximum(x, y):
        """The larger of x and y as a float; NaN if either is NaN (as numpy's maximum)."""
        return math.nan if x != x or y != y else float(x if x >= y else y)

    @staticmethod
    def minimum(x, y):
        return math.nan if x != x or y != y else float(x if x <= y else y)

    @staticmethod
    def where(cond, a, b):
        return a if cond else b

    @staticmethod
    def tie_weight(x, y):
        """d max(x, y) / dx: 1 where x wins, 1/2 on a tie (the gradient is split), else 0."""
        return 1.0 if x > y else (0.5 if x == y else 0.0)

    unbroadcast = None  # scalars never broadcast


def broadcast_axes(big, small):
    """The axes of shape `big` that broadcasting created from shape `small` (summed in backward)."""
    lead = len(big) - len(small)
    return tuple(range(lead)) + tuple(i + lead for i, n in enumerate(small) if n == 1 and big[i + lead] != 1)


def reduced_shape(shape, axis, keepdims):
    """Shape of x.sum(axis, keepdims=True): where a reduction's result broadcasts back from."""
    if keepdims:
        return None
    if axis is None:
        return (1,) * len(shape)
    axes = (axis,) if isinstance(axis, int) else axis
    axes = {a % len(shape) for a in axes}
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class _ArrayNamespace(Namespace):
    def __getattr__(cls, name):
        # A declared primitive first (it may differ from numpy's function of the same name), then numpy.
        try:
            return super().__getattr__(name)
        except AttributeError:
            fn = getattr(np, name, None) if not name.startswith("_") else None
            if not callable(fn):
                raise
            setattr(cls, name, staticmethod(fn))
            return fn


class ArrayMath(metaclass=_ArrayNamespace):
    """numpy maths for the tensor engine. Keeps float32 as float32 (no silent up-casts)."""

    @staticmethod
    def call(prim, *args, **params):
        return prim.forward(ArrayMath, *args, **params)

    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    log1p = staticmethod(np.log1p)
    expm1 = staticmethod(np.expm1)
    isfinite = staticmethod(np.isfinite)
    pad = staticmethod(np.pad)
    sqrt = staticmethod(np.sqrt)
    sin = staticmethod(np.sin)
    cos = staticmethod(np.cos)
    tan = staticmethod(np.tan)
    tanh = staticmethod(np.tanh)
    sign = staticmethod(np.sign)
    where = staticmethod(np.where)
    maximum = staticmethod(np.maximum)
    minimum = staticmethod(np.minimum)
    broadcast_to = staticmethod(np.broadcast_to)
    matmul = staticmethod(np.matmul)
    einsum = staticmethod(np.einsum)
    concatenate = staticmethod(np.concatenate)

    # The array methods, not np.reshape & co.: those wrap the same call in two Python functions
    # (numpy's _wrapfunc), which shows in a small model's backward pass.
    @staticmethod
    def reshape(x, shape):
        return x.reshape(shape)

    @staticmethod
    def transpose(x, axes=None):
        return x.transpose(axes)

    @staticmethod
    def swapaxes(x, a, b):
        return x.swapaxes(a, b)

    @staticmethod
    def erf(x):
        from scipy import special   # imported on first use: scipy takes longer to import than the library
        return special.erf(x)

    @staticmethod
    def sigmoid(x):
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e))

    @staticmethod
    def softplus(x):
        return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))

    @staticmethod
    def pow(x, y):
        return np.power(x, y)

    @staticmethod
    def sum(x, axis=None, keepdims=False):
        return x.sum(axis=axis, keepdims=keepdims)

    @staticmethod
    def getitem(x, index):
        return x[index]

    @staticmethod
    def tie_weight(x, y):
        w = (x > y).astype(np.result_type(x, y))
        return np.where(x == y, w.dtype.type(0.5), w)

    @staticmethod
    def extremum_weight(x, out, axis, keepdims):
        """d max(x, axis) / dx: the winners share the gradient equally (ties split evenly)."""
        shape = reduced_shape(x.shape, axis, keepdims)
        hit = x == (out if shape is None else out.reshape(shape))
        return hit / np.sum(hit, axis=axis, keepdims=True, dtype=x.dtype)

    @staticmethod
    def unbroadcast(g, like):
        """Sum `g` down to the shape of `like` (the input that was broadcast in the forward pass)."""
        shape = like.shape
        if g.shape == shape:
            return g
        return g.sum(axis=broadcast_axes(g.shape, shape)).reshape(shape)

    @staticmethod
    def expand_to(g, like, axis, keepdims):
        """Broadcast a reduction's gradient `g` back to the reduced input's shape."""
        shape = reduced_shape(like.shape, axis, keepdims)
        out = np.empty(like.shape, dtype=g.dtype)  # filled in place: cheaper than np.broadcast_to's view
        out[...] = g if shape is None else g.reshape(shape)
        return out

    @staticmethod
    def scatter_add(g, index, shape):
        """zeros(shape) with g added at `index` (repeated indices accumulate): getitem's VJP."""
        out = np.zeros(shape, dtype=g.dtype)
        if is_basic_index(index):
            out[index] = g  # a basic index never repeats an element
        elif isinstance(index, np.ndarray) and index.dtype.kind in "iu" and len(shape) > 1:
            # rows picked by one integer array (an embedding lookup): numpy's ufunc.at is ~6x faster
            # on flat positions than on rows, and adds in the same order (row picks in C order,
            # each row's elements in turn), so the sums are the same bit for bit
            row = math.prod(shape[1:])
            rows = np.where(index < 0, index + shape[0], index).reshape(-1, 1)
            np.add.at(out.reshape(-1), (rows * row + np.arange(row)).reshape(-1), g.reshape(-1))
        else:
            np.add.at(out, index, g)
        return out


def is_basic_index(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis for i in items)

