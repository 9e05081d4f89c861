"""Array operations with numpy's names and semantics: scans (cumsum, cumprod), diagonals (diagonal,
diag, trace), order (sort, argsort, topk, searchsorted), gathers (take_along_axis, roll),
logaddexp and rounding (floor, ceil, round).

What carries a gradient, and what does not:
- `sort` and `topk` values are gathers (`take_along_axis`): the gradient of each value goes back to
  the element it was taken from (repeated indices add up). `argsort`, `searchsorted` and the
  indices from `topk` are integer tensors without gradients.
- `floor`, `ceil` and `round` are piecewise constant: their derivative is 0 where it exists and
  undefined at the jumps. They return constants (as `sign` and the comparisons do), so no gradient
  flows through them; `x + (x.round() - x).detach()` is the straight-through estimator if one is
  wanted.

Primitives declared here: cumsum (its VJP is the cumsum from the other end), cumprod and the linear
recurrence its VJP runs on, diagonal and its adjoint diagonal_embed, roll and logaddexp; the rest
are composites of primitives.
Functions that numpy also has as array methods are Tensor methods too (`x.cumsum(1)`), except
`sort`: ndarray.sort sorts in place, which a Tensor never does, so it is `tg.sort(x)` only.
"""
from __future__ import annotations

import numpy as np

from .rules import binary, primitive
from .samples import inputs, normal
from .tensor import ShapeError, Tensor, _axis, _binary, _raw, apply, dim_aliases, tensor, tensor_method

__all__ = ["cumsum", "cumprod", "diagonal", "diag", "trace", "sort", "argsort", "topk", "take_along_axis", "roll",
           "logaddexp", "floor", "ceil", "round", "searchsorted"]


def _along(x, axis, op):
    """`x` as a Tensor and `axis` normalised; with axis=None the flattened tensor and axis 0 (numpy's
    rule for scans, sorts and gathers)."""
    x = tensor(x)
    if axis is None:
        return x.flatten(), 0
    if x.ndim == 0:
        raise ShapeError(f"{op}: a 0-d tensor has no axis {axis}; use axis=None")
    return x, _axis(axis, x.ndim, op)


# ---- scans ----------------------------------------------------------------------------------------


def _cumsum(o, x, axis, reverse):
    if reverse:   # sums from the end, x_i + x_{i+1} + ... (the flips are views)
        return np.flip(np.cumsum(np.flip(x, axis), axis=axis), axis)
    return np.cumsum(x, axis=axis)


# d/dx_i of sum_j g_j (x_0 + ... + x_j) = g_i + g_{i+1} + ...: the VJP of a cumsum is the cumsum
# from the other end.
CUMSUM = primitive("cumsum", _cumsum,
                   lambda o, g, out, x, axis, reverse: o.cumsum(g, axis=axis, reverse=not reverse),
                   sample=inputs(normal(3, 4), axis=1, reverse=False))


def _shifted(o, x, axis, fill):
    """x one step later along `axis` (x_{i-1} at position i), with `fill` at the start."""
    start = (np.arange(x.shape[axis]) == 0).reshape((-1,) + (1,) * (x.ndim - axis - 1))
    return o.where(start, fill, o.roll(x, shift=(1,), axis=(axis,)))


def _recurrence(o, b, a, axis, reverse):
    """h_i = a_i h_{i-1} + b_i along `axis` from h_{-1} = 0; with `reverse`, h_i = a_{i+1} h_{i+1} + b_i
    from the end (a_i always weighs the step between positions i-1 and i, so the two directions are
    each other's transpose). Recursive doubling: after the step of span s, (a_i, b_i) maps h_{i-s}
    to h_i, so log2(n) whole-array steps replace a Python loop over the n positions."""
    if reverse:   # the forward recurrence of the flipped arrays, each a_{i+1} moved to position i
        return np.flip(_recurrence(o, np.flip(b, axis), np.roll(np.flip(a, axis), 1, axis), axis, False), axis)
    dtype = np.result_type(a, b)
    b, a = np.moveaxis(b, axis, -1).astype(dtype), np.moveaxis(a, axis, -1).astype(dtype)   # copies
    span = 1
    while span < b.shape[-1]:
        b[..., span:] += a[..., span:] * b[..., :-span]   # numpy reads the overlapping old values first
        a[..., span:] *= a[..., :-span]
        span *= 2
    return np.moveaxis(b, -1, axis)


