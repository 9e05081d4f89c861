"""Kernels: a primitive's forward or VJP written into a buffer the compiled program owns.

Eager mode allocates a fresh array for every result. A compiled replay knows every shape in
advance, so for the operations that dominate training steps it can write each result into a
buffer allocated once (numpy's `out=`): a kernel here is the *same* numpy operations as the
primitive's forward or VJP, in the same order, on the same dtypes -- only the memory differs, so
the numbers are bit for bit the eager ones (tests/compile/test_kernels.py checks every kernel
against its primitive on the primitive's own samples).

A kernel is registered for a tag -- a primitive's name for its forward, "name.vjpI" for the VJP of
input I, "unbroadcast" for the backward pass's sum back to an input's shape -- and receives a
`Site` (the values this call had while tracing). It returns lines of code, or None when the
traced call falls outside what it covers (the call then runs as in eager mode). In the lines,
`{0}`, `{1}`, ... are the call's positional arguments (for a VJP: g, out, then the primitive's
inputs), `{name}` its keyword arguments, `{out}` the result's buffer, `{t0}`, `{t1}`, ... scratch
buffers asked for with `site.scratch(shape, dtype)`, `{s0}`, ... buffers a forward kernel fills for
its VJP kernels (`site.saved`; the VJP kernel finds them as `site.forward_saved`, `{f0}`, ...) and
`{k0}`, ... constants (`site.constant`).

Adding a kernel is optional (an operation without one just allocates): write the primitive's
maths again with `out=`, keeping each operation and its order, and add the tag below.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.backends import broadcast_axes, reduced_shape

KERNELS = {}   # tag -> function(site) -> list of code lines, or None


def kernel(*tags):
    def register(fn):
        for tag in tags:
            if tag in KERNELS:
                raise ValueError(f"a kernel for {tag!r} is already registered")
            KERNELS[tag] = fn
        return fn
    return register


class Site:
    """One recorded call as a kernel sees it: `args` / `kwargs` are the values of this trace (arrays
    for the tensors' data), `out` the eager result; for a VJP, `forward_saved` the placeholders of
    what the forward's kernel saved (`saved`), or None."""

    def __init__(self, tag, args, kwargs, out, forward_saved=None):
        self.tag, self.args, self.kwargs, self.out = tag, args, kwargs, out
        self.scratch_specs, self.constants, self.saved_specs = [], [], []
        self.forward_saved = forward_saved

    def scratch(self, shape, dtype):
        """A placeholder for a temporary buffer of this shape and dtype (C order)."""
        self.scratch_specs.append(np.empty(shape, dtype))
        return "{t%d}" % (len(self.scratch_specs) - 1)

    def saved(self, shape, dtype):
        """A placeholder for a buffer a forward kernel fills for its VJP kernels: it lives as long
        as the forward's result, and a VJP kernel of the same call finds it in `forward_saved`."""
        self.saved_specs.append(np.empty(shape, dtype))
        return "{s%d}" % (len(self.saved_specs) - 1)

    def constant(self, value):
        """A placeholder for an array the kernel reads and never writes, made once."""
        self.constants.append(value)
        return "{k%d}" % (len(self.constants) - 1)

    def arrays(self, *values):
        """Whether all of these are ndarrays of the result's dtype (kernels write into that dtype,
        so every operation must produce it, as it did in eager mode)."""
        return all(isinstance(v, np.ndarray) and v.dtype == self.out.dtype for v in values)


def lines_for(tag, site):
    """The kernel's lines for this call, or None (no kernel, or not one that covers it)."""
    fn = KERNELS.get(tag)
    if fn is None or not isinstance(site.out, np.ndarray) or not _dense(site.out):
        return None
    return fn(site)


def _dense(a):
    """Buffers are made with `np.empty_like` of the eager result, which keeps its layout when it is
    contiguous in some order of its axes (what numpy's operations return)."""
    return a.flags.c_contiguous or a.flags.f_contiguous or np.empty_like(a).strides == a.strides


def _rows(a, name):
    """`_rows` of nn/linear.py as code: all leading axes as one, (..., k) -> (n, k)."""
    return name if a.ndim == 2 else f"{name}.reshape(-1, {a.shape[-1]})"


# ---- elementwise -----------------------------------------------------------------------------------

_UFUNCS = {"add": "np.add", "sub": "np.subtract", "mul": "np.multiply", "div": "np.divide"}


@kernel(*_UFUNCS)
def _binary(site):
    x, y = site.args
    if np.shape(site.out) != np.broadcast_shapes(np.shape(x), np.shape(y)):
        return None
    return [f"{_UFUNCS[site.tag]}({{0}}, {{1}}, out={{out}})"]


@kernel("sub.vjp1", "neg", "neg.vjp0")
def _negative(site):   # -g, -x
    return ["np.negative({0}, out={out})"]


@kernel("mul.vjp0")
def _mul_vjp0(site):   # g * y
    return ["np.multiply({0}, {3}, out={out})"]


@kernel("mul.vjp1")
def _mul_vjp1(site):   # g * x
    return ["np.multiply({0}, {2}, out={out})"]


@kernel("div.vjp0")
def _div_vjp0(site):   # g / y
    return ["np.divide({0}, {3}, out={out})"]


@kernel("div.vjp1")
def _div_vjp1(site):   # -g * out / y
    g, out, x, y = site.args
    if not site.arrays(g, out):
        return None
    return ["np.negative({0}, out={out})", "np.multiply({out}, {1}, out={out})", "np.divide({out}, {3}, out={out})"]


@kernel("exp", "tanh")
def _unary(site):
    return [f"np.{site.tag}({{0}}, out={{out}})"]


@kernel("exp.vjp0")
def _exp_vjp(site):    # g * out
    return ["np.multiply({0}, {1}, out={out})"]


@kernel("tanh.vjp0")
def _tanh_vjp(site):   # g * (1 - out * out)
    g, out, _ = site.args
    if not site.arrays(g, out):
        return None
    return ["np.multiply({1}, {1}, out={out})", "np.subtract(1, {out}, out={out})", "np.multiply({0}, {out}, out={out})"]


@kernel("relu")
def _relu(site):       # maximum(x, 0)
    return ["np.maximum({0}, 0, out={out})"]


@kernel("relu.vjp0")
def _relu_vjp(site):   # g * (x > 0)
    mask = site.scratch(site.args[2].shape, bool)
    return [f"np.greater({{2}}, 0, out={mask})", f"np.multiply({{0}}, {mask}, out={{out}})"]


# ---- reductions and their gradients ----------------------------------------------------------------

@kernel("sum")
def _sum(site):        # x.sum(axis=axis, keepdims=keepdims)
    return ["np.add.reduce({0}, axis={axis}, keepdims={keepdims}, out={out})"]


@kernel("sum.vjp0")
def _sum_vjp(site):    # expand_to(g, x, axis, keepdims): the gradient copied to every reduced position
    g, _, x = site.args
    shape = reduced_shape(x.shape, site.kwargs["axis"], site.kwargs["keepdims"])
    return ["{out}[...] = {0}" if shape is None else f"{{out}}[...] = {{0}}.reshape({shape!r})"]


@kernel("unbroadcast")
def _unbroadcast(site):  # g.sum(axis=<broadcast axes>).reshape(like.shape)
    g, like = site.args
    if g.shape == like.shape:
        return None
    axes = broadcast_axes(g.shape, like.shape)
    summed = tuple(n for i, n in enumerate(g.shape) if i not in axes)
    return [f"np.add.reduce({{0}}, axis={axes!r}, out={{out}}.reshape({summed!r}))"]


# ---- products ----------------------------------------------------------------------------------------

@kernel("matmul")
def _matmul(site):
    x, y = site.args
    return ["np.matmul({0}, {1}, out={out})"] if x.ndim >= 2 and y.ndim >= 2 else None


def _batched(site):
    """A matmul VJP of stacks of matrices with the same batch shape: rules._matmul_vjp is then the
    plain product with the other operand's matrices transposed (no layout switch: that is for 2-D
    operands, and no sum over broadcast batch axes)."""
    g, _, x, y = site.args
    return x.ndim > 2 and x.shape[:-2] == y.shape[:-2] == g.shape[:-2]


@kernel("matmul.vjp0")
def _matmul_dx(site):   # g @ y^T
    return ["np.matmul({0}, {3}.swapaxes(-1, -2), out={out})"] if _batched(site) else None


@kernel("matmul.vjp1")
def _matmul_dy(site):   # x^T @ g
    return ["np.matmul({2}.swapaxes(-1, -2), {0}, out={out})"] if _batched(site) else None


@kernel("linear")
def _linear(site):     # matmul(rows(x), w.T), then += b in place (nn/linear.py)
    x, w, b = site.args
    if w.ndim != 2 or np.result_type(site.out, b) != site.out.dtype:
        return None
    return [f"np.matmul({_rows(x, '{0}')}, {{1}}.T, out={_rows(site.out, '{out}')})", "{out} += {2}"]


@kernel("linear.vjp0")
def _linear_dx(site):  # matmul(rows(g), w), shaped as x
    g, _, x, w, _ = site.args
    return [f"np.matmul({_rows(g, '{0}')}, {{3}}, out={_rows(x, '{out}')})"] if w.ndim == 2 else None


@kernel("linear.vjp1")
def _linear_dw(site):  # matmul(rows(g).T, rows(x))
    g, _, x, _, _ = site.args
    return [f"np.matmul({_rows(g, '{0}')}.T, {_rows(x, '{2}')}, out={{out}})"]


@kernel("linear.vjp2")
def _linear_db(site):  # rows(g).sum(axis=0)
    return [f"np.add.reduce({_rows(site.args[0], '{0}')}, axis=0, out={{out}})"]


@kernel("where")
def _where(site):      # where(cond, a, b): b everywhere, then a where cond holds
    a, b = site.args
    return ["np.copyto({out}, {1})", "np.copyto({out}, {0}, where={cond})"] if site.arrays(a, b) else None


@kernel("where.vjp0")
def _where_vjp_a(site):   # g * cond
    return ["np.multiply({0}, {cond}, out={out})"]


@kernel("where.vjp1")
def _where_vjp_b(site):   # g * ~cond
    not_cond = site.scratch(np.shape(site.kwargs["cond"]), bool)
    return [f"np.logical_not({{cond}}, out={not_cond})", f"np.multiply({{0}}, {not_cond}, out={{out}})"]


@kernel("softmax")
def _softmax(site):    # e = exp(x - shift(x)), e / sum(e) along the axis (rules._softmax)
    (x,), axis = site.args, site.kwargs["axis"]
    if x.dtype.kind != "f" or not isinstance(axis, int) or not site.arrays(x):
        return None
    axis %= x.ndim
    kept = x.shape[:axis] + (1,) + x.shape[axis + 1:]
    sums = site.scratch(kept, x.dtype)
    lines, _ = _shifted_lines(site, x.shape, x.dtype, axis, "{out}")
    return lines + ["np.exp({out}, out={out})", f"np.add.reduce({{out}}, axis={axis}, keepdims=True, out={sums})",
                    f"np.divide({{out}}, {sums}, out={{out}})"]


@kernel("masked_softmax")
def _masked_softmax(site):   # softmax over the allowed entries, zero rows where none is (nn/attention.py)
    (x,), axis, blocked = site.args, site.kwargs["axis"], site.kwargs["blocked"]
    out = site.out
    if x.dtype.kind != "f" or not isinstance(axis, int) or not site.arrays(x):
        return None
    axis %= out.ndim
    kept = out.shape[:axis] + (1,) + out.shape[axis + 1:]
    sums, empty = site.scratch(kept, out.dtype), site.scratch(kept, bool)
    lines, source = [], "{0}"
    if blocked is not None:   # x, with -inf where blocked
        lines, source = ["np.copyto({out}, {0})", "np.copyto({out}, -np.inf, where={blocked})"], "{out}"
    shifted, _ = _shifted_lines(site, out.shape, out.dtype, axis, "{out}", name=source)
    return lines + shifted + [
        "np.exp({out}, out={out})", f"np.add.reduce({{out}}, axis={axis}, keepdims=True, out={sums})",
        f"np.equal({sums}, 0, out={empty})", f"np.copyto({sums}, 1, where={empty})",   # rows with no allowed entry
        f"np.divide({{out}}, {sums}, out={{out}})"]


@kernel("softmax.vjp0", "masked_softmax.vjp0")
def _softmax_vjp(site):   # out * (g - sum(g * out)) along the axis
    g, out, x = site.args
    axis = site.kwargs["axis"]
    if not isinstance(axis, int) or not site.arrays(g, out):
        return None
    axis %= x.ndim
    sums = site.scratch(x.shape[:axis] + (1,) + x.shape[axis + 1:], x.dtype)
    return ["np.multiply({0}, {1}, out={out})", f"np.add.reduce({{out}}, axis={axis}, keepdims=True, out={sums})",
            f"np.subtract({{0}}, {sums}, out={{out}})", "np.multiply({1}, {out}, out={out})"]


# ---- layer norm's standardisation (nn/normalization.py) ---------------------------------------------

def _kept(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


@kernel("standardize")
def _standardize(site):   # (x - m) * inv_scale, nn/normalization._centred_and_inverse_scale
    (x,), axes = site.args, site.kwargs["axes"]
    if not site.arrays(x) or x.dtype.kind != "f":
        return None
    axes_set = {a % x.ndim for a in axes}
    kept = _kept(x.shape, axes_set)
    inv_scale = site.saved(kept, x.dtype)   # the VJP's 1/sqrt(var + eps): the same operations on x
    squares = site.scratch(x.shape, x.dtype)
    return [*_statistics_lines(site, "{0}", "{out}", squares, inv_scale, kept, axes_set),
            f"np.multiply({{out}}, {inv_scale}, out={{out}})"]


def _mean_lines(mean, of, x, axes_set):
    """mean = sum(of) * (1/n) over the axes, as `o.sum(...) * (1.0 / n)` computes it."""
    share = repr(1.0 / math.prod(x.shape[a] for a in axes_set))
    return [f"np.add.reduce({of}, axis={{axes}}, keepdims=True, out={mean})", f"np.multiply({mean}, {share}, out={mean})"]


def _statistics_lines(site, x_name, centred, squares, inv_scale, kept, axes_set):
    """normalization._centred_and_inverse_scale: x - mean into `centred`, and (mean of the squared
    deviations + eps) ** -0.5 into `inv_scale` (`squares` may be `centred`'s buffer: it is reused)."""
    x = site.args[-1]   # the forward's input (the last argument of its VJP too)
    mean = site.scratch(kept, x.dtype)
    return [*_mean_lines(mean, x_name, x, axes_set),
            f"np.subtract({x_name}, {mean}, out={centred})",
            f"np.multiply({centred}, {centred}, out={squares})",
            *_mean_lines(inv_scale, squares, x, axes_set),
            f"np.add({inv_scale}, {{eps}}, out={inv_scale})",
            f"np.power({inv_scale}, -0.5, out={inv_scale})"]


@kernel("standardize.vjp0")
def _standardize_vjp(site):   # (g - mean(g) - y * mean(g y)) * inv_scale
    g, y, x = site.args
    axes = site.kwargs["axes"]
    if not site.arrays(g, y, x):
        return None
    axes_set = {a % x.ndim for a in axes}
    kept = _kept(x.shape, axes_set)
    g_mean, gy_mean = site.scratch(kept, x.dtype), site.scratch(kept, x.dtype)
    work = site.scratch(x.shape, x.dtype)
    if site.forward_saved:   # the forward kernel kept 1/sqrt(var + eps)
        (inv_scale,), lines = site.forward_saved, []
    else:                    # statistics from x again, as the eager VJP
        inv_scale = site.scratch(kept, x.dtype)
        lines = _statistics_lines(site, "{2}", work, work, inv_scale, kept, axes_set)
    return lines + [*_mean_lines(g_mean, "{0}", x, axes_set),
                    f"np.multiply({{0}}, {{1}}, out={work})",
                    *_mean_lines(gy_mean, work, x, axes_set),
                    f"np.subtract({{0}}, {g_mean}, out={{out}})",
                    f"np.multiply({{1}}, {gy_mean}, out={work})",
                    f"np.subtract({{out}}, {work}, out={{out}})",
                    f"np.multiply({{out}}, {inv_scale}, out={{out}})"]


# ---- the fused cross-entropy (nn/loss.py) ------------------------------------------------------------

def _shifted_lines(site, shape, dtype, axis, z, name="{0}"):
    """rules._shift and x - m for an x of this shape and dtype: m = max along axis (kept, from -inf
    for floats), 0 where not finite; z = x - m. Returns the lines and m's buffer."""
    kept = list(shape)
    kept[axis] = 1
    m = site.scratch(tuple(kept), dtype)
    finite = site.scratch(tuple(kept), bool)
    initial = ", initial=-np.inf" if np.dtype(dtype).kind == "f" else ""
    return [f"np.maximum.reduce({name}, axis={axis}, keepdims=True{initial}, out={m})",
            f"np.isfinite({m}, out={finite})",
            f"np.copyto({m}, 0, where=np.logical_not({finite}, out={finite}))",
            f"np.subtract({name}, {m}, out={z})"], m


def _class_rows(x, axis, labels):
    """(rows, classes) when the classes are the last axis of float logits with integer labels: the
    kernels then see the logits as a matrix of rows (the same rows in the same order, so the same
    sums), or None."""
    if not isinstance(x, np.ndarray) or x.ndim < 2 or not isinstance(axis, int) or axis % x.ndim != x.ndim - 1 \
            or x.dtype.kind != "f" or not isinstance(labels, np.ndarray) or labels.dtype.kind not in "iu":
        return None
    return x.size // x.shape[-1], x.shape[-1]


def _label_index(site, rows):
    """Flat positions of the labels in the (rows, classes) logits: row * classes + label."""
    n, k = rows
    row_starts = site.constant(np.arange(n) * k)
    index = site.scratch((n,), np.intp)
    return [f"np.add({row_starts}, {{labels}}.reshape(-1), out={index})"], index


@kernel("softmax_cross_entropy")
def _cross_entropy(site):   # -take_along_axis(log_softmax(x), labels)
    (x,), labels = site.args, site.kwargs["labels"]
    rows = _class_rows(x, site.kwargs["axis"], labels)
    if rows is None or not site.arrays(x):
        return None
    n, k = rows
    z = site.scratch(rows, x.dtype)
    log_sum = site.scratch((n, 1), x.dtype)
    e = site.saved(rows, x.dtype)          # exp(x - m) and its row sums: the VJP's softmax is
    sum_e = site.saved((n, 1), x.dtype)    # e / sum_e, the same operations on the same numbers
    lines, _ = _shifted_lines(site, rows, x.dtype, 1, z, name=f"{{0}}.reshape({n}, {k})")
    index_lines, index = _label_index(site, rows)
    return lines + [f"np.exp({z}, out={e})",
                    f"np.add.reduce({e}, axis=1, keepdims=True, out={sum_e})",
                    f"np.log({sum_e}, out={log_sum})",
                    f"np.subtract({z}, {log_sum}, out={z})",          # log_softmax = z - log sum exp z
                    *index_lines,
                    f"{z}.reshape(-1).take({index}, out={{out}}.reshape(-1))",
                    "np.negative({out}, out={out})"]


@kernel("softmax_cross_entropy.vjp0")
def _cross_entropy_vjp(site):   # (softmax(x) - one_hot(labels)) * g[..., None]
    g, _, x = site.args
    labels = site.kwargs["labels"]
    rows = _class_rows(x, site.kwargs["axis"], labels)
    if rows is None or not site.arrays(g, x):
        return None
    n, k = rows
    p = f"{{out}}.reshape({n}, {k})"
    at_label = site.scratch((n,), x.dtype)
    if site.forward_saved:   # the forward kernel kept exp(x - m) and its sums
        e, sum_e = site.forward_saved
        lines = [f"np.divide({e}, {sum_e}, out={p})"]
    else:   # softmax: e = exp(x - m), e / sum e
        s = site.scratch((n, 1), x.dtype)
        lines, _ = _shifted_lines(site, rows, x.dtype, 1, p, name=f"{{2}}.reshape({n}, {k})")
        lines += [f"np.exp({p}, out={p})", f"np.add.reduce({p}, axis=1, keepdims=True, out={s})",
                  f"np.divide({p}, {s}, out={p})"]
    index_lines, index = _label_index(site, rows)
    # subtracting the one-hot subtracts 1 at the label (p - 0 is p exactly elsewhere), then times the
    # upstream gradient of each row
    return lines + [*index_lines,
                    f"{{out}}.reshape(-1).take({index}, out={at_label})",
                    f"np.subtract({at_label}, 1, out={at_label})",
                    f"{{out}}.reshape(-1).put({index}, {at_label})",
                    f"np.multiply({p}, {{0}}.reshape(-1, 1), out={p})"]
