"""Convolutions (chapter 10) by im2col and one matrix product.

A convolution (eqs. 10.3-10.6) applies the same weights Ω to every patch of the input. Laying the
patches of the whole batch out as the columns of one matrix ("im2col") turns the layer into ONE
matmul:

    cols = im2col(pad(x))                         (C_in·∏K, N·P)    P = output positions per example
    y    = W.reshape(C_out, C_in·∏K) @ cols       (C_out, N·P)      (per group when groups > 1)

then a reshape and a transpose (a view) give (N, C_out, *out). Batch and positions share one axis so
that the forward pass and both halves of the backward pass are single large GEMMs (the weight
gradient is g @ colsᵀ, no per-example products summed afterwards).
`im2col` is a primitive built with `as_strided` (no Python loop over positions or examples); its
VJP is `col2im`, which adds every patch back where it came from (a loop over the K or K·K kernel
offsets only), and col2im's VJP is im2col again, so gradients of gradients work. The transposed
convolution (fig. 10.13) is the adjoint: its forward pass is col2im.

Conventions (docs/conventions.md, "Convolution"): PyTorch's layouts and arguments, not the book's.
- The operation is cross-correlation, as in the book and PyTorch (no kernel flip).
- Weights are (C_out, C_in/groups, K[, K]) (PyTorch); the book writes Ω ∈ R^{C_i×C_o×K} (§10.2.5).
  ConvTranspose weights are (C_in, C_out/groups, K[, K]), again as PyTorch.
- `dilation` is PyTorch's spacing between taps (ordinary conv = 1). The book's "dilation rate"
  (zeros inserted between taps, ordinary = 0, §10.2.3) is accepted as `dilation_rate=` and maps
  to dilation = rate + 1.
- Output length ⌊(L + 2p − d(K−1) − 1)/s⌋ + 1. The book's centred K=3, stride-2 zero-padded conv,
  whose outputs sit on x₁, x₃, ... (fig. 10.3), is `padding=1, stride=2`; the MNIST-1D CNN of
  fig. 10.7 uses `padding=0` ("valid"): 40 → 19 → 9 → 4 positions, 4·15 = 60 features.
- Default initialisation: He-uniform weights U(±√(6/fan_in)) with fan_in = C_in/groups·∏K (the
  conv fan-in C_i·K² of §10.5, eq. 7.30) and zero biases -- the same rule as `Linear` (the book's
  fig. 7.8 code), not PyTorch's U(±1/√fan_in). Zoo models apply each figure's init explicitly.
"""
from __future__ import annotations

import math
from itertools import product

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..autograd.rules import primitive
from ..autograd.samples import inputs, normal
from ..autograd.tensor import ShapeError, apply, tensor
from . import init
from .module import Module, Parameter, default_float_dtype

