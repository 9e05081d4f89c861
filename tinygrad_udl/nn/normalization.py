"""Normalisation layers (§11.4, fig. 11.14): batch, layer, group and instance norm.

All four standardise h ← (h − m)/s over some axes, then apply a learned per-channel (or
per-feature) scale γ (`weight`) and offset δ (`bias`) (eqs. 11.7-11.9). On an (N, C, H, W)
batch the statistics are taken over (fig. 11.14):

    BatchNorm    (N, H, W) per channel          LayerNorm  the trailing `normalized_shape` axes
    GroupNorm    (C/G, H, W) per example/group  InstanceNorm (H, W) per example and channel

Batch norm is a composition of engine operations (P11.5's closed form for its backward pass is a
test oracle); layer, group and instance norm standardise with one primitive, `standardize`, whose
VJP is that closed form (two reductions instead of a pass back through mean, variance and
division), written so that it differentiates again.

**ε convention** (docs/conventions.md, "BatchNorm"): `eps_mode="torch"` (default; P11.5 and PyTorch)
divides by √(s² + ε); `eps_mode="book"` divides by s + ε as eq. 11.8 prints it. They agree only
at ε = 0. s² is the biased variance (divisor = number of values) in both.

**Test time** (§11.4): PyTorch keeps running averages of the batch statistics (momentum 0.1,
running variance unbiased); the book freezes statistics computed over the whole training set.
Both are here: `running_mean` / `running_var` buffers are updated while training and used in
eval mode, and `calibrate_batchnorm(model, batches)` (or `bn.calibrate(batches)`) replaces them
by the exact whole-training-set mean and biased variance.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from ..autograd.graph import no_grad
from ..autograd.rules import primitive
from ..autograd.samples import inputs, normal
from ..autograd.tensor import ShapeError, Tensor, apply, tensor
from .module import Module, Parameter, default_float_dtype

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "calibrate_batchnorm", "BatchNorm1d",
           "BatchNorm2d", "LayerNorm", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d"]

_EPS_MODES = ("torch", "book")


def _check_eps(eps, eps_mode, op):
    if eps_mode not in _EPS_MODES:
        raise ValueError(f"{op}: eps_mode must be 'torch' (divide by √(var + eps), PyTorch) or 'book' "
                         f"(divide by std + eps, eq. 11.8), got {eps_mode!r}")
    if not eps >= 0:
        raise ValueError(f"{op}: eps must be >= 0, got {eps}")


def _divide_by_scale(centred, var, eps, eps_mode):
    """(h − m)/√(s² + ε) (torch) or (h − m)/(s + ε) (book, eq. 11.8); `var` is a Tensor."""
    scale = (var + eps).sqrt() if eps_mode == "torch" else var.sqrt() + eps
    return centred / scale


def _standardize(x, axes, eps, eps_mode):
    """Standardise x over `axes` with its own (biased) statistics; also returns the mean and variance."""
    mean = x.mean(axis=axes, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=axes, keepdims=True)
    return _divide_by_scale(centred, var, eps, eps_mode), mean, var


def _normalized(x, axes, eps, eps_mode):
    """x standardised over `axes`: one primitive in the torch ε mode, the composition otherwise."""
    if eps_mode == "torch" and x.dtype.kind == "f":
        return apply(STANDARDIZE, x, axes=axes, eps=float(eps))
    return _standardize(x, axes, eps, eps_mode)[0]


def _centred_and_inverse_scale(o, x, axes, eps):
    """x − m and 1/√(s² + ε) over `axes`, means taken as sums times 1/n. The forward pass and the
    VJP compute them with these same operations, so a compiled step can hand the forward's
    1/√(s² + ε) to the VJP instead of computing it again (compile/kernels.py): the same numbers."""
    n = math.prod(x.shape[a] for a in axes)
    centred = x - o.sum(x, axis=axes, keepdims=True) * (1.0 / n)
    return centred, (o.sum(centred * centred, axis=axes, keepdims=True) * (1.0 / n) + eps) ** -0.5


def _standardize_forward(o, x, axes, eps):
    centred, inv_scale = _centred_and_inverse_scale(o, x, axes, eps)
    centred *= inv_scale   # in place: `centred` is this function's own array
    return centred


def _standardize_vjp(o, g, out, x, axes, eps):
    """dx = (g − mean(g) − y·mean(g·y)) / √(s² + ε) for y = (x − m)/√(s² + ε): the closed form of
    P11.5, in two reductions instead of back through the mean, the variance and the division.
    Written against `o` with the statistics recomputed from x, so it differentiates again."""
    n = math.prod(x.shape[a] for a in axes)
    _, inv_scale = _centred_and_inverse_scale(o, x, axes, eps)
    g_mean = o.sum(g, axis=axes, keepdims=True) * (1.0 / n)
    gy_mean = o.sum(g * out, axis=axes, keepdims=True) * (1.0 / n)
    return (g - g_mean - out * gy_mean) * inv_scale


# (x − mean) / √(var + ε) over `axes` as one primitive: layer, group and instance norm (ch. 11-12).
STANDARDIZE = primitive("standardize", _standardize_forward, _standardize_vjp,
                        sample=inputs(normal(3, 4, 5), axes=(1, 2), eps=1e-5))


def _affine(x, weight, bias, shape):
    if weight is not None:
        x = x * tensor(weight).reshape(shape)
    if bias is not None:
        x = x + tensor(bias).reshape(shape)
    return x


# ---- batch norm ---------------------------------------------------------------------------------------


def batch_norm(x, running_mean=None, running_var=None, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5, eps_mode="torch"):
    """Batch normalisation of x (N, C, ...) per channel C (eqs. 11.7-11.9), PyTorch's `F.batch_norm`.

    training=True: normalise with the batch's mean and biased variance and, if running_mean /
    running_var arrays are given, update them in place: r ← (1 − momentum)·r + momentum·batch
    (with the unbiased batch variance, as PyTorch). training=False: normalise with the running
    statistics (required). `eps_mode` as in the module docstring.
    """
    op = "batch_norm"
    _check_eps(eps, eps_mode, op)
    x = tensor(x)
    if x.ndim < 2:
        raise ShapeError(f"{op}: expected an input (N, C, ...) with a channel axis 1, got shape {x.shape}")
    c = x.shape[1]
    shape = (1, c) + (1,) * (x.ndim - 2)
    axes = (0,) + tuple(range(2, x.ndim))
    for name, stat in (("running_mean", running_mean), ("running_var", running_var)):
        if stat is not None and np.shape(stat) != (c,):
            raise ShapeError(f"{op}: {name} has shape {np.shape(stat)} but the input has {c} channels "
                             f"(axis 1 of {x.shape})")
    if training:
        count = x.size // c
        if count < 2:
            raise ValueError(f"{op}: training needs more than one value per channel to estimate a variance; the "
                             f"input {x.shape} has {count}. Use a larger batch, or eval() mode")
        out, mean, var = _standardize(x, axes, eps, eps_mode)
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * mean.data.reshape(c)
        if running_var is not None:
            running_var *= 1 - momentum
            running_var += momentum * var.data.reshape(c) * (count / (count - 1))
    else:
        if running_mean is None or running_var is None:
            raise ValueError(f"{op}: training=False normalises with running_mean and running_var; pass both, "
                             "or training=True to use the batch's statistics")
        mean = Tensor._wrap(np.asarray(running_mean, dtype=x.dtype).reshape(shape))
        var = Tensor._wrap(np.asarray(running_var, dtype=x.dtype).reshape(shape))
        out = _divide_by_scale(x - mean, var, eps, eps_mode)
    return _affine(out, weight, bias, shape)


class _Welford:
    """Exact per-channel mean and biased variance over many batches (Chan et al.'s pairwise
    merge of counts, means and sums of squared deviations, in float64)."""

    def __init__(self, clock):
        self.clock, self.first_call = clock, None
        self.count, self.mean, self.m2 = 0, 0.0, 0.0

    def add(self, data):
        if self.first_call is None:
            self.first_call = next(self.clock)
        axes = (0,) + tuple(range(2, data.ndim))
        data = data.astype(np.float64)
        n = data.size // data.shape[1]
        mean = data.mean(axis=axes)
        m2 = ((data - mean.reshape((1, -1) + (1,) * (data.ndim - 2))) ** 2).sum(axis=axes)
        total = self.count + n
        delta = mean - self.mean
        self.mean = self.mean + delta * (n / total)
        self.m2 = self.m2 + m2 + delta ** 2 * (self.count * n / total)
        self.count = total

    def variance(self):
        return self.m2 / self.count


class _BatchNorm(Module):
    _input_ndims = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, *,
                 eps_mode="torch", dtype=None):
        super().__init__()
        op = type(self).__name__
        if not isinstance(num_features, int | np.integer) or num_features < 1:
            raise ValueError(f"{op}: num_features must be a positive integer, got {num_features!r}")
        _check_eps(eps, eps_mode, op)
        if momentum is not None and not 0 <= momentum <= 1:
            raise ValueError(f"{op}: momentum must lie in [0, 1] (or be None for a cumulative average), got {momentum}")
        self.num_features, self.eps, self.momentum, self.eps_mode = int(num_features), float(eps), momentum, eps_mode
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = default_float_dtype(dtype)
        # γ = 1 and δ = 0 at the start (fig. 11.6: "BN first in each block (γ=1, δ=0)").
        self.weight = Parameter(np.ones(num_features, dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        # Calibration state (see calibrate_batchnorm): None = normal use; otherwise the inputs are
        # accumulated exactly while a `_collector` is set, and the layer normalises with its running
        # statistics ("collect", "frozen") or with the batch's ("collect_batch").
        self._stat_mode = None
        self._collector = None

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean = np.zeros_like(self.running_mean)
            self.running_var = np.ones_like(self.running_var)
            self.num_batches_tracked = np.array(0, dtype=np.int64)

    def forward(self, x):
        x = tensor(x)
        if x.ndim not in self._input_ndims:
            ndims = " or ".join(map(str, self._input_ndims))
            raise ShapeError(f"{type(self).__name__}: expected an input with {ndims} axes (N, C, ...), "
                             f"got shape {x.shape}")
        if self._collector is not None:
            self._collector.add(x.data)
        if self._stat_mode is not None:  # inside calibrate_batchnorm: nothing is updated
            use_running, update = self._stat_mode != "collect_batch", False
        else:
            use_running = not self.training and self.track_running_stats
            update = self.training and self.track_running_stats
        if use_running:
            return batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, False, eps=self.eps,
                              eps_mode=self.eps_mode)
        momentum = self.momentum
        if update:
            self.num_batches_tracked = self.num_batches_tracked + 1
            if momentum is None:  # cumulative moving average, as PyTorch's momentum=None
                momentum = 1.0 / float(self.num_batches_tracked)
        return batch_norm(x, self.running_mean if update else None, self.running_var if update else None,
                          self.weight, self.bias, True, momentum if momentum is not None else 0.0, self.eps,
                          self.eps_mode)

    def calibrate(self, batches):
        """Set the running statistics to the exact mean and biased variance of this layer's inputs
        over all `batches` (arrays, Tensors, or (x, ...) tuples), as the book's test time (§11.4)."""
        return calibrate_batchnorm(self, batches)

    def extra_repr(self):
        s = f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"
        if self.eps_mode != "torch":
            s += f", eps_mode={self.eps_mode!r}"
        return s + ("" if self.affine else ", affine=False")


