"""The table of primitives: each one declared once -- its forward, one vector-Jacobian product per
input, and the sample inputs the op sweep checks it with.

This is the only place where the engine's derivatives are written down (the nn layers declare
their fused primitives the same way, next to the layer). Every function takes the maths namespace
`o` first (see `backends.py`): forward passes run on raw floats / arrays; VJPs run on raw values,
or on `Value` / `Tensor` nodes when `create_graph=True`, which is what makes gradients of
gradients work without a second copy of any rule. A VJP is called as
`vjp(o, g, out, *inputs, **params)`: `g` is the upstream gradient dL/d(out), and the result is
dL/d(input) = g . d(out)/d(input) (for `binary` primitives, at the broadcast shape: the driver sums
it back to the input's shape).

Every declared primitive is also an operation of every namespace: a VJP may call `o.cumsum(g,
axis=1)` or `o.col2im(g, shape=...)`, which runs the primitive's forward on arrays in a raw
backward pass and records it as a node under `create_graph=True` (see `Namespace`).

`Value` uses the elementwise rules; `Tensor` uses all of them. Everything not listed here (mean,
var, stack, ...) is a composite of primitives (`reductions.py`, `shape_ops.py`, `products.py`).
"""
from __future__ import annotations

import math

import numpy as np

from .samples import away_from_zero, distinct, inputs, normal, positive, uniform


class Primitive:
    """A differentiable operation: `forward(o, *inputs, **params)`, its VJPs and its op-sweep sample."""

    __slots__ = ("name", "forward", "vjps", "variadic", "broadcasting", "sample")

    def __init__(self, name, forward, vjps, variadic=False, broadcasting=False, sample=None):
        self.name = name
        self.forward = forward
        self.vjps = vjps
        # variadic: one VJP for any number of inputs, called as vjp(o, g, out, xs, index=i, **params)
        # with the inputs as one sequence (unpacking n inputs for each of n edges would be quadratic)
        self.variadic = variadic
        self.broadcasting = broadcasting  # inputs broadcast: the driver sums gradients back to shape
        self.sample = sample  # rng -> (arrays, params): where the op sweep checks it (samples.py)

    def __repr__(self):
        return f"<primitive {self.name}>"


PRIMITIVES: dict[str, Primitive] = {}


def primitive(name, forward, *vjps, sample=None, variadic=False, broadcasting=False):
    """Declare a primitive. Its name is unique: it is how namespaces, drawings and the op sweep find it."""
    if name in PRIMITIVES:
        raise ValueError(f"primitive {name!r} is already declared (by {PRIMITIVES[name].forward.__module__}); "
                         "choose another name")
    prim = Primitive(name, forward, vjps, variadic, broadcasting, sample)
    PRIMITIVES[name] = prim
    return prim


def binary(name, forward, *vjps, sample=inputs(normal(3, 4), normal(4))):
    """An elementwise primitive whose inputs broadcast against each other (numpy rules). Its VJPs
    give the gradient at the output's shape; the backward driver sums it back to each input's.
    The default sample broadcasts a (3, 4) against a (4,) operand."""
    return primitive(name, forward, *vjps, broadcasting=True, sample=sample)


class Namespace(type):
    """The metaclass of the maths namespaces `o`. An operation that a namespace does not spell out
    is looked up among the declared primitives and run through the namespace's `call(prim, *args,
    **params)`: on arrays the primitive's forward, on nodes a recorded node. So a VJP can use any
    primitive, and the same line serves a raw backward pass and `create_graph=True`."""

    def __getattr__(cls, name):
        prim = PRIMITIVES.get(name)
        if prim is None or name.startswith("_"):
            raise AttributeError(f"{cls.__name__} has no operation {name!r}, and no primitive of that name is declared")
        call = cls.call

        def run(*args, **params):
            return call(prim, *args, **params)
        run.__name__ = name
        setattr(cls, name, staticmethod(run))   # found directly from now on
        return run


# ---- elementwise, shared by Value and Tensor ------------------------------------------------------

ADD = binary("add", lambda o, x, y: x + y,
             lambda o, g, out, x, y: g,
             lambda o, g, out, x, y: g)
