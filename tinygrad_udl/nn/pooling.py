"""Down- and upsampling (§10.4, figs. 10.11-10.12): max / mean pooling, max-unpooling, upsampling.

All per channel, on (N, C, L) or (N, C, H, W) batches (or unbatched (C, ...)), with PyTorch's
arguments and output sizes; no Python loop over positions or examples.

- Max pooling (fig. 10.11b) picks each window's maximum with `argmax` on a strided view of the
  input, then gathers those elements with an index array, so the gradient goes to the chosen
  element only. On a tie the FIRST maximum in the window (row-major kernel order) is chosen and
  gets the whole gradient (docs/conventions.md, "Kinks"); ties are kinks and are tested on purpose.
  Padding counts as −inf. `return_indices=True` also returns PyTorch's indices: the flat position
  of each maximum in its input plane (h·W + w), which `max_unpool` uses (fig. 10.12b).
- Mean pooling (fig. 10.11c) is im2col (nn.conv) followed by a mean over each patch.
- Upsampling (fig. 10.12): 'nearest' duplicates (fig. 10.12a) by gathering with an index array;
  'linear' / 'bilinear' (fig. 10.12c) multiply each spatial axis by an interpolation matrix, so
  everything is differentiable to any order. `align_corners` as PyTorch (default False).
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.rules import SCATTER_ADD
from ..autograd.tensor import ShapeError, Tensor, apply, no_grad_op, tensor
from .conv import _check_input, _im2col_raw, _ntuple, _window_shape, _windows, im2col, pad_nd
from .module import Module

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "max_unpool1d", "max_unpool2d", "upsample",
           "interpolate", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "MaxUnpool1d", "MaxUnpool2d", "Upsample"]


def _pool_args(kernel_size, stride, padding, nd, op):
    ks = _ntuple(kernel_size, nd, "kernel_size", op)
    st = ks if stride is None else _ntuple(stride, nd, "stride", op)
    pad = _ntuple(padding, nd, "padding", op, minimum=0)
    if any(2 * p > k for p, k in zip(pad, ks)):
        raise ValueError(f"{op}: padding={pad} must be at most half of kernel_size={ks} (as PyTorch), so that "
                         "every window contains an input element")
    return ks, st, pad


def _plane_gather(x, flat_index):
    """x (N, C, *S)[n, c, flat_index[n, c, ...]] on each flattened plane: a differentiable gather
    (its VJP is the engine's scatter-add; repeated indices accumulate). `flat_index` is an integer
    Tensor (reshaped as a Tensor, so that a compiled step reads it from its program)."""
    n, c = x.shape[:2]
    rows = np.arange(n * c).reshape((n * c,) + (1,) * (flat_index.ndim - 2))
    return x.reshape(n * c, -1)[rows, flat_index.reshape((n * c,) + flat_index.shape[2:])].reshape(flat_index.shape)


# ---- max pooling ---------------------------------------------------------------------------------------


def _max_pool(x, kernel_size, stride, padding, dilation, return_indices, nd, op):
    x, unbatched = _check_input(x, nd, None, op)
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point input, got {x.dtype}")
    ks, st, pad = _pool_args(kernel_size, stride, padding, nd, op)
    dil = _ntuple(dilation, nd, "dilation", op)
    counts = _window_shape(x.shape[2:], ks, st, tuple((p, p) for p in pad), dil, op)
    # The argmax is found on the data: a constant of the graph, like a ReLU mask (and a step of a
    # compiled program, made again at every replay).
    index = no_grad_op(_max_index, x, ks=ks, st=st, pad=pad, dil=dil, counts=counts, op=op)
    out = _plane_gather(x, index)
    if unbatched:
        out, index = out.squeeze(0), index[0]
    return (out, index) if return_indices else out


def _max_index(x, ks, st, pad, dil, counts, op):
    """PyTorch's flat index of each window's (first) maximum in its input plane."""
    nd, spatial = len(ks), x.shape[2:]
    padded = np.pad(x, ((0, 0), (0, 0)) + tuple((p, p) for p in pad), constant_values=-np.inf)
    view, _ = _windows(padded, ks, st, dil)                                  # (N, C, *K, *O)
    k_axes = tuple(range(2, 2 + nd))
    flat = np.moveaxis(view, k_axes, tuple(range(-nd, 0))).reshape(x.shape[:2] + counts + (-1,))
    winner = flat.argmax(axis=-1)                                            # first maximum on ties
    empty = np.take_along_axis(flat, winner[..., None], axis=-1)[..., 0] == -np.inf
    if empty.any():  # a window of -inf inputs "won" on padding: take its first real element instead
        real = np.pad(np.ones((1, 1) + spatial, dtype=bool), ((0, 0), (0, 0)) + tuple((p, p) for p in pad))
        real_view, _ = _windows(real, ks, st, dil)
        real_flat = np.moveaxis(real_view, k_axes, tuple(range(-nd, 0))).reshape((1, 1) + counts + (-1,))
        if not real_flat.any(axis=-1).all():
            raise ValueError(f"{op}: with dilation={dil} and padding={pad} some windows of the input {spatial} "
                             "contain padding only; use less padding or dilation")
        first_real = real_flat.argmax(axis=-1)
        winner = np.where(empty, first_real, winner)
    offsets = np.unravel_index(winner, ks)
    coords = [(np.arange(counts[axis]) * st[axis] - pad[axis]).reshape((-1,) + (1,) * (nd - 1 - axis))
              + offsets[axis] * dil[axis] for axis in range(nd)]
    return np.ravel_multi_index(coords, spatial)


def max_pool1d(x, kernel_size, stride=None, padding=0, dilation=1, return_indices=False):
    """Max pooling over windows of `kernel_size` (stride defaults to kernel_size), fig. 10.11b.
    The gradient goes to the first maximum of each window. With `return_indices`, also the flat
    index of each maximum in its input row (for max_unpool1d)."""
    return _max_pool(x, kernel_size, stride, padding, dilation, return_indices, 1, "max_pool1d")


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, return_indices=False):
    """2-D max pooling (e.g. the 2×2 pooling of fig. 10.11b); indices are flat h·W + w, as PyTorch."""
    return _max_pool(x, kernel_size, stride, padding, dilation, return_indices, 2, "max_pool2d")


# ---- mean pooling --------------------------------------------------------------------------------------


def _avg_pool(x, kernel_size, stride, padding, count_include_pad, nd, op):
    x, unbatched = _check_input(x, nd, None, op)
    ks, st, pad = _pool_args(kernel_size, stride, padding, nd, op)
    pads = tuple((p, p) for p in pad)
    ones = (1,) * nd
    counts = _window_shape(x.shape[2:], ks, st, pads, ones, op)
    n, c = x.shape[:2]
    kprod = math.prod(ks)
    patches = im2col(pad_nd(x, pads), ks, st, ones).reshape(c, kprod, n, -1)   # (C, ∏K, N, P)
    if count_include_pad or not any(pad):
        out = patches.sum(axis=1) * (1.0 / kprod)
    else:  # divide by the number of real (non-padding) elements in each window
        real = np.pad(np.ones(x.shape[2:], dtype=x.dtype), pads)[None, None]
        out = patches.sum(axis=1) * (1.0 / _im2col_raw(real, ks, st, ones).sum(axis=0))   # divisor (P,)
    out = out.swapaxes(0, 1)
    out = out.reshape((n, c) + counts)
    return out.squeeze(0) if unbatched else out


def avg_pool1d(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    """Mean pooling (fig. 10.11c); zero padding is counted in the mean unless count_include_pad=False."""
    return _avg_pool(x, kernel_size, stride, padding, count_include_pad, 1, "avg_pool1d")


def avg_pool2d(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    """2-D mean pooling (fig. 10.11c)."""
    return _avg_pool(x, kernel_size, stride, padding, count_include_pad, 2, "avg_pool2d")


# ---- max-unpooling -------------------------------------------------------------------------------------


def _max_unpool(x, indices, kernel_size, stride, padding, output_size, nd, op):
    x, unbatched = _check_input(x, nd, None, op)
    index = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    if unbatched:
        index = index[None]
    if index.shape != x.shape or index.dtype.kind not in "iu":
        raise ShapeError(f"{op}: indices must be integers with the input's shape {x.shape}, got "
                         f"{index.dtype} {index.shape} (use the indices of max_pool with return_indices=True)")
    ks, st, pad = _pool_args(kernel_size, stride, padding, nd, op)
    if output_size is None:
        size = tuple((m - 1) * s - 2 * p + k for m, k, s, p in zip(x.shape[2:], ks, st, pad))
    else:
        size = tuple(int(v) for v in tuple(output_size)[-nd:])
    n, c = x.shape[:2]
    plane = math.prod(size)
    if index.size and (index.min() < 0 or index.max() >= plane):
        raise ValueError(f"{op}: indices range over {index.min()}..{index.max()}, outside the output plane "
                         f"{size} ({plane} positions); pass the output_size of the pooled input")
    rows = np.arange(n * c)[:, None]
    flat = index.reshape(n * c, -1)
    values = x.reshape(n * c, -1)
    # Overlapping windows can pick the same element twice. PyTorch writes one of the copies (the
    # same number when they come from max_pool); here the first copy is written, deterministically,
    # and only it receives a gradient.
    keys = (flat + rows * plane).ravel()
    _, first = np.unique(keys, return_index=True)
    if first.size < keys.size:
        keep = np.zeros(keys.size, dtype=x.dtype)
        keep[first] = 1
        values = values * Tensor._wrap(keep.reshape(flat.shape))
    out = apply(SCATTER_ADD, values, index=(rows, flat), shape=(n * c, plane)).reshape((n, c) + size)
    return out.squeeze(0) if unbatched else out


def max_unpool1d(x, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Max-unpooling (fig. 10.12b): put each value back at the position its max_pool1d index names,
    zeros elsewhere. Output length (L−1)s − 2p + K unless `output_size` is given."""
    return _max_unpool(x, indices, kernel_size, stride, padding, output_size, 1, "max_unpool1d")


def max_unpool2d(x, indices, kernel_size, stride=None, padding=0, output_size=None):
    """2-D max-unpooling (fig. 10.12b, the decoder of fig. 10.19)."""
    return _max_unpool(x, indices, kernel_size, stride, padding, output_size, 2, "max_unpool2d")


# ---- upsampling ----------------------------------------------------------------------------------------


def _source_scale(n_in, n_out, factor, align_corners):
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1.0 / factor if factor is not None else n_in / n_out  # PyTorch uses 1/scale_factor when given


def _nearest_index(n_in, n_out, factor):
    """PyTorch's 'nearest': source index ⌊dst · scale⌋, clipped to the input."""
    return np.minimum(np.floor(np.arange(n_out) * _source_scale(n_in, n_out, factor, False)).astype(np.int64), n_in - 1)


def _linear_matrix(n_in, n_out, factor, align_corners, dtype):
    """(n_out, n_in) matrix of linear-interpolation weights (two nonzeros per row), as PyTorch."""
    scale = _source_scale(n_in, n_out, factor, align_corners)
    dst = np.arange(n_out, dtype=np.float64)
    src = dst * scale if align_corners else np.maximum((dst + 0.5) * scale - 0.5, 0.0)
    lo = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = src - lo
    m = np.zeros((n_out, n_in))
    np.add.at(m, (np.arange(n_out), lo), 1.0 - frac)
    np.add.at(m, (np.arange(n_out), hi), frac)
    return m.astype(dtype)


_MODES = {"nearest": None, "linear": 1, "bilinear": 2}


def upsample(x, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Upsample (N, C, L) or (N, C, H, W) to `size` or by `scale_factor` (fig. 10.12).

    mode: 'nearest' (duplication, fig. 10.12a), 'linear' (3-D input) or 'bilinear' (4-D input,
    fig. 10.12c). Output size ⌊n·scale_factor⌋; the source coordinates follow PyTorch's
    `interpolate` (align_corners=False unless given)."""
    op = "upsample"
    x = tensor(x)
    if mode not in _MODES:
        raise ValueError(f"{op}: mode must be one of {', '.join(_MODES)}, got {mode!r}")
    nd = x.ndim - 2
    if nd not in (1, 2) or (_MODES[mode] is not None and _MODES[mode] != nd):
        raise ShapeError(f"{op}: mode {mode!r} with an input of shape {x.shape}: use (N, C, L) with 'linear' or "
                         "'nearest', (N, C, H, W) with 'bilinear' or 'nearest'")
    if mode == "nearest" and align_corners is not None:
        raise ValueError(f"{op}: align_corners only applies to the 'linear' and 'bilinear' modes")
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: give exactly one of size and scale_factor")
    spatial = x.shape[2:]
    if size is not None:
        out = _ntuple(size, nd, "size", op)
        factors = (None,) * nd
    else:
        factors = (scale_factor,) * nd if isinstance(scale_factor, int | float) else tuple(scale_factor)
        if len(factors) != nd or any(f <= 0 for f in factors):
            raise ValueError(f"{op}: scale_factor={scale_factor!r} must be a positive number or {nd} of them")
        out = tuple(int(math.floor(n * f)) for n, f in zip(spatial, factors))
        if any(o < 1 for o in out):
            raise ValueError(f"{op}: scale_factor={scale_factor!r} gives an empty output for input size {spatial}")
    for axis in range(nd):
        n_in, n_out, factor = spatial[axis], out[axis], factors[axis]
        where = x.ndim - nd + axis
        if mode == "nearest":
            x = x[(slice(None),) * where + (_nearest_index(n_in, n_out, factor),)]
            continue
        m = _linear_matrix(n_in, n_out, factor, bool(align_corners), x.dtype)
        x = x @ m.T if where == x.ndim - 1 else Tensor._wrap(m) @ x   # rows are the last two axes
    return x


interpolate = upsample


# ---- modules -------------------------------------------------------------------------------------------


class _MaxPoolNd(Module):
    _fn = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.return_indices = dilation, return_indices

    def forward(self, x):
        return type(self)._fn(x, self.kernel_size, self.stride, self.padding, self.dilation, self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}, padding={self.padding}, "
                f"dilation={self.dilation}")


class MaxPool1d(_MaxPoolNd):
    """`max_pool1d` as a layer (fig. 10.11b)."""
    _fn = staticmethod(max_pool1d)


class MaxPool2d(_MaxPoolNd):
    """`max_pool2d` as a layer (fig. 10.11b)."""
    _fn = staticmethod(max_pool2d)


class _AvgPoolNd(Module):
    _fn = None

    def __init__(self, kernel_size, stride=None, padding=0, count_include_pad=True):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.count_include_pad = count_include_pad

    def forward(self, x):
        return type(self)._fn(x, self.kernel_size, self.stride, self.padding, self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """`avg_pool1d` as a layer (fig. 10.11c)."""
    _fn = staticmethod(avg_pool1d)


class AvgPool2d(_AvgPoolNd):
    """`avg_pool2d` as a layer (fig. 10.11c)."""
    _fn = staticmethod(avg_pool2d)


class _MaxUnpoolNd(Module):
    _fn = None

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x, indices, output_size=None):
        return type(self)._fn(x, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """`max_unpool1d` as a layer: `unpool(x, indices, output_size=None)` (fig. 10.12b)."""
    _fn = staticmethod(max_unpool1d)


class MaxUnpool2d(_MaxUnpoolNd):
    """`max_unpool2d` as a layer (fig. 10.12b)."""
    _fn = staticmethod(max_unpool2d)


class Upsample(Module):
    """`upsample` as a layer: Upsample(size=None, scale_factor=None, mode='nearest', align_corners=None)."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None):
        super().__init__()
        self.size, self.scale_factor, self.mode, self.align_corners = size, scale_factor, mode, align_corners

    def forward(self, x):
        return upsample(x, self.size, self.scale_factor, self.mode, self.align_corners)

    def extra_repr(self):
        what = f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        return f"{what}, mode={self.mode!r}"