class BatchNorm1d(_BatchNorm):
    """`BatchNorm1d(num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, *,
    eps_mode='torch', dtype=None)`: batch norm of (N, C) or (N, C, L) over N (and L), per channel
    (eqs. 11.7-11.9). Parameters weight γ, bias δ; buffers running_mean, running_var,
    num_batches_tracked -- PyTorch's names. `eps_mode='book'` divides by s + ε (eq. 11.8)."""
    _input_ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """`BatchNorm2d(num_features, ...)`: batch norm of (N, C, H, W) over (N, H, W) per channel (fig. 11.14a)."""
    _input_ndims = (4,)


def _batch_of(batch):
    """The network input in a batch: the batch itself, or the first item of a tuple / list (x, y)."""
    return batch[0] if isinstance(batch, tuple | list) else batch


def calibrate_batchnorm(model, batches, exact=True):
    """Freeze whole-training-set statistics into every BatchNorm of `model` (§11.4).

    `batches` is an iterable of network inputs (arrays or Tensors) or of (x, y, ...) tuples, such
    as a `DataLoader` over the training set; it is iterated once per BatchNorm layer when
    `exact=True`, so re-iterable (a list or a loader, not a generator). Each layer's
    running_mean / running_var become the exact mean and *biased* variance (the book's s²) of
    its inputs over all batches. With `exact=True` the layers are calibrated one after another
    in the order the forward pass reaches them, every earlier layer already normalising with its
    frozen statistics, so each layer's statistics are those of the inputs it sees at test time.
    `exact=False` makes one pass in which every layer normalises with batch statistics (the
    practice of PyTorch's `swa_utils.update_bn`): cheaper, approximate for deeper layers.
    Nothing is recorded for gradients; the model's train/eval mode is left as it was.
    Returns the model.
    """
    layers = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    if not layers:
        raise ValueError(f"calibrate_batchnorm: {type(model).__name__} contains no BatchNorm layer")
    untracked = [m for m in layers if not m.track_running_stats]
    if untracked:
        raise ValueError("calibrate_batchnorm: a BatchNorm with track_running_stats=False has no running statistics "
                         "to set")
    if exact and iter(batches) is batches:
        raise TypeError("calibrate_batchnorm: exact=True iterates over the batches once per BatchNorm layer; pass a "
                        "list or a DataLoader rather than a generator (or use exact=False)")

    def run_pass(collecting, mode):
        """Collect exact statistics for `collecting`; return them in the order the forward pass reached them."""
        clock = itertools.count()
        for m in collecting:
            m._stat_mode, m._collector = mode, _Welford(clock)
        with no_grad():
            for batch in batches:
                model(_batch_of(batch))
        for m in collecting:
            if not m._collector.count:
                raise ValueError(f"calibrate_batchnorm: no batch reached a {type(m).__name__}; are the batches empty?")
            m.running_mean = m._collector.mean.astype(m.running_mean.dtype)
            m.running_var = m._collector.variance().astype(m.running_var.dtype)
        order = sorted(collecting, key=lambda m: m._collector.first_call)
        for m in collecting:
            m._stat_mode, m._collector = "frozen", None
        return order

    try:
        if not exact:
            run_pass(layers, "collect_batch")
        pending = list(layers) if exact else []
        while pending:
            # Every pending layer collects; the first one the forward pass reaches sees inputs that
            # depend on frozen layers only, so its statistics are final. The others are redone.
            pending.remove(run_pass(pending, "collect")[0])
    finally:
        for m in layers:
            m._stat_mode, m._collector = None, None
    return model