SUB = binary("sub", lambda o, x, y: x - y,
             lambda o, g, out, x, y: g,
             lambda o, g, out, x, y: -g)
MUL = binary("mul", lambda o, x, y: x * y,
             lambda o, g, out, x, y: g * y,
             lambda o, g, out, x, y: g * x)
DIV = binary("div", lambda o, x, y: x / y,
             lambda o, g, out, x, y: g / y,
             lambda o, g, out, x, y: -g * out / y)   # d(x/y)/dy = -x/y^2
NEG = primitive("neg", lambda o, x: -x,
                lambda o, g, out, x: -g, sample=inputs(normal(3, 4)))
# x ** y with both differentiable: d/dx = y x^(y-1), d/dy = x^y log x (undefined for x < 0).
POW = binary("pow", lambda o, x, y: o.pow(x, y),
             lambda o, g, out, x, y: g * y * o.pow(x, y - 1),
             lambda o, g, out, x, y: g * out * o.log(x), sample=inputs(positive(3, 4), normal(4)))
# x ** c for a constant c (the common case; no gradient for c, no log of a negative base).
POW_CONST = primitive("pow_const", lambda o, x, c: o.pow(x, c),
                      lambda o, g, out, x, c: g * (c * o.pow(x, c - 1)) if c != 0 else g * 0,
                      sample=inputs(positive(3, 4), c=2.5))
EXP = primitive("exp", lambda o, x: o.exp(x),
                lambda o, g, out, x: g * out, sample=inputs(normal(3, 4)))
LOG = primitive("log", lambda o, x: o.log(x),
                lambda o, g, out, x: g / x, sample=inputs(positive(3, 4)))
LOG1P = primitive("log1p", lambda o, x: o.log1p(x),
                  lambda o, g, out, x: g / (1 + x), sample=inputs(uniform(-0.5, 2.0, 3, 4)))
SQRT = primitive("sqrt", lambda o, x: o.sqrt(x),
                 lambda o, g, out, x: g * 0.5 / out, sample=inputs(positive(3, 4)))
SIN = primitive("sin", lambda o, x: o.sin(x),
                lambda o, g, out, x: g * o.cos(x), sample=inputs(normal(3, 4)))
COS = primitive("cos", lambda o, x: o.cos(x),
                lambda o, g, out, x: -(g * o.sin(x)), sample=inputs(normal(3, 4)))
TAN = primitive("tan", lambda o, x: o.tan(x),
                lambda o, g, out, x: g * (1 + out * out), sample=inputs(uniform(-1.2, 1.2, 3, 4)))
TANH = primitive("tanh", lambda o, x: o.tanh(x),
                 lambda o, g, out, x: g * (1 - out * out), sample=inputs(normal(3, 4)))
SIGMOID = primitive("sigmoid", lambda o, x: o.sigmoid(x),
                    lambda o, g, out, x: g * (out * (1 - out)), sample=inputs(normal(3, 4)))
# ReLU'(0) = 0 (docs/conventions.md, "Kinks": the book's answer booklet, and PyTorch).
RELU = primitive("relu", lambda o, x: o.maximum(x, 0),   # not x * (x > 0): that is nan at -inf
                 lambda o, g, out, x: g * (x > 0), sample=inputs(away_from_zero(3, 4)))
# Leaky ReLU (eq. 3.13 / 7.41): slope `slope` for x <= 0, so LReLU'(0) = slope, as PyTorch.
LEAKY_RELU = primitive("leaky_relu", lambda o, x, slope: o.where(x > 0, x, x * slope),
                       lambda o, g, out, x, slope: o.where(x > 0, g, g * slope),
                       sample=inputs(away_from_zero(3, 4), slope=0.1))
SOFTPLUS = primitive("softplus", lambda o, x: o.softplus(x),
                     lambda o, g, out, x: g * o.sigmoid(x), sample=inputs(normal(3, 4)))
ABS = primitive("abs", lambda o, x: abs(x),
                lambda o, g, out, x: g * o.sign(x), sample=inputs(away_from_zero(3, 4)))   # |x|'(0) = 0
ERF = primitive("erf", lambda o, x: o.erf(x),
                lambda o, g, out, x: g * (2 / math.sqrt(math.pi)) * o.exp(-(x * x)), sample=inputs(normal(3, 4)))
