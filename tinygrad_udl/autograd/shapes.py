"""Shape and axis arguments: normalising them (numpy's and PyTorch's spellings), and the errors that
name the operation and show the shapes (`ShapeError`). Nothing here knows about `Tensor`.
"""
from __future__ import annotations

import functools
import math

import numpy as np


class ShapeError(ValueError):
    """Shapes that an operation cannot combine; the message names the op and shows the shapes."""


class Size(int):
    """A tensor's `size`: numpy's element count (an int: `t.size == 12`, `t.size * 2`), and callable
    as PyTorch's `size()`: `t.size()` is the shape and `t.size(dim)` one axis's length."""

    def __new__(cls, count, shape):
        self = super().__new__(cls, count)
        self.shape = shape
        return self

    def __call__(self, dim=None):
        if dim is None:
            return self.shape
        return self.shape[_axis(dim, len(self.shape), "size")]


def dim_aliases(fn):
    """Let `fn` also take PyTorch's spellings: `dim=` for `axis=` and `keepdim=` for `keepdims=`
    (giving both spellings of one argument is an error, never a silent choice)."""
    @functools.wraps(fn)
    def accept(*args, **kwargs):
        for torch_name, numpy_name in (("dim", "axis"), ("keepdim", "keepdims")):
            if torch_name in kwargs:
                if numpy_name in kwargs:
                    raise TypeError(f"{fn.__name__}(): got both {numpy_name}= and {torch_name}=, which are the same "
                                    f"argument (numpy's and PyTorch's name); give one")
                kwargs[numpy_name] = kwargs.pop(torch_name)
        return fn(*args, **kwargs)
    return accept


def _broadcast_message(op, shapes):
    """Both shapes right-aligned, and the first axis where they are incompatible."""
    width = max(len(str(s)) for s in shapes)
    lines = [f"{op}: shapes cannot be broadcast together:"] + [f"    {str(s):>{width}}" for s in shapes]
    ndim = max(len(s) for s in shapes)
    for k in range(1, ndim + 1):
        sizes = {s[-k] for s in shapes if len(s) >= k} - {1}
        if len(sizes) > 1:
            lines.append(f"axis {-k}: sizes {' vs '.join(str(s[-k]) for s in shapes if len(s) >= k)}. Shapes are "
                         "aligned on the right; each axis needs equal sizes or a 1 (reshape or unsqueeze to fix).")
            break
    return "\n".join(lines)


def _axis(axis, ndim, op=None):
    """`axis` (None, an int or a tuple; negative counts from the end) normalised to 0..ndim-1, or a
    ShapeError naming `op` -- never silently wrapped around."""
    if axis is None:
        return None
    if isinstance(axis, int | np.integer):
        if not -ndim <= axis < ndim:   # (a 0-d tensor has no axis: numpy's AxisError)
            raise ShapeError(f"{op + ': ' if op else ''}axis {axis} is out of range for a tensor with {ndim} dimension(s)")
        return int(axis) % ndim
    return tuple(_axis(a, ndim, op) for a in axis)


def _reduction_axis(axis, ndim, op):
    """`_axis` for a reduction: a 0-d tensor also accepts axis 0 or -1, over its one element (numpy's
    ufunc reductions and PyTorch do the same), which is the reduction over everything."""
    if ndim == 0 and axis is not None and all(a in (0, -1) for a in (axis if isinstance(axis, tuple) else (axis,))):
        return None
    return _axis(axis, ndim, op)


def _count(shape, axis):
    """How many elements a reduction over `axis` combines."""
    if axis is None:
        return math.prod(shape)
    axes = (axis,) if isinstance(axis, int) else axis
    return math.prod(shape[a] for a in axes)


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        return tuple(shape[0])
    return tuple(shape)