__all__ = ["im2col", "col2im", "unfold", "fold", "pad_nd", "conv1d", "conv2d", "conv_transpose1d",
           "conv_transpose2d", "conv_output_size", "Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]


# ---- the primitives: im2col and its adjoint col2im ---------------------------------------------------


def conv_output_size(length, kernel_size, stride=1, padding=0, dilation=1):
    """⌊(L + 2p − d(K−1) − 1)/s⌋ + 1: the number of positions a kernel visits (GUIDE ch. 10)."""
    return (length + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1


def _window_counts(spatial, kernel_size, stride, dilation):
    return tuple(conv_output_size(n, k, s, 0, d) for n, k, s, d in zip(spatial, kernel_size, stride, dilation))


def _windows(x, kernel_size, stride, dilation):
    """A read-only strided view (N, C, *K, *O) of every patch of `x` (N, C, *spatial): no copy."""
    counts = _window_counts(x.shape[2:], kernel_size, stride, dilation)
    st = x.strides
    strides = st[:2] + tuple(d * t for d, t in zip(dilation, st[2:])) + tuple(s * t for s, t in zip(stride, st[2:]))
    return as_strided(x, shape=x.shape[:2] + tuple(kernel_size) + counts, strides=strides, writeable=False), counts


def _im2col_raw(x, kernel_size, stride, dilation):
    """Patches of x (N, C, *spatial) as columns: (C·∏K, N·∏O); row (c, k...), column (n, o...).

    The one copy of the data this makes is the reshape of the strided view."""
    view, counts = _windows(x, kernel_size, stride, dilation)                 # (N, C, *K, *O)
    nd = len(kernel_size)
    order = (1,) + tuple(range(2, 2 + nd)) + (0,) + tuple(range(2 + nd, 2 + 2 * nd))
    return view.transpose(order).reshape(x.shape[1] * math.prod(kernel_size), x.shape[0] * math.prod(counts))


def _col2im_raw(cols, shape, kernel_size, stride, dilation):
    """The adjoint of im2col: zeros(shape) with every column added back at its patch.

    Within one kernel offset the patch positions are distinct, so a strided `+=` is exact; the only
    Python loop is over the ∏K kernel offsets."""
    out = np.zeros(shape, dtype=cols.dtype)
    nd = len(kernel_size)
    counts = _window_counts(shape[2:], kernel_size, stride, dilation)
    patches = np.moveaxis(cols.reshape((shape[1],) + tuple(kernel_size) + (shape[0],) + counts), 1 + nd, 0)
    for offset in product(*map(range, kernel_size)):                          # patches: (N, C, *K, *O)
        target = tuple(slice(k * d, k * d + s * (o - 1) + 1, s) for k, d, s, o in zip(offset, dilation, stride, counts))
        out[(slice(None), slice(None)) + target] += patches[(slice(None), slice(None)) + offset]
    return out


# Each is the other's VJP (they are adjoint linear maps), called through `o` so that the same
# line runs on arrays in backward() and records a node under create_graph=True.
_WINDOWS = {"kernel_size": (3, 2), "stride": (2, 1), "dilation": (1, 2)}
IM2COL = primitive("im2col", lambda o, x, kernel_size, stride, dilation: _im2col_raw(x, kernel_size, stride, dilation),
                   lambda o, g, out, x, kernel_size, stride, dilation:
                       o.col2im(g, shape=tuple(x.shape), kernel_size=kernel_size, stride=stride, dilation=dilation),
                   sample=inputs(normal(2, 3, 6, 5), **_WINDOWS))
COL2IM = primitive("col2im",
                   lambda o, cols, shape, kernel_size, stride, dilation:
                       _col2im_raw(cols, shape, kernel_size, stride, dilation),
                   lambda o, g, out, cols, shape, kernel_size, stride, dilation:
                       o.im2col(g, kernel_size=kernel_size, stride=stride, dilation=dilation),
                   sample=inputs(normal(18, 12), shape=(2, 3, 6, 5), **_WINDOWS))


# ---- argument handling shared by convolution and pooling ----------------------------------------------


def _ntuple(value, nd, name, op, minimum=1):
    """An int or a sequence of `nd` ints, as a tuple, each >= minimum (clear error otherwise)."""
    if isinstance(value, int | np.integer):
        items = (value,) * nd
    else:
        items = tuple(value) if isinstance(value, tuple | list) else ()
    if len(items) != nd or not all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in items):
        raise TypeError(f"{op}: {name} must be an int or a tuple of {nd} ints, got {value!r}")
    if any(v < minimum for v in items):
        raise ValueError(f"{op}: {name}={value!r} must be >= {minimum}")
    return tuple(int(v) for v in items)


def _dilation(dilation, dilation_rate, nd, op):
    """PyTorch's `dilation`, or the book's `dilation_rate` (§10.2.3) = dilation − 1."""
    if dilation_rate is None:
        return _ntuple(dilation, nd, "dilation", op)
    if dilation not in (1, (1,) * nd):
        raise ValueError(f"{op}: give either dilation={dilation!r} (PyTorch: spacing between taps) or "
                         f"dilation_rate={dilation_rate!r} (the book: zeros between taps = dilation - 1), not both")
    return tuple(r + 1 for r in _ntuple(dilation_rate, nd, "dilation_rate", op, minimum=0))


def _padding(padding, kernel_size, stride, dilation, nd, op):
    """((lo, hi), ...) per spatial axis from an int, a tuple, 'valid' or 'same' (PyTorch's rules)."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{op}: padding='same' needs stride 1 (got stride={stride}); pad explicitly instead")
            # The extent d(K-1) is split with the extra element on the right, as PyTorch does.
            return tuple((d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(kernel_size, dilation))
        raise ValueError(f"{op}: padding must be an int, a tuple of ints, 'same' or 'valid', got {padding!r}")
    return tuple((p, p) for p in _ntuple(padding, nd, "padding", op, minimum=0))


_PAD_MODES = {"zeros": None, "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad_nd(x, pads, mode="zeros", value=0.0):
    """Pad the trailing len(pads) axes of `x` by ((lo, hi), ...).

    `mode`: 'zeros' (constant `value`), 'reflect', 'replicate' or 'circular' (§10.2.2 lists zero,
    circular and reflection padding). The non-constant modes gather with an index array, so their
    gradient adds the copies back (the engine's scatter-add)."""
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {', '.join(_PAD_MODES)}, got {mode!r}")
    pads = tuple(tuple(p) for p in pads)
    if not any(lo or hi for lo, hi in pads):
        return x
    lead = x.ndim - len(pads)
    if mode == "zeros":
        return x.pad(((0, 0),) * lead + pads, value=value)
    for i, (lo, hi) in enumerate(pads):
        n = x.shape[lead + i]
        if mode == "reflect" and max(lo, hi) >= n:
            raise ValueError(f"pad: reflect padding ({lo}, {hi}) must be smaller than the axis length {n}")
        if mode == "circular" and max(lo, hi) > n:
            raise ValueError(f"pad: circular padding ({lo}, {hi}) must not exceed the axis length {n}")
        if lo or hi:
            index = np.pad(np.arange(n), (lo, hi), mode=_PAD_MODES[mode])
            x = x[(slice(None),) * (lead + i) + (index,)]
    return x


def _check_input(x, nd, channels, op, expected="are expected"):
    """Accept (N, C, *spatial) or unbatched (C, *spatial); return the batched tensor and whether to squeeze."""
    x = tensor(x)
    if x.ndim not in (nd + 1, nd + 2):
        axes = {1: "L", 2: "H, W"}.get(nd, ", ".join(["S"] * nd))
        raise ShapeError(f"{op}: expected an input of shape (N, C, {axes}) or unbatched (C, {axes}), "
                         f"got shape {x.shape}")
    unbatched = x.ndim == nd + 1
    if unbatched:
        x = x.unsqueeze(0)
    if channels is not None and x.shape[1] != channels:
        raise ShapeError(f"{op}: the input has {x.shape[1]} channels (axis 1 of shape {x.shape}), "
                         f"but {channels} {expected}")
    return x, unbatched


def _window_shape(spatial, kernel_size, stride, pads, dilation, op):
    """Output sizes; an error names the axis when the kernel's extent does not fit the padded input."""
    out = []
    for axis, (n, k, s, (lo, hi), d) in enumerate(zip(spatial, kernel_size, stride, pads, dilation)):
        extent = d * (k - 1) + 1
        if n + lo + hi < extent:
            raise ShapeError(f"{op}: spatial axis {axis} has length {n} (padded {n + lo + hi}), shorter than the "
                             f"kernel's extent d(K-1)+1 = {extent}; use a smaller kernel or dilation, or more padding")
        out.append((n + lo + hi - extent) // s + 1)
    return tuple(out)


# ---- PyTorch's unfold / fold (im2col with padding) ---------------------------------------------------


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """PyTorch's `F.unfold` (any number of spatial axes): patches of x (N, C, *S) as columns
    (N, C·∏K, P), rows ordered channel-major then kernel offset."""
    x = tensor(x)
    nd = x.ndim - 2
    ks, st = _ntuple(kernel_size, nd, "kernel_size", "unfold"), _ntuple(stride, nd, "stride", "unfold")
    dil = _ntuple(dilation, nd, "dilation", "unfold")
    pads = _padding(padding, ks, st, dil, nd, "unfold")
    counts = _window_shape(x.shape[2:], ks, st, pads, dil, "unfold")
    cols = im2col(pad_nd(x, pads), ks, st, dil)                              # (C·∏K, N·P)
    return cols.reshape(cols.shape[0], x.shape[0], math.prod(counts)).swapaxes(0, 1)


def fold(cols, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """PyTorch's `F.fold`, the adjoint of `unfold`: add the columns (N, C·∏K, P) back into an
    (N, C, *output_size) array (overlapping patches sum)."""
    cols = tensor(cols)
    nd = len(output_size)
    ks, st = _ntuple(kernel_size, nd, "kernel_size", "fold"), _ntuple(stride, nd, "stride", "fold")
    dil = _ntuple(dilation, nd, "dilation", "fold")
    pads = _padding(padding, ks, st, dil, nd, "fold")
    padded = tuple(n + lo + hi for n, (lo, hi) in zip(output_size, pads))
    counts = _window_shape(output_size, ks, st, pads, dil, "fold")
    kprod = math.prod(ks)
    if cols.ndim != 3 or cols.shape[1] % kprod or cols.shape[2] != math.prod(counts):
        raise ShapeError(f"fold: columns of shape {cols.shape} do not fit output_size={tuple(output_size)} with kernel "
                         f"{ks}: expected (N, C*{kprod}, {math.prod(counts)})")
    n, rows, positions = cols.shape
    cols = cols.swapaxes(0, 1).reshape(rows, n * positions)                  # im2col's layout (C·∏K, N·P)
    out = col2im(cols, (n, rows // kprod) + padded, ks, st, dil)
    return out[(slice(None), slice(None)) + tuple(slice(lo, lo + size) for size, (lo, _) in zip(output_size, pads))]


def im2col(x, kernel_size, stride, dilation):
    """The im2col primitive on an already padded (N, C, *S) tensor: (C·∏K, N·∏O), one column per
    patch (example-major, then position), rows ordered (channel, kernel offset...)."""
    return apply(IM2COL, tensor(x), kernel_size=tuple(kernel_size), stride=tuple(stride), dilation=tuple(dilation))


def col2im(cols, shape, kernel_size, stride, dilation):
    """The col2im primitive: the adjoint of `im2col` for an input of full shape `shape` (N, C, *S)."""
    return apply(COL2IM, tensor(cols), shape=tuple(shape), kernel_size=tuple(kernel_size), stride=tuple(stride),
                 dilation=tuple(dilation))


# ---- convolution -------------------------------------------------------------------------------------


def _check_weight(weight, groups, nd, op, names):
    """A weight of shape (A, B/groups, K...) -- names = (A, B): (C_out, C_in) for a convolution,
    (C_in, C_out) for its transpose -- with `groups` a positive int dividing A."""
    weight = tensor(weight)
    first, second = names
    if weight.ndim != nd + 2:
        raise ShapeError(f"{op}: weight must have shape ({first}, {second}/groups, {', '.join(['K'] * nd)}), "
                         f"got {weight.shape}")
    if not isinstance(groups, int) or groups < 1 or weight.shape[0] % groups:
        raise ValueError(f"{op}: groups={groups!r} must be a positive int dividing {first}={weight.shape[0]}")
    return weight


def _conv(x, weight, bias, stride, padding, dilation, groups, dilation_rate, padding_mode, nd, op):
    weight = _check_weight(weight, groups, nd, op, ("C_out", "C_in"))
    c_out, c_in_group = weight.shape[:2]
    ks = weight.shape[2:]
    x, unbatched = _check_input(x, nd, c_in_group * groups, op,
                                f"are expected (weight {weight.shape} with groups={groups})")
    st = _ntuple(stride, nd, "stride", op)
    dil = _dilation(dilation, dilation_rate, nd, op)
    pads = _padding(padding, ks, st, dil, nd, op)
    counts = _window_shape(x.shape[2:], ks, st, pads, dil, op)
    n = x.shape[0]
    cols = im2col(pad_nd(x, pads, padding_mode), ks, st, dil)              # (C_in·∏K, N·P)
    if groups == 1:
        y = weight.reshape(c_out, -1) @ cols                                 # (C_out, N·P): ONE matmul
    else:  # one batched matmul over the groups: (G, C_out/G, C_in/G·∏K) @ (G, C_in/G·∏K, N·P)
        y = weight.reshape(groups, c_out // groups, -1) @ cols.reshape(groups, -1, cols.shape[-1])
    y = y.reshape((c_out, n) + counts).swapaxes(0, 1)                       # (N, C_out, *out), a view
    if bias is not None:
        y = y + tensor(bias).reshape((c_out,) + (1,) * nd)
    return y.squeeze(0) if unbatched else y


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *, dilation_rate=None,
           padding_mode="zeros"):
    """1-D convolution (cross-correlation, eqs. 10.3-10.4, §10.2.5) of x (N, C_in, L) with
    weight (C_out, C_in/groups, K): (N, C_out, ⌊(L + 2p − d(K−1) − 1)/s⌋ + 1).

    `padding`: int, 'valid' (0) or 'same' (stride 1). `dilation_rate` is the book's name (= dilation − 1).
    `padding_mode`: 'zeros', 'reflect', 'replicate' or 'circular'."""
    return _conv(x, weight, bias, stride, padding, dilation, groups, dilation_rate, padding_mode, 1, "conv1d")


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *, dilation_rate=None,
           padding_mode="zeros"):
    """2-D convolution (eq. 10.6, §10.3) of x (N, C_in, H, W) with weight (C_out, C_in/groups, K_h, K_w)."""
    return _conv(x, weight, bias, stride, padding, dilation, groups, dilation_rate, padding_mode, 2, "conv2d")


def _conv_transpose(x, weight, bias, stride, padding, output_padding, groups, dilation, dilation_rate, nd, op):
    """The adjoint of the strided convolution (fig. 10.13): weight^T @ x, then col2im (patches added back)."""
    weight = _check_weight(weight, groups, nd, op, ("C_in", "C_out"))
    c_in, c_out_group = weight.shape[:2]
    ks = weight.shape[2:]
    x, unbatched = _check_input(x, nd, c_in, op)
    st = _ntuple(stride, nd, "stride", op)
    dil = _dilation(dilation, dilation_rate, nd, op)
    pad = _ntuple(padding, nd, "padding", op, minimum=0)
    extra = _ntuple(output_padding, nd, "output_padding", op, minimum=0)
    if any(e >= max(s, d) for e, s, d in zip(extra, st, dil)):
        raise ValueError(f"{op}: output_padding={extra} must be smaller than stride={st} or dilation={dil} "
                         "on every axis")
    n, spatial = x.shape[0], x.shape[2:]
    full = tuple((m - 1) * s + d * (k - 1) + 1 for m, k, s, d in zip(spatial, ks, st, dil))
    out_size = tuple(f + e - 2 * p for f, e, p in zip(full, extra, pad))
    if any(o < 1 for o in out_size):
        raise ShapeError(f"{op}: padding={pad} crops the output of size {tuple(f + e for f, e in zip(full, extra))} "
                         "to nothing; use less padding")
    c_out = c_out_group * groups
    columns = x.reshape(n, c_in, -1).swapaxes(0, 1).reshape(c_in, -1)        # (C_in, N·P)
    if groups == 1:
        cols = weight.reshape(c_in, -1).T @ columns                          # (C_out·∏K, N·P): Wᵀ x
    else:
        w = weight.reshape(groups, c_in // groups, -1).swapaxes(1, 2)        # (G, C_out/G·∏K, C_in/G)
        cols = (w @ columns.reshape(groups, c_in // groups, -1)).reshape(c_out * math.prod(ks), -1)
    y = col2im(cols, (n, c_out) + full, ks, st, dil)
    if any(extra):  # output_padding: extra zeros at the end (they only fix the size, as in PyTorch)
        y = y.pad(((0, 0), (0, 0)) + tuple((0, e) for e in extra))
    if any(pad):
        y = y[(slice(None), slice(None)) + tuple(slice(p, p + o) for p, o in zip(pad, out_size))]
    if bias is not None:
        y = y + tensor(bias).reshape((c_out,) + (1,) * nd)
    return y.squeeze(0) if unbatched else y


def conv_transpose1d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1, *,
                     dilation_rate=None):
    """Transposed 1-D convolution (fig. 10.13), the adjoint of conv1d: x (N, C_in, L), weight
    (C_in, C_out/groups, K) -> (N, C_out, (L−1)s − 2p + d(K−1) + output_padding + 1), as PyTorch."""
    return _conv_transpose(x, weight, bias, stride, padding, output_padding, groups, dilation, dilation_rate, 1,
                           "conv_transpose1d")


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1, *,
                     dilation_rate=None):
    """Transposed 2-D convolution, the adjoint of conv2d: weight (C_in, C_out/groups, K_h, K_w)."""
    return _conv_transpose(x, weight, bias, stride, padding, output_padding, groups, dilation, dilation_rate, 2,
                           "conv_transpose2d")


# ---- modules -----------------------------------------------------------------------------------------


class _ConvNd(Module):
    """Shared constructor of the convolution layers: checks, parameters, initialisation."""

    _nd = 0
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 *, dilation_rate=None, dtype=None, rng=None, padding_mode="zeros", output_padding=0):
        super().__init__()
        op = type(self).__name__
        if padding_mode not in _PAD_MODES:
            raise ValueError(f"{op}: padding_mode must be one of {', '.join(_PAD_MODES)}, got {padding_mode!r}")
        if self._transposed and isinstance(padding, str):
            raise ValueError(f"{op}: padding must be an int or a tuple of ints, got {padding!r}")
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
            if not isinstance(value, int | np.integer) or value < 1:
                raise ValueError(f"{op}: {name} must be a positive integer, got {value!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{op}: groups={groups} must divide in_channels={in_channels} and "
                             f"out_channels={out_channels}")
        nd = self._nd
        self.in_channels, self.out_channels, self.groups = int(in_channels), int(out_channels), int(groups)
        self.padding_mode = padding_mode
        self.output_padding = _ntuple(output_padding, nd, "output_padding", op, minimum=0)
        self.kernel_size = _ntuple(kernel_size, nd, "kernel_size", op)
        self.stride = _ntuple(stride, nd, "stride", op)
        self.dilation = _dilation(dilation, dilation_rate, nd, op)
        self.padding = padding if isinstance(padding, str) else _ntuple(padding, nd, "padding", op, minimum=0)
        _padding(self.padding, self.kernel_size, self.stride, self.dilation, nd, op)  # checks 'same' vs stride
        shape = ((in_channels, out_channels // groups) if self._transposed else
                 (out_channels, in_channels // groups)) + self.kernel_size
        dtype = default_float_dtype(dtype)
        self.weight = Parameter(np.zeros(shape, dtype))
        self.bias = Parameter(np.zeros(out_channels, dtype)) if bias else None
        self.reset_parameters(rng)

    def reset_parameters(self, rng=None):
        """He-uniform weights U(±√(6/fan_in)) (eq. 7.30; fan_in = weight.shape[1]·∏K as PyTorch
        computes it, C_in/groups·K² for a 2-D conv, §10.5) and zero biases -- the same rule as `Linear`."""
        init.he_uniform_(self.weight, rng=rng)
        if self.bias is not None:
            init.zeros_(self.bias)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding not in (0, (0,) * self._nd):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._nd:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        return s + ("" if self.bias is not None else ", bias=False")


class _Conv(_ConvNd):
    _fn = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", *, dilation_rate=None, dtype=None, rng=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         dilation_rate=dilation_rate, dtype=dtype, rng=rng, padding_mode=padding_mode)

    def forward(self, x):
        return type(self)._fn(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups,
                              padding_mode=self.padding_mode)


class Conv1d(_Conv):
    """`Conv1d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
    bias=True, padding_mode='zeros', *, dilation_rate=None, dtype=None, rng=None)` (§10.2, eq. 10.4).

    weight (C_out, C_in/groups, K), bias (C_out,), as PyTorch. The MNIST-1D CNN of fig. 10.7 is
    Conv1d(1, 15, 3, stride=2) → Conv1d(15, 15, 3, stride=2) → Conv1d(15, 15, 3, stride=2) with
    ReLUs, no padding, then Flatten and Linear(60, 10): 2,050 parameters.
    """
    _nd = 1
    _fn = staticmethod(conv1d)


class Conv2d(_Conv):
    """`Conv2d(in_channels, out_channels, kernel_size, ...)`, same arguments as Conv1d (§10.3, eq. 10.6):
    weight (C_out, C_in/groups, K_h, K_w)."""
    _nd = 2
    _fn = staticmethod(conv2d)


class _ConvTranspose(_ConvNd):
    _fn = None
    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, *, dilation_rate=None, dtype=None, rng=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         dilation_rate=dilation_rate, dtype=dtype, rng=rng, output_padding=output_padding)

    def forward(self, x):
        return type(self)._fn(x, self.weight, self.bias, self.stride, self.padding, self.output_padding, self.groups,
                              self.dilation)


class ConvTranspose1d(_ConvTranspose):
    """`ConvTranspose1d(in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
    groups=1, bias=True, dilation=1)` (fig. 10.13): weight (C_in, C_out/groups, K), as PyTorch."""
    _nd = 1
    _fn = staticmethod(conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    """`ConvTranspose2d(...)`, same arguments as ConvTranspose1d (fig. 10.13; the decoders of figs. 10.19,
    11.10): weight (C_in, C_out/groups, K_h, K_w)."""
    _nd = 2
    _fn = staticmethod(conv_transpose2d)
