"""Tensor's shape operations: reshape/view, transpose/permute/swapaxes, broadcast_to/expand, squeeze,
unsqueeze, flatten, pad, flip, repeat, tril and triu; and joining and cutting tensors along an
axis: concatenate (cat), stack and split.

The methods are functions here that `tensor_method` attaches to Tensor (hence the first argument
`self`). numpy's spellings come first; PyTorch's are aliases or accepted too (docs/tensors.md).
"""
from __future__ import annotations

import numpy as np

from . import rules as R
from .shapes import ShapeError, _axis, _broadcast_message, _shape_arg, dim_aliases
from .tensor import Tensor, apply, tensor, tensor_method


@tensor_method
def reshape(self, *shape):
    shape = _shape_arg(shape)
    try:
        new = np.reshape(self.data, shape).shape  # a view: resolves -1 and checks the size
    except (ValueError, TypeError):
        raise ShapeError(f"reshape: cannot reshape a tensor of shape {self.shape} ({self.size} elements) "
                         f"into shape {shape}") from None
    return self if new == self.shape else apply(R.RESHAPE, self, shape=new)


Tensor.view = reshape   # PyTorch's name; numpy decides whether the data are shared (a copy when it must)


@tensor_method
def transpose(self, *axes):
    """numpy's transpose -- no axes: all reversed; a tuple, or one integer per axis: that
    permutation -- and PyTorch's `transpose(dim0, dim1)`: two integers swap those two axes.
    The readings differ only for `t.transpose(0, 1)` on a 2-D tensor, where numpy's would be the
    identity: it swaps, as PyTorch's code expects (docs/tensors.md, "numpy and PyTorch")."""
    if len(axes) == 2 and all(isinstance(a, int | np.integer) for a in axes):
        return self._swapped(*axes, "transpose")
    return self._permuted(axes, "transpose")


@tensor_method
def permute(self, *axes):
    """The axes in the order `axes` (a permutation; no axes: all reversed)."""
    return self._permuted(axes, "permute")


@tensor_method
def _permuted(self, axes, op):
    axes = _shape_arg(axes) or tuple(reversed(range(self.ndim)))
    perm = _axis(axes, self.ndim, op)
    if sorted(perm) != list(range(self.ndim)):
        raise ShapeError(f"{op}: axes {axes} are not a permutation of the {self.ndim} axes of shape {self.shape}")
    return apply(R.TRANSPOSE, self, axes=perm)


@tensor_method
def swapaxes(self, axis1, axis2):
    return self._swapped(axis1, axis2, "swapaxes")


@tensor_method
def _swapped(self, axis1, axis2, op):
    axis1, axis2 = _axis((axis1, axis2), self.ndim, op)
    axes = list(range(self.ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return self._permuted(axes, op)


@tensor_method
def broadcast_to(self, *shape):
    shape = _shape_arg(shape)
    if shape == self.shape:
        return self
    try:
        np.broadcast_to(self.data, shape)  # a view: only checks
    except ValueError:
        raise ShapeError(_broadcast_message("broadcast_to", [self.shape, shape])) from None
    return apply(R.BROADCAST_TO, self, shape=shape)


Tensor.expand = broadcast_to


@tensor_method
@dim_aliases
def squeeze(self, axis=None):
    if axis is None:
        return self.reshape([n for n in self.shape if n != 1])
    axes = set(_axis((axis,) if isinstance(axis, int) else axis, self.ndim, "squeeze"))
    bad = [a for a in axes if self.shape[a] != 1]
    if bad:
        raise ShapeError(f"squeeze: axis {bad[0]} of shape {self.shape} has size {self.shape[bad[0]]}, not 1")
    return self.reshape([n for i, n in enumerate(self.shape) if i not in axes])


@tensor_method
@dim_aliases
def unsqueeze(self, axis):
    axis = _axis(axis, self.ndim + 1, "unsqueeze")
    return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])


Tensor.expand_dims = unsqueeze