# ---- layer, group and instance norm ---------------------------------------------------------------------


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5, eps_mode="torch"):
    """Normalise over the trailing `normalized_shape` axes of each example (or token, ch. 12)."""
    _check_eps(eps, eps_mode, "layer_norm")
    x = tensor(x)
    shape = tuple(normalized_shape) if isinstance(normalized_shape, tuple | list) else (int(normalized_shape),)
    k = len(shape)
    if x.shape[x.ndim - k:] != shape or x.ndim < k:
        raise ShapeError(f"layer_norm: the input's trailing axes {x.shape[max(x.ndim - k, 0):]} (shape {x.shape}) must "
                         f"equal normalized_shape={shape}")
    out = _normalized(x, tuple(range(x.ndim - k, x.ndim)), eps, eps_mode)
    return _affine(out, weight, bias, shape)


def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5, eps_mode="torch"):
    """Normalise x (N, C, ...) over each group of C/num_groups channels and all positions (fig. 11.14c)."""
    _check_eps(eps, eps_mode, "group_norm")
    x = tensor(x)
    if x.ndim < 2 or x.shape[1] % num_groups:
        raise ShapeError(f"group_norm: the input (N, C, ...) has shape {x.shape}; num_groups={num_groups} "
                         "must divide C")
    n, c = x.shape[:2]
    grouped = x.reshape(n, num_groups, -1)
    out = _normalized(grouped, (2,), eps, eps_mode)
    return _affine(out.reshape(x.shape), weight, bias, (1, c) + (1,) * (x.ndim - 2))