def _recurrence_vjp_a(o, g, out, b, a, axis, reverse):
    """dL/da_i = lam_i h_{i-1} (forward) or lam_{i-1} h_i (reverse): a_i scales that h in one step,
    and lam = dL/dh is the adjoint state, the recurrence of g run the other way."""
    lam = o.linear_recurrence(g, a, axis=axis, reverse=not reverse)
    return _shifted(o, lam, axis, 0) * out if reverse else lam * _shifted(o, out, axis, 0)


# A linear map of b, so its transpose is the recurrence run the other way; it is what makes cumprod's
# VJP exact at zeros without dividing by x (and, written with itself, differentiable again).
LINEAR_RECURRENCE = primitive("linear_recurrence", _recurrence,
                              lambda o, g, out, b, a, axis, reverse:
                                  o.linear_recurrence(g, a, axis=axis, reverse=not reverse),
                              _recurrence_vjp_a,
                              sample=inputs(normal(5, 3), normal(5, 3), axis=0, reverse=True))


def _cumprod_vjp(o, g, out, x, axis):
    """d/dx_i of sum_j g_j out_j = (prod_{k<i} x_k) (sum_{j>=i} g_j prod_{i<k<=j} x_k): the product
    before i (out one step later) times R_i = g_i + x_{i+1} R_{i+1}, a recurrence from the end.
    No division by x_i, so zeros in x need no special case (g * out / x would be 0/0 there)."""
    return _shifted(o, out, axis, 1) * o.linear_recurrence(g, x, axis=axis, reverse=True)


def _with_zeros(rng):
    """Rows with no zero, one zero and two zeros. cumprod is multilinear, so central differences
    are exact at zeros too, to every order."""
    x = rng.standard_normal((3, 5))
    x[1, 2] = x[2, 1] = x[2, 3] = 0.0
    return [x], {"axis": 1}


CUMPROD = primitive("cumprod", lambda o, x, axis: np.cumprod(x, axis=axis), _cumprod_vjp, sample=_with_zeros)


@tensor_method
@dim_aliases
def cumsum(x, axis=None):
    """Running sums along `axis` (of the flattened tensor when axis is None)."""
    x, axis = _along(x, axis, "cumsum")
    return apply(CUMSUM, x, axis=axis, reverse=False)


@tensor_method
@dim_aliases
def cumprod(x, axis=None):
    """Running products along `axis`; the gradient is exact where x has zeros (no division by x)."""
    x, axis = _along(x, axis, "cumprod")
    return apply(CUMPROD, x, axis=axis)


# ---- diagonals ------------------------------------------------------------------------------------


def _diagonal_embed(o, d, shape, offset, axis1, axis2):
    """zeros(shape) with `d` (diagonal axis last) written where diagonal(offset, axis1, axis2) reads."""
    out = np.zeros(shape, dtype=d.dtype)
    n = d.shape[-1]
    rows, cols = np.arange(n) + max(-offset, 0), np.arange(n) + max(offset, 0)
    np.moveaxis(out, (axis1, axis2), (-2, -1))[..., rows, cols] = d   # moveaxis gives a view of out
    return out


# Adjoint linear maps, so each is the other's VJP (as im2col and col2im).
_DIAGONAL = {"offset": 1, "axis1": 2, "axis2": 0}   # the diagonal x[i + 1, :, i] of a (3, 4, 5) array
# diagonal copies: np.diagonal's view is read-only (no in-place ops on the result) and aliases x.
DIAGONAL = primitive("diagonal", lambda o, x, offset, axis1, axis2: np.diagonal(x, offset, axis1, axis2).copy(),
                     lambda o, g, out, x, offset, axis1, axis2:
                         o.diagonal_embed(g, shape=x.shape, offset=offset, axis1=axis1, axis2=axis2),
                     sample=inputs(normal(3, 4, 5), **_DIAGONAL))
DIAGONAL_EMBED = primitive("diagonal_embed", _diagonal_embed,
                           lambda o, g, out, d, shape, offset, axis1, axis2:
                               o.diagonal(g, offset=offset, axis1=axis1, axis2=axis2),
                           sample=inputs(normal(4, 2), shape=(3, 4, 5), **_DIAGONAL))