# max/min of two: the gradient goes to the winner and is split evenly on a tie (a kink).
def _untied(rng):
    """Two (3, 4) operands that differ everywhere by at least 0.1: no tie within a step."""
    x = rng.standard_normal((3, 4))
    return [x, x + away_from_zero(3, 4, low=0.1)(rng)], {}


MAXIMUM = binary("maximum", lambda o, x, y: o.maximum(x, y),
                 lambda o, g, out, x, y: g * o.tie_weight(x, y),
                 lambda o, g, out, x, y: g * o.tie_weight(y, x), sample=_untied)
MINIMUM = binary("minimum", lambda o, x, y: o.minimum(x, y),
                 lambda o, g, out, x, y: g * o.tie_weight(y, x),
                 lambda o, g, out, x, y: g * o.tie_weight(x, y), sample=_untied)


def with_constant(rule, position):
    """`rule` (a two-input primitive) with input `position` held at a constant `c`, e.g. `x * 0.9` or
    `1 - x` on Values: a one-input node whose number is a parameter of the call (as PyTorch treats
    Python scalars), not a leaf of the graph. Derived from `rule`, so each derivative stays written
    once."""
    forward, vjp = rule.forward, rule.vjps[1 - position]
    if position == 1:   # x op c, e.g. sub_const: x - c
        return Primitive(f"{rule.name}_const", lambda o, x, c: forward(o, x, c),
                         (lambda o, g, out, x, c: vjp(o, g, out, x, c),), broadcasting=rule.broadcasting)
    return Primitive(f"r{rule.name}_const", lambda o, x, c: forward(o, c, x),   # c op x, e.g. rsub_const: c - x
                     (lambda o, g, out, x, c: vjp(o, g, out, c, x),), broadcasting=rule.broadcasting)


# ---- tensor-only elementwise ----------------------------------------------------------------------

ELU = primitive("elu", lambda o, x, alpha: o.where(x > 0, x, alpha * o.expm1(x * (x <= 0))),
                lambda o, g, out, x, alpha: o.where(x > 0, g, g * (out + alpha)),   # alpha e^x = out + alpha
                sample=inputs(away_from_zero(3, 4), alpha=1.3))
# where(cond, a, b) with a constant boolean `cond`.
WHERE = binary("where", lambda o, a, b, cond: o.where(cond, a, b),
               lambda o, g, out, a, b, cond: g * cond,
               lambda o, g, out, a, b, cond: g * ~cond,
               sample=inputs(normal(3, 4), normal(4), cond=lambda rng: rng.random((3, 4)) < 0.5))

# ---- reductions -----------------------------------------------------------------------------------

SUM = primitive("sum", lambda o, x, axis, keepdims: o.sum(x, axis=axis, keepdims=keepdims),
                lambda o, g, out, x, axis, keepdims: o.expand_to(g, x, axis, keepdims),
                sample=inputs(normal(2, 3, 4), axis=(0, 2), keepdims=False))
# max/min over axes: the maximal elements share the gradient equally (ties split evenly, a kink).
MAX = primitive("max", lambda o, x, axis, keepdims: x.max(axis=axis, keepdims=keepdims),
                lambda o, g, out, x, axis, keepdims:
                    o.expand_to(g, x, axis, keepdims) * o.extremum_weight(x, out, axis, keepdims),
                sample=inputs(distinct(3, 4), axis=1, keepdims=True))
MIN = primitive("min", lambda o, x, axis, keepdims: x.min(axis=axis, keepdims=keepdims),
                lambda o, g, out, x, axis, keepdims:
                    o.expand_to(g, x, axis, keepdims) * o.extremum_weight(x, out, axis, keepdims),
                sample=inputs(distinct(3, 4), axis=1, keepdims=True))


def _shift(o, x, axis):
    """The max along `axis` (kept), 0 where it is not finite: what softmax-like functions subtract so
    that every exp is of a number <= 0 (logits of +-1e4 stay finite). `initial=-inf` (the max of
    an empty axis, never used here) makes numpy take a faster loop on short rows: 3x on attention
    scores of shape (16, 4, 32, 32)."""
    if x.dtype.kind == "f":
        m = x.max(axis=axis, keepdims=True, initial=-np.inf)
    else:
        m = x.max(axis=axis, keepdims=True)   # integers: no -inf to start from
    return o.where(o.isfinite(m), m, 0)