def instance_norm(x, weight=None, bias=None, eps=1e-5, eps_mode="torch"):
    """Normalise x (N, C, ...) over the positions of each example and channel (fig. 11.14d)."""
    _check_eps(eps, eps_mode, "instance_norm")
    x = tensor(x)
    if x.ndim < 3:
        raise ShapeError(f"instance_norm: expected (N, C, L) or (N, C, H, W), got shape {x.shape}")
    out = _normalized(x, tuple(range(2, x.ndim)), eps, eps_mode)
    return _affine(out, weight, bias, (1, x.shape[1]) + (1,) * (x.ndim - 2))


class LayerNorm(Module):
    """`LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, *, eps_mode='torch')`.

    Normalises over the trailing axes `normalized_shape`: (C, H, W) per example as in fig. 11.14b,
    or each token's D features in a transformer (`LayerNorm(D)`, §12.4). weight / bias have shape
    normalized_shape (PyTorch)."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, *, eps_mode="torch",
                 dtype=None):
        super().__init__()
        _check_eps(eps, eps_mode, "LayerNorm")
        shape = tuple(normalized_shape) if isinstance(normalized_shape, tuple | list) else (int(normalized_shape),)
        if not shape or any(not isinstance(n, int | np.integer) or n < 1 for n in shape):
            raise ValueError(f"LayerNorm: normalized_shape must be positive integers, got {normalized_shape!r}")
        self.normalized_shape, self.eps, self.eps_mode = tuple(int(n) for n in shape), float(eps), eps_mode
        dtype = default_float_dtype(dtype)
        self.weight = Parameter(np.ones(shape, dtype)) if elementwise_affine else None
        self.bias = Parameter(np.zeros(shape, dtype)) if elementwise_affine and bias else None

    def forward(self, x):
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps, self.eps_mode)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}"


class GroupNorm(Module):
    """`GroupNorm(num_groups, num_channels, eps=1e-5, affine=True, *, eps_mode='torch')` (fig. 11.14c):
    per-channel weight / bias of shape (num_channels,)."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, *, eps_mode="torch", dtype=None):
        super().__init__()
        _check_eps(eps, eps_mode, "GroupNorm")
        if num_groups < 1 or num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_groups={num_groups} must be positive and divide "
                             f"num_channels={num_channels}")
        self.num_groups, self.num_channels, self.eps, self.eps_mode = num_groups, num_channels, float(eps), eps_mode
        dtype = default_float_dtype(dtype)
        self.weight = Parameter(np.ones(num_channels, dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_channels, dtype)) if affine else None

    def forward(self, x):
        x = tensor(x)
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ShapeError(f"GroupNorm: expected {self.num_channels} channels on axis 1, got shape {x.shape}")
        return group_norm(x, self.num_groups, self.weight, self.bias, self.eps, self.eps_mode)

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}"