@tensor_method
def diagonal(x, offset=0, axis1=0, axis2=1):
    """The elements at index i on axis1 and i + offset on axis2, for each i, as a new last axis."""
    x = tensor(x)
    if x.ndim < 2:
        raise ShapeError(f"diagonal: needs a tensor of at least 2 dimensions, got shape {x.shape}")
    axis1, axis2 = _axis((axis1, axis2), x.ndim, "diagonal")
    if axis1 == axis2:
        raise ValueError(f"diagonal: axis1 and axis2 are both axis {axis1} of shape {x.shape}; they must differ")
    return apply(DIAGONAL, x, offset=int(offset), axis1=axis1, axis2=axis2)


def diag(v, k=0):
    """numpy's diag: a 1-D tensor becomes a square matrix with v on its k-th diagonal; a 2-D tensor
    gives its k-th diagonal."""
    v = tensor(v)
    if v.ndim == 1:
        n = v.shape[0] + abs(k)
        return apply(DIAGONAL_EMBED, v, shape=(n, n), offset=int(k), axis1=0, axis2=1)
    if v.ndim == 2:
        return diagonal(v, k)
    raise ShapeError(f"diag: takes a 1-D tensor (to make a matrix) or a 2-D one (to read a diagonal), "
                     f"got shape {v.shape}")


@tensor_method
def trace(x, offset=0, axis1=0, axis2=1):
    """The sum of the diagonal (of each matrix, for more than 2 dimensions)."""
    return diagonal(x, offset, axis1, axis2).sum(-1)


# ---- order ----------------------------------------------------------------------------------------


@tensor_method
@dim_aliases
def argsort(x, axis=-1):
    """The indices that sort x along `axis`, a constant integer tensor. Stable: equal elements keep
    their order (numpy's default sort is not, so ties may be ordered differently from np.argsort)."""
    x, axis = _along(x, axis, "argsort")
    return Tensor._wrap(np.argsort(x.data, axis=axis, kind="stable"))


@dim_aliases
def sort(x, axis=-1):
    """x sorted along `axis` (a new tensor); each value's gradient goes to the element it came from."""
    x, axis = _along(x, axis, "sort")
    return take_along_axis(x, argsort(x, axis), axis)


def _topk_indices(data, k, axis, largest, ordered):
    """Where the k largest (smallest) elements along `axis` are: largest first (smallest first) when
    `ordered`, otherwise in no particular order, found by one O(n) partition instead of a sort."""
    n = data.shape[axis]
    if ordered or k == 0:
        order = np.argsort(data, axis=axis, kind="stable")
    else:
        order = np.argpartition(data, n - k if largest else k - 1, axis=axis)
    picked = order[(slice(None),) * axis + (slice(n - k, n) if largest else slice(0, k),)]
    return np.flip(picked, axis) if largest else picked


@dim_aliases
def topk(x, k, axis=-1, largest=True, sorted=True):
    """PyTorch's topk: `(values, indices)` of the k largest (or smallest) elements along `axis`.
    The values carry gradients (to the elements picked); the indices are a constant integer tensor."""
    x, axis = _along(x, axis, "topk")
    n = x.shape[axis]
    if not 0 <= k <= n:
        raise ValueError(f"topk: k={k} is out of range for axis {axis} of size {n} (shape {x.shape})")
    indices = Tensor._wrap(_topk_indices(x.data, k, axis, largest, sorted))
    return take_along_axis(x, indices, axis), indices


@tensor_method
def searchsorted(a, v, side="left", sorter=None):
    """Where the values `v` would go in the sorted 1-D tensor `a` to keep it sorted (numpy's
    searchsorted): a constant integer tensor."""
    a = tensor(a)
    if a.ndim != 1:
        raise ShapeError(f"searchsorted: the sorted sequence must be 1-D, got shape {a.shape}")
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    return Tensor._wrap(np.searchsorted(a.data, _raw(v), side=side, sorter=None if sorter is None else _raw(sorter)))


# ---- gathers --------------------------------------------------------------------------------------


def _without(shape, axis):
    return shape[:axis] + shape[axis + 1:]