@tensor_method
def flatten(self, start_dim=0, end_dim=-1):
    if self.ndim == 0:
        return self.reshape(1)
    s, e = _axis((start_dim, end_dim), self.ndim, "flatten")
    if s > e:
        raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} (shape {self.shape})")
    return self.reshape(self.shape[:s] + (-1,) + self.shape[e + 1:])


@tensor_method
def pad(self, pad_width, value=0.0):
    """Constant padding, numpy's `pad_width` ((before, after) per axis, or one pair for all)."""
    try:
        pw = np.broadcast_to(np.asarray(pad_width, dtype=int), (self.ndim, 2))
    except ValueError:
        raise ShapeError(f"pad: pad_width {pad_width!r} does not fit a tensor of shape {self.shape}: give one "
                         f"(before, after) pair per axis ({self.ndim} pairs) or one pair for all axes") from None
    return apply(R.PAD, self, pad_width=tuple(map(tuple, pw.tolist())), value=value)


@tensor_method
@dim_aliases
def flip(self, axis=None):
    axes = range(self.ndim) if axis is None else _axis((axis,) if isinstance(axis, int) else axis, self.ndim, "flip")
    return self[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(self.ndim))]


@tensor_method
@dim_aliases
def repeat(self, repeats, axis=None):
    """numpy's repeat: each element `repeats` times along `axis` (flattened when axis is None)."""
    x = self.flatten() if axis is None else self
    axis = 0 if axis is None else _axis(axis, x.ndim, "repeat")
    try:
        index = np.repeat(np.arange(x.shape[axis]), repeats)
    except ValueError:
        raise ShapeError(f"repeat: repeats of shape {np.shape(repeats)} do not fit axis {axis} of length "
                         f"{x.shape[axis]}: give one count, or one count per element along the axis") from None
    return x[(slice(None),) * axis + (index,)]


@tensor_method
def tril(self, k=0):
    return self * np.tri(*self.shape[-2:], k=k, dtype=bool)


@tensor_method
def triu(self, k=0):
    return self * ~np.tri(*self.shape[-2:], k=k - 1, dtype=bool)


# ---- joining and cutting --------------------------------------------------------------------------


@dim_aliases
def concatenate(tensors, axis=0):
    tensors = [tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate: need at least one tensor")
    ndim = tensors[0].ndim
    axis = _axis(axis, ndim, "concatenate")
    for t in tensors:
        if t.ndim != ndim or any(t.shape[i] != tensors[0].shape[i] for i in range(ndim) if i != axis):
            raise ShapeError(f"concatenate along axis {axis}: shapes {[x.shape for x in tensors]} differ on another axis")
    offsets = np.cumsum([0] + [t.shape[axis] for t in tensors]).tolist()
    return apply(R.CONCATENATE, *tensors, axis=axis, offsets=tuple(offsets))


cat = concatenate


@dim_aliases
def stack(tensors, axis=0):
    tensors = [tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: need at least one tensor")
    if len({t.shape for t in tensors}) != 1:
        raise ShapeError(f"stack: all tensors need the same shape, got {[t.shape for t in tensors]}")
    axis = _axis(axis, tensors[0].ndim + 1, "stack")
    return concatenate([t.unsqueeze(axis) for t in tensors], axis=axis)


@dim_aliases
def split(x, indices_or_sections, axis=0):
    """numpy's split: a number of equal sections, or the indices where to cut."""
    axis = _axis(axis, x.ndim, "split")
    n = x.shape[axis]
    if isinstance(indices_or_sections, int | np.integer):
        if n % indices_or_sections:
            raise ShapeError(f"split: axis {axis} of length {n} does not divide into {indices_or_sections} equal sections")
        step = n // indices_or_sections
        cuts = list(range(step, n, step))
    else:
        cuts = list(indices_or_sections)
    bounds = [0] + cuts + [n]
    return [x[(slice(None),) * axis + (slice(lo, hi),)] for lo, hi in zip(bounds[:-1], bounds[1:])]