def _shifted(o, x, axis, keepdims=True):
    """x - m, m and log sum exp(x - m), with m the shift along `axis`: the stable pieces of eq. 5.24."""
    m = _shift(o, x, axis)
    z = x - m
    return z, m, o.log(o.sum(o.exp(z), axis=axis, keepdims=keepdims))


def _logsumexp(o, x, axis, keepdims):
    _, m, s = _shifted(o, x, axis, keepdims)   # log sum exp x = m + log sum exp(x - m)
    return s + m.reshape(s.shape)


def _log_softmax(o, x, axis):
    # (x - m) - log sum exp(x - m), not x - logsumexp(x): both terms are small, so no digits are
    # lost to the size of m (in float32, logits near 1e4 would otherwise be off by ~1e-3).
    z, _, s = _shifted(o, x, axis)
    return z - s


LOGSUMEXP = primitive("logsumexp", _logsumexp,
                      lambda o, g, out, x, axis, keepdims:
                          o.expand_to(g, x, axis, keepdims) * o.exp(x - o.expand_to(out, x, axis, keepdims)),
                      sample=inputs(normal(3, 4), axis=1, keepdims=False))


def _softmax(o, x, axis):
    # e^(x - m) / sum e^(x - m): one exp per element (exp of the log-softmax would take two).
    e = o.exp(x - _shift(o, x, axis))
    return e / o.sum(e, axis=axis, keepdims=True)


SOFTMAX = primitive("softmax", _softmax,
                    lambda o, g, out, x, axis: out * (g - o.sum(g * out, axis=axis, keepdims=True)),
                    sample=inputs(normal(3, 4), axis=1))
LOG_SOFTMAX = primitive("log_softmax", _log_softmax,
                        lambda o, g, out, x, axis: g - o.exp(out) * o.sum(g, axis=axis, keepdims=True),
                        sample=inputs(normal(3, 4), axis=1))

# ---- shape and indexing ---------------------------------------------------------------------------

RESHAPE = primitive("reshape", lambda o, x, shape: o.reshape(x, shape),
                    lambda o, g, out, x, shape: o.reshape(g, x.shape),
                    sample=inputs(normal(3, 4), shape=(2, 6)))
TRANSPOSE = primitive("transpose", lambda o, x, axes: o.transpose(x, axes),
                      lambda o, g, out, x, axes: o.transpose(g, tuple(sorted(range(len(axes)), key=axes.__getitem__))),
                      sample=inputs(normal(2, 3, 4), axes=(2, 0, 1)))
BROADCAST_TO = primitive("broadcast_to", lambda o, x, shape: o.broadcast_to(x, shape),
                         lambda o, g, out, x, shape: o.unbroadcast(g, x),
                         sample=inputs(normal(3, 1), shape=(2, 3, 4)))
GETITEM = primitive("getitem", lambda o, x, index: x[index],
                    lambda o, g, out, x, index: o.scatter_add(g, index, x.shape),
                    sample=inputs(normal(4, 3), index=(np.array([0, 2, 2, 3]), slice(None, 2))))   # repeats accumulate
# getitem's VJP as a primitive of its own (so that it too can be differentiated): repeated
# indices accumulate.
SCATTER_ADD = primitive("scatter_add", lambda o, g, index, shape: o.scatter_add(g, index, shape),
                        lambda o, g, out, x, index, shape: o.getitem(g, index),
                        sample=inputs(normal(4, 2), index=(np.array([0, 2, 2, 3]), slice(None, 2)), shape=(4, 3)))


def _concat_vjp(o, g, out, xs, axis, offsets, index):
    span = slice(offsets[index], offsets[index + 1])
    return o.getitem(g, (slice(None),) * (axis % g.ndim) + (span,))


# `offsets` are where each input starts along `axis` (and where the last ends): given with the call,
# so that each input's VJP finds its slice at once, not by adding up the sizes before it (which made
# the backward pass of a concatenation of n tensors quadratic in n).
CONCATENATE = primitive("concatenate", lambda o, *xs, axis, offsets: o.concatenate(xs, axis=axis), _concat_vjp,
                        variadic=True, sample=inputs(normal(2, 3), normal(2, 1), normal(2, 2), axis=1, offsets=(0, 3, 4, 6)))