@dim_aliases
def take_along_axis(x, indices, axis):
    """numpy's take_along_axis: out[..., j, ...] = x[..., indices[..., j, ...], ...] along `axis`.

    A getitem with an index array per axis (as numpy builds it), so the gradient is getitem's
    scatter-add: where an index repeats, the gradients of its copies add up."""
    flattened = ", flattened by axis=None" if axis is None else ""
    x, axis = _along(x, axis, "take_along_axis")
    indices = np.asarray(_raw(indices))
    if indices.dtype.kind not in "iu":
        raise TypeError(f"take_along_axis: indices must be integers, got {indices.dtype}")
    if indices.ndim != x.ndim:
        raise ShapeError(f"take_along_axis: indices of shape {indices.shape} need as many dimensions as the tensor "
                         f"(shape {x.shape}{flattened})")
    n = x.shape[axis]
    if indices.size and not (-n <= indices.min() and indices.max() < n):
        raise IndexError(f"take_along_axis: indices from {indices.min()} to {indices.max()} are out of range "
                         f"for axis {axis} of size {n} (shape {x.shape})")
    try:
        np.broadcast_shapes(_without(x.shape, axis), _without(indices.shape, axis))
    except ValueError:
        raise ShapeError(f"take_along_axis: indices of shape {indices.shape} do not fit a tensor of shape {x.shape}: "
                         f"the axes other than {axis} must be equal or 1") from None
    grids = np.ogrid[tuple(slice(size) for size in x.shape)]   # arange(size) along each axis, broadcastable
    return x[tuple(indices if d == axis else grid for d, grid in enumerate(grids))]


ROLL = primitive("roll", lambda o, x, shift, axis: np.roll(x, shift, axis),
                 lambda o, g, out, x, shift, axis: o.roll(g, shift=tuple(-s for s in shift), axis=axis),
                 sample=inputs(normal(3, 4), shift=(1, -3), axis=(0, 1)))


@dim_aliases
def roll(x, shift, axis=None):
    """numpy's roll: elements shifted cyclically by `shift` along `axis` (of the flattened tensor
    when axis is None); several axes take one shift each, or one shift for all."""
    x = tensor(x)
    if axis is None:
        if not isinstance(shift, int | np.integer):
            raise TypeError(f"roll: with axis=None (the flattened tensor) shift must be one integer, got {shift!r}")
        return apply(ROLL, x, shift=(int(shift),), axis=None)
    axes = _axis(axis, x.ndim, "roll")
    try:
        pairs = np.broadcast(np.atleast_1d(shift), np.atleast_1d(axes))
    except ValueError:
        raise ShapeError(f"roll: shift {shift!r} and axis {axis!r} do not pair up: give one shift for all the axes "
                         "or one per axis") from None
    shift, axes = zip(*((int(s), int(a)) for s, a in pairs))
    return apply(ROLL, x, shift=shift, axis=axes)


# ---- elementwise ----------------------------------------------------------------------------------

# log(e^x + e^y): d/dx = e^x / (e^x + e^y) = sigmoid(x - y), finite unless x and y are infinities of
# one sign (exp(x - out), the other way to write it, is nan as soon as x = inf).
LOGADDEXP = binary("logaddexp", lambda o, x, y: np.logaddexp(x, y),
                   lambda o, g, out, x, y: g * o.sigmoid(x - y),
                   lambda o, g, out, x, y: g * o.sigmoid(y - x))


def logaddexp(a, b):
    """log(e^a + e^b), computed without overflow; a and b broadcast as in numpy."""
    return _binary(LOGADDEXP, a if isinstance(b, Tensor) else tensor(a), b)


def floor(x):
    """The largest integer <= x, elementwise: a constant (its derivative is 0 wherever it exists)."""
    return Tensor._wrap(np.floor(tensor(x).data))


def ceil(x):
    """The smallest integer >= x, elementwise: a constant (derivative 0 wherever it exists)."""
    return Tensor._wrap(np.ceil(tensor(x).data))


@tensor_method
def round(x, decimals=0):
    """numpy's round (halves go to the even neighbour): a constant (derivative 0 wherever it exists)."""
    return Tensor._wrap(np.round(tensor(x).data, decimals))