class _InstanceNorm(Module):
    _input_ndim = 0

    def __init__(self, num_features, eps=1e-5, affine=False, *, eps_mode="torch", dtype=None):
        super().__init__()
        _check_eps(eps, eps_mode, type(self).__name__)
        self.num_features, self.eps, self.eps_mode = int(num_features), float(eps), eps_mode
        dtype = default_float_dtype(dtype)
        self.weight = Parameter(np.ones(num_features, dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype)) if affine else None

    def forward(self, x):
        x = tensor(x)
        if x.ndim != self._input_ndim or x.shape[1] != self.num_features:
            raise ShapeError(f"{type(self).__name__}: expected an input with {self._input_ndim} axes and "
                             f"{self.num_features} channels on axis 1, got shape {x.shape}")
        return instance_norm(x, self.weight, self.bias, self.eps, self.eps_mode)

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, affine={self.weight is not None}"


class InstanceNorm1d(_InstanceNorm):
    """`InstanceNorm1d(num_features, eps=1e-5, affine=False)`: (N, C, L) normalised over L per (n, c).
    PyTorch's defaults (affine=False); no running statistics (track_running_stats is not offered)."""
    _input_ndim = 3


class InstanceNorm2d(_InstanceNorm):
    """`InstanceNorm2d(num_features, eps=1e-5, affine=False)`: (N, C, H, W) over (H, W) (fig. 11.14d)."""
    _input_ndim = 4