PAD = primitive("pad", lambda o, x, pad_width, value: o.pad(x, pad_width, constant_values=value),
                lambda o, g, out, x, pad_width, value:
                    o.getitem(g, tuple(slice(lo, n - hi) for (lo, hi), n in zip(pad_width, g.shape))),
                sample=inputs(normal(2, 3), pad_width=((1, 0), (2, 1)), value=0.5))

# ---- linear algebra -------------------------------------------------------------------------------


def _column_major(a):
    """A raw 2-D array laid out by columns, e.g. W.T: its gradient should have the same layout
    (the transpose's VJP then hands W a row-major gradient, and `W -= lr * grad` stays fast)."""
    return isinstance(a, np.ndarray) and a.ndim == 2 and a.flags.f_contiguous and not a.flags.c_contiguous


def _matmul_vjp(o, g, x, y, wrt_x):
    """numpy's matmul rules: 1-D operands are promoted to matrices, batch dimensions broadcast."""
    if x.ndim >= 2 and y.ndim >= 2:
        if wrt_x:
            if _column_major(x) and y.ndim == 2:  # dx = g y^T, computed as (y g^T)^T to come out in x's layout
                return o.swapaxes(o.matmul(y, o.swapaxes(g, -1, -2)), -1, -2)
            return o.unbroadcast(o.matmul(g, o.swapaxes(y, -1, -2)), x)
        if _column_major(y) and x.ndim == 2:  # dy = x^T g as (g^T x)^T: the weight gradient of x @ W.T lands row-major
            return o.swapaxes(o.matmul(o.swapaxes(g, -1, -2), x), -1, -2)
        return o.unbroadcast(o.matmul(o.swapaxes(x, -1, -2), g), y)
    gshape = g.shape + (1,) if y.ndim == 1 else g.shape
    if x.ndim == 1:
        gshape = gshape[:-1] + (1,) + gshape[-1:]
    g2 = o.reshape(g, gshape)
    x2 = o.reshape(x, (1,) + x.shape) if x.ndim == 1 else x
    y2 = o.reshape(y, y.shape + (1,)) if y.ndim == 1 else y
    grad = _matmul_vjp(o, g2, x2, y2, wrt_x)
    return o.reshape(grad, x.shape if wrt_x else y.shape)


MATMUL = primitive("matmul", lambda o, x, y: o.matmul(x, y),
                   lambda o, g, out, x, y: _matmul_vjp(o, g, x, y, True),
                   lambda o, g, out, x, y: _matmul_vjp(o, g, x, y, False),
                   sample=inputs(normal(2, 3, 4), normal(4, 5)))   # batch broadcasting


def _einsum_vjp(o, g, out, xs, subscripts, index):
    """d/dx_i of einsum: contract the upstream gradient with the other operands, then broadcast
    over the letters that only x_i carries (they were summed away in the forward pass)."""
    inputs, output = subscripts.split("->")
    inputs = inputs.split(",")
    target = inputs[index]
    others = [s for j, s in enumerate(inputs) if j != index]
    known = output + "".join(others)
    keep = "".join(c for c in target if c in known)
    operands = [x for j, x in enumerate(xs) if j != index]
    grad = o.einsum(",".join([output] + others) + "->" + keep, g, *operands)
    if keep != target:
        grad = o.broadcast_to(o.reshape(grad, tuple(n if c in keep else 1 for c, n in zip(target, xs[index].shape))),
                              xs[index].shape)
    return grad


# `subscripts` is normalised by tensor.einsum to the explicit form "ij,jk->ik", without '...' and
# without a letter twice in one operand (diagonals are taken first): the VJP's einsum has `target`
# as its output, which must not repeat a letter.
EINSUM = primitive("einsum", lambda o, *xs, subscripts: o.einsum(subscripts, *xs), _einsum_vjp, variadic=True,
                   sample=inputs(normal(2, 3), normal(3, 4), normal(4), subscripts="ij,jk,k->i"))
