"""The op registry (OpInfo + Hypothesis, see docs/tensors.md, "How this is tested").

One `OpInfo` per Tensor operation: how to call it on tensors, a numpy/scipy reference written here
(independent of the engine), a Hypothesis strategy for its inputs, and tolerances. The generic tests
in test_tensor_ops.py run every entry through the same checks: forward against the reference, VJP
against central finite differences (float64), second order against finite differences of the first,
float32 against float64, and -- for the ops `Value` shares -- Value against Tensor.

A strategy draws `(arrays, params)`: `arrays` are the float64 inputs that are differentiated (each
becomes a Tensor with requires_grad=True), `params` are everything else (axes, indices, constants,
masks), passed by keyword to both `op` and `ref`. Inputs are drawn inside the op's domain and away
from its kinks (ReLU at 0, ties of max/min, the ends of clip); the kinks are tested on purpose in
test_tensor_edges.py.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import special

import tinygrad_udl as tg
from tinygrad_udl.autograd import array_ops as A

F64 = np.float64


# ---- strategies -----------------------------------------------------------------------------------


def reals(lo, hi, avoid=(), gap=0.05):
    """Floats in [lo, hi], at least `gap` away from each point in `avoid` (kinks, poles)."""
    s = st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    return s.filter(lambda v: all(abs(v - k) > gap for k in avoid)) if avoid else s


def grid(lo, hi, step=0.1, offset=0.0):
    """Multiples of `step` (plus `offset`): with unique=True, values at least `step` apart, so that a
    max/min has no ties and no near-ties that a finite-difference step could cross."""
    return st.integers(round(lo / step), round(hi / step)).map(lambda k: k * step + offset)


SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)
SHAPES_1D_UP = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)


def array(shape, elements=None, unique=False):
    return hnp.arrays(F64, shape, elements=reals(-3, 3) if elements is None else elements, unique=unique)


@st.composite
def unary(draw, elements=None, shapes=SHAPES, unique=False, **params):
    """One array; each keyword is a strategy for a parameter."""
    x = draw(array(draw(shapes), elements, unique))
    return (x,), {k: draw(v) for k, v in params.items()}


@st.composite
def broadcast_pair(draw, left=None, right=None):
    """Two arrays whose shapes broadcast against each other (numpy's rules, 0-3 dims)."""
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)).input_shapes
    return (draw(array(shapes[0], left)), draw(array(shapes[1], right))), {}


@st.composite
def with_constant(draw, elements, constants, array_constant=False):
    """One array and a non-differentiable operand `c`: a Python number, or a numpy array whose
    shape broadcasts with it."""
    if array_constant:
        shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)).input_shapes
        return (draw(array(shapes[0], elements)),), {"c": draw(array(shapes[1], constants))}
    return (draw(array(draw(SHAPES), elements)),), {"c": draw(constants)}


def axes_for(ndim):
    """None, one axis (negative allowed) or a tuple of distinct axes (negative allowed)."""
    if ndim == 0:
        return st.none()
    one = st.integers(-ndim, ndim - 1)
    several = st.lists(one, min_size=1, max_size=ndim, unique_by=lambda a: a % ndim).map(tuple)
    return st.one_of(st.none(), one, several)


def count(shape, axis):
    if axis is None:
        return math.prod(shape)
    return math.prod(shape[a] for a in ((axis,) if isinstance(axis, int) else axis))


@st.composite
def reduction(draw, elements=None, unique=False, ddof=False, min_count=1):
    shape = draw(SHAPES)
    axis = draw(axes_for(len(shape)))
    params = {"axis": axis, "keepdims": draw(st.booleans())}
    if ddof:
        params["ddof"] = draw(st.sampled_from([0, 1]))
        min_count = max(min_count, params["ddof"] + 1)
    if count(shape, axis) < min_count:
        shape = (2,) * max(len(shape), 1)   # enough elements for the degrees of freedom
        params["axis"] = None
    return (draw(array(shape, elements, unique)),), params


@st.composite
def along_axis(draw, elements=None):
    shape = draw(SHAPES_1D_UP)
    return (draw(array(shape, elements)),), {"axis": draw(st.integers(-len(shape), len(shape) - 1))}


@st.composite
def matmul_pair(draw):
    """numpy's matmul cases: 1-D @ 1-D, 1-D @ N-D, N-D @ 1-D, N-D @ N-D with broadcast batch dims."""
    n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3)).input_shapes
    left = draw(st.sampled_from([(k,), batch[0] + (n, k)]))
    right = draw(st.sampled_from([(k,), batch[1] + (k, m)]))
    return (draw(array(left)), draw(array(right))), {}


@st.composite
def dot_pair(draw):
    n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
    left = draw(st.sampled_from([(k,), (n, k)]))
    right = draw(st.sampled_from([(k,), (k, m)]))
    return (draw(array(left)), draw(array(right))), {}


# Patterns include letters that only one operand carries and the output drops ("summed away").
EINSUM_PATTERNS = ["ij,jk->ik", "ij,jk->i", "ij,jk", "ij,kl->ik", "i,i->", "i,j->ij", "ij->", "ijk->ki",
                   "bij,bjk->bik", "ijk,k->ij", "ij,ij->j"]


@st.composite
def einsum_operands(draw, broadcast=False):
    """With `broadcast`, an operand may have size 1 where its letter is longer elsewhere (numpy allows it)."""
    pattern = draw(st.sampled_from(EINSUM_PATTERNS))
    sizes = {c: draw(st.integers(1, 3)) for c in sorted(set(pattern) - set(",->"))}
    inputs = pattern.split("->")[0].split(",")
    shapes = [tuple(1 if broadcast and draw(st.booleans()) else sizes[c] for c in s) for s in inputs]
    return tuple(draw(array(shape)) for shape in shapes), {"subscripts": pattern}


@st.composite
def reshape_args(draw):
    x = draw(array(draw(SHAPES)))
    n = x.size
    divisors = [d for d in range(1, n + 1) if n % d == 0]
    d = draw(st.sampled_from(divisors))
    shape = draw(st.sampled_from([(-1,), (d, -1), (-1, d), (n // d, 1, d), (1, -1)]))
    return (x,), {"shape": shape}


@st.composite
def permute_args(draw):
    x = draw(array(draw(SHAPES_1D_UP)))
    perm = draw(st.permutations(range(x.ndim)))
    return (x,), {"axes": tuple(a - x.ndim if draw(st.booleans()) else a for a in perm)}


@st.composite
def swapaxes_args(draw):
    x = draw(array(draw(SHAPES_1D_UP)))
    a = st.integers(-x.ndim, x.ndim - 1)
    return (x,), {"axis1": draw(a), "axis2": draw(a)}


@st.composite
def broadcast_to_args(draw):
    """A shape and a bigger shape it broadcasts to (1s stretched, new leading axes)."""
    every_other_axis_one = hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3).map(
        lambda s: tuple(1 if i % 2 else n for i, n in enumerate(s)))
    x = draw(array(draw(every_other_axis_one)))
    lead = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    target = lead + tuple(draw(st.integers(1, 3)) if n == 1 else n for n in x.shape)
    return (x,), {"shape": target}


@st.composite
def squeeze_args(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=2))
    ones = [i for i, n in enumerate(shape) if n == 1]
    axis = draw(st.one_of(st.none(), st.sampled_from(ones).map(lambda a: a - len(shape)) if ones else st.none(),
                          st.lists(st.sampled_from(ones), unique=True, min_size=1).map(tuple) if ones else st.none()))
    return (draw(array(shape)),), {"axis": axis}


@st.composite
def unsqueeze_args(draw):
    x = draw(array(draw(SHAPES)))
    return (x,), {"axis": draw(st.integers(-x.ndim - 1, x.ndim))}


@st.composite
def flatten_args(draw):
    x = draw(array(draw(SHAPES_1D_UP)))
    s = draw(st.integers(0, x.ndim - 1))
    e = draw(st.integers(s, x.ndim - 1))
    return (x,), {"start_dim": s, "end_dim": e - x.ndim if draw(st.booleans()) else e}


@st.composite
def concat_args(draw, same=False):
    """1-3 arrays that agree on every axis but (unless `same`) the one they are joined along."""
    shape = list(draw(SHAPES_1D_UP))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    arrays = []
    for _ in range(draw(st.integers(1, 3))):
        if not same:
            shape[axis] = draw(st.integers(1, 3))
        arrays.append(draw(array(tuple(shape))))
    if same:
        axis = draw(st.integers(-len(shape) - 1, len(shape)))
    return tuple(arrays), {"axis": axis}


@st.composite
def split_args(draw):
    shape = list(draw(SHAPES_1D_UP))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    sections = draw(st.integers(1, 3))
    if draw(st.booleans()):
        shape[axis] = sections * draw(st.integers(1, 2))
        cut = sections
    else:
        shape[axis] = draw(st.integers(1, 4))
        cut = sorted(draw(st.lists(st.integers(0, shape[axis]), max_size=3)))
    return (draw(array(tuple(shape))),), {"cut": cut, "axis": axis}


@st.composite
def pad_args(draw):
    x = draw(array(draw(SHAPES_1D_UP)))
    width = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(x.ndim))
    return (x,), {"pad_width": width, "value": draw(st.sampled_from([0.0, -1.5]))}


@st.composite
def flip_args(draw):
    x = draw(array(draw(SHAPES_1D_UP)))
    return (x,), {"axis": draw(axes_for(x.ndim))}


@st.composite
def repeat_args(draw):
    x = draw(array(draw(SHAPES_1D_UP)))
    axis = draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
    n = x.size if axis is None else x.shape[axis]
    repeats = draw(st.one_of(st.integers(1, 3), hnp.arrays(np.int64, (n,), elements=st.integers(0, 3))))
    return (x,), {"repeats": repeats, "axis": axis}


@st.composite
def tri_args(draw):
    x = draw(array(draw(hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=4))))
    return (x,), {"k": draw(st.integers(-2, 2))}


@st.composite
def basic_index_args(draw):
    """Slices with steps (negative too), integers (negative too), None and Ellipsis."""
    x = draw(array(draw(SHAPES_1D_UP)))
    return (x,), {"index": draw(hnp.basic_indices(x.shape, allow_newaxis=True, allow_ellipsis=True))}


@st.composite
def integer_array_index_args(draw):
    """Integer arrays (repeats likely: their gradients must add up), alone or beside a slice."""
    x = draw(array(draw(SHAPES_1D_UP)))
    axis = draw(st.integers(0, x.ndim - 1))
    n = x.shape[axis]
    idx = draw(hnp.arrays(np.int64, draw(hnp.array_shapes(min_dims=1, max_dims=2, max_side=4)),
                          elements=st.integers(-n, n - 1)))
    index = (slice(None),) * axis + (idx,)
    if draw(st.booleans()):
        index = draw(hnp.integer_array_indices(x.shape, result_shape=hnp.array_shapes(max_dims=2, max_side=4)))
    return (x,), {"index": index}


@st.composite
def int_list_index_args(draw):
    """A Python list of integers on the first axis (negative and repeated entries allowed)."""
    x = draw(array(draw(SHAPES_1D_UP)))
    n = x.shape[0]
    return (x,), {"index": draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=5))}


@st.composite
def bool_mask_args(draw):
    """A boolean mask of the whole shape, or of the leading axes."""
    x = draw(array(draw(SHAPES_1D_UP)))
    k = draw(st.integers(1, x.ndim))
    return (x,), {"index": draw(hnp.arrays(np.bool_, x.shape[:k]))}


@st.composite
def where_args(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=3)).input_shapes
    return (draw(array(shapes[0])), draw(array(shapes[1]))), {"cond": draw(hnp.arrays(np.bool_, shapes[2]))}


# ---- array operations (tinygrad_udl/autograd/array_ops.py) -----------------------------------------


@st.composite
def scan_args(draw, elements=None, unique=False):
    """One array of 1-3 dims and an axis (None: the flattened array, numpy's rule for scans and sorts)."""
    x = draw(array(draw(SHAPES_1D_UP), elements, unique))
    return (x,), {"axis": draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))}


@st.composite
def diagonal_args(draw):
    """Two distinct axes (negative allowed) of a 2-3 dim array, and an offset (past the edge too:
    an empty diagonal)."""
    x = draw(array(draw(hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=4))))
    axis1, axis2 = draw(st.lists(st.integers(0, x.ndim - 1), min_size=2, max_size=2, unique=True))
    return (x,), {"offset": draw(st.integers(-3, 3)), "axis1": axis1 - x.ndim * draw(st.integers(0, 1)),
                  "axis2": axis2 - x.ndim * draw(st.integers(0, 1))}


@st.composite
def diag_args(draw):
    x = draw(array(draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4))))
    return (x,), {"k": draw(st.integers(-2, 2))}


@st.composite
def einsum_general(draw):
    """Random valid subscripts over the letters 'abc': letters repeated within an operand
    (diagonals), '...' (broadcast axes: fewer of them in some operands, size 1 against n), and an
    implicit or explicit output."""
    sizes = {c: draw(st.integers(1, 3)) for c in "abc"}
    broadcast = draw(st.lists(st.integers(1, 3), max_size=2))   # the sizes '...' stands for
    terms, shapes = [], []
    for _ in range(draw(st.integers(1, 3))):
        term = "".join(draw(st.lists(st.sampled_from("abc"), max_size=3)))
        shape = [sizes[c] for c in term]
        if broadcast and draw(st.booleans()):
            k = draw(st.integers(0, len(broadcast)))
            at = draw(st.integers(0, len(term)))
            term = term[:at] + "..." + term[at:]
            shape[at:at] = [draw(st.sampled_from([1, n])) for n in broadcast[len(broadcast) - k:]]
        terms.append(term)
        shapes.append(tuple(shape))
    subscripts = ",".join(terms)
    if draw(st.booleans()):   # explicit output: some of the letters, in any order, and '...' if any operand has it
        used = sorted(set(subscripts) - set(",."))
        output = "".join(draw(st.permutations(used))[:draw(st.integers(0, len(used)))])
        if "..." in subscripts:
            at = draw(st.integers(0, len(output)))
            output = output[:at] + "..." + output[at:]
        subscripts += "->" + output
    return tuple(draw(array(shape)) for shape in shapes), {"subscripts": subscripts}


@st.composite
def topk_args(draw):
    (x,), params = draw(scan_args(grid(-3, 3), unique=True))
    n = x.size if params["axis"] is None else x.shape[params["axis"]]
    return (x,), {**params, "k": draw(st.integers(0, n)), "largest": draw(st.booleans())}


def topk_ref(x, axis, k, largest):
    if axis is None:
        x, axis = x.ravel(), 0
    ordered = -np.sort(-x, axis=axis) if largest else np.sort(x, axis=axis)
    return np.take(ordered, np.arange(k), axis=axis)


@st.composite
def take_along_axis_args(draw):
    """Indices with repeats (their gradients add up), negative ones, and size-1 axes that broadcast."""
    x = draw(array(draw(SHAPES_1D_UP)))
    axis = draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
    if axis is None:
        n, shape = x.size, (draw(st.integers(1, 4)),)
    else:
        n = x.shape[axis]
        shape = tuple(draw(st.integers(1, 4)) if d == axis % x.ndim else draw(st.sampled_from([1, m]))
                      for d, m in enumerate(x.shape))
    return (x,), {"indices": draw(hnp.arrays(np.int64, shape, elements=st.integers(-n, n - 1))), "axis": axis}


@st.composite
def roll_args(draw):
    """One shift for the flattened array, for one axis, or for several axes (repeats add up)."""
    x = draw(array(draw(SHAPES_1D_UP)))
    shifts = st.integers(-5, 5)
    axis = draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1),
                          st.lists(st.integers(-x.ndim, x.ndim - 1), min_size=1, max_size=3).map(tuple)))
    if isinstance(axis, tuple) and draw(st.booleans()):
        return (x,), {"shift": tuple(draw(shifts) for _ in axis), "axis": axis}
    return (x,), {"shift": draw(shifts), "axis": axis}


@st.composite
def searchsorted_args(draw):
    a = np.sort(draw(array((draw(st.integers(1, 6)),), grid(-3, 3))))   # repeats allowed: left and right differ
    v = draw(array(draw(SHAPES), grid(-3.5, 3.5, step=0.5)))
    return (a, v), {"side": draw(st.sampled_from(["left", "right"]))}

# ---- references that numpy / scipy do not name ----------------------------------------------------


def gelu_ref(x):
    return x * 0.5 * (1 + special.erf(x / math.sqrt(2)))   # x Phi(x), Phi the normal CDF


def elu_ref(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805   # Klambauer et al. (2017)


def logsumexp_ref(x, axis, keepdims):
    # scipy returns shape (1,) for a 0-d input with keepdims=True; numpy's reductions give ()
    return np.reshape(special.logsumexp(x, axis=axis, keepdims=keepdims), np.sum(x, axis, keepdims=keepdims).shape)


def split_ref(x, cut, axis):
    return np.split(x, cut, axis=axis)


# ---- the registry ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpInfo:
    name: str
    op: object           # (*tensors, **params) -> Tensor (or a list of Tensors)
    ref: object          # (*float64 arrays, **params) -> array (or a list of arrays)
    args: object         # strategy of (arrays, params)
    grad: bool = True    # differentiable: checked against finite differences
    tol32: tuple = (2e-4, 1e-5)    # (rtol, atol) of float32 against float64, values and gradients
    value: bool = False  # `op` works on Values too (methods / operators shared with the scalar engine)


NEAR_ZERO_KINK = reals(-3, 3, avoid=(0,))
POSITIVE = reals(0.1, 5)
NONZERO = st.one_of(reals(0.5, 3), reals(-3, -0.5))

OPS = [
    # -- arithmetic, broadcasting both ways with tensors, scalars and numpy arrays --
    OpInfo("add", lambda x, y: x + y, np.add, broadcast_pair(), value=True),
    OpInfo("sub", lambda x, y: x - y, np.subtract, broadcast_pair(), value=True),
    OpInfo("mul", lambda x, y: x * y, np.multiply, broadcast_pair(), value=True),
    OpInfo("div", lambda x, y: x / y, np.divide, broadcast_pair(right=NONZERO), value=True),
    OpInfo("pow", lambda x, y: x ** y, np.power, broadcast_pair(reals(0.2, 3), reals(-2, 2)), value=True),
    OpInfo("add_scalar", lambda x, c: x + c, lambda x, c: x + c, with_constant(None, reals(-3, 3)), value=True),
    OpInfo("radd_scalar", lambda x, c: c + x, lambda x, c: c + x, with_constant(None, reals(-3, 3)), value=True),
    OpInfo("rsub_scalar", lambda x, c: c - x, lambda x, c: c - x, with_constant(None, reals(-3, 3)), value=True),
    OpInfo("mul_scalar", lambda x, c: x * c, lambda x, c: x * c, with_constant(None, reals(-3, 3)), value=True),
    OpInfo("rdiv_scalar", lambda x, c: c / x, lambda x, c: c / x, with_constant(NONZERO, reals(-3, 3)), value=True),
    OpInfo("pow_scalar", lambda x, c: x ** c, lambda x, c: np.power(x, c),
           with_constant(reals(0.2, 3), st.sampled_from([0, 1, 2, 3, 0.5, -1, -1.5, 2.5])), value=True),
    OpInfo("int_pow_negative_base", lambda x, c: x ** c, lambda x, c: np.power(x, c),
           with_constant(reals(-3, 3), st.sampled_from([2, 3, 4])), value=True),
    OpInfo("rpow_scalar", lambda x, c: c ** x, lambda x, c: np.power(c, x),
           with_constant(reals(-2, 2), st.sampled_from([0.5, 2.0, math.e, 3.0])), value=True),
    OpInfo("radd_array", lambda x, c: c + x, lambda x, c: c + x, with_constant(None, None, array_constant=True)),
    OpInfo("rsub_array", lambda x, c: c - x, lambda x, c: c - x, with_constant(None, None, array_constant=True)),
    OpInfo("mul_array", lambda x, c: x * c, lambda x, c: x * c, with_constant(None, None, array_constant=True)),
    OpInfo("rdiv_array", lambda x, c: c / x, lambda x, c: c / x, with_constant(NONZERO, None, array_constant=True)),
    OpInfo("neg", lambda x: -x, np.negative, unary(), value=True),
    OpInfo("maximum", lambda x, y: x.maximum(y), np.maximum,
           broadcast_pair(grid(-3, 3), grid(-3, 3, offset=0.05)), value=True),
    OpInfo("minimum", lambda x, y: x.minimum(y), np.minimum,
           broadcast_pair(grid(-3, 3), grid(-3, 3, offset=0.05)), value=True),
    OpInfo("maximum_fn", lambda x, y: tg.maximum(x, y), np.maximum, broadcast_pair(grid(-3, 3), grid(-3, 3, offset=0.05))),
    OpInfo("where", lambda a, b, cond: tg.where(cond, a, b), lambda a, b, cond: np.where(cond, a, b), where_args()),
    # -- unary --
    OpInfo("exp", lambda x: x.exp(), np.exp, unary(), value=True),
    OpInfo("log", lambda x: x.log(), np.log, unary(POSITIVE), value=True),
    OpInfo("log1p", lambda x: x.log1p(), np.log1p, unary(reals(-0.8, 5))),
    OpInfo("sqrt", lambda x: x.sqrt(), np.sqrt, unary(POSITIVE), value=True),
    OpInfo("sin", lambda x: x.sin(), np.sin, unary(reals(-4, 4)), value=True),
    OpInfo("cos", lambda x: x.cos(), np.cos, unary(reals(-4, 4)), value=True),
    OpInfo("tan", lambda x: x.tan(), np.tan, unary(reals(-1.2, 1.2)), tol32=(1e-3, 1e-5), value=True),
    OpInfo("tanh", lambda x: x.tanh(), np.tanh, unary(), value=True),
    OpInfo("sigmoid", lambda x: x.sigmoid(), special.expit, unary(reals(-6, 6)), value=True),
    OpInfo("relu", lambda x: x.relu(), lambda x: np.maximum(x, 0), unary(NEAR_ZERO_KINK), value=True),
    OpInfo("leaky_relu", lambda x, slope: x.leaky_relu(slope), lambda x, slope: np.where(x > 0, x, slope * x),
           unary(NEAR_ZERO_KINK, slope=st.sampled_from([0.01, 0.1, 0.25])), value=True),
    OpInfo("elu", lambda x, alpha: x.elu(alpha), elu_ref, unary(NEAR_ZERO_KINK, alpha=st.sampled_from([1.0, 0.5]))),
    OpInfo("selu", lambda x: x.selu(), lambda x: SELU_SCALE * elu_ref(x, SELU_ALPHA), unary(NEAR_ZERO_KINK)),
    OpInfo("gelu", lambda x: x.gelu(), gelu_ref, unary()),
    OpInfo("silu", lambda x: x.silu(), lambda x: x * special.expit(x), unary()),
    OpInfo("softplus", lambda x: x.softplus(), lambda x: np.logaddexp(0, x), unary(reals(-8, 8)), value=True),
    OpInfo("erf", lambda x: x.erf(), special.erf, unary()),
    OpInfo("abs", lambda x: x.abs(), np.abs, unary(NEAR_ZERO_KINK), value=True),
    OpInfo("abs_builtin", lambda x: abs(x), np.abs, unary(NEAR_ZERO_KINK), value=True),
    OpInfo("clip", lambda x, lo, hi: x.clip(lo, hi), lambda x, lo, hi: np.clip(x, lo, hi),
           unary(reals(-3, 3, avoid=(-0.5, 0.7)), lo=st.just(-0.5), hi=st.just(0.7))),
    OpInfo("clip_one_side", lambda x: x.clip(min=-0.5), lambda x: np.maximum(x, -0.5),
           unary(reals(-3, 3, avoid=(-0.5,)))),
    OpInfo("sign", lambda x: x.sign(), np.sign, unary(), grad=False),
    # -- reductions (axis None / int / negative / tuple, keepdims) --
    OpInfo("sum", lambda x, axis, keepdims: x.sum(axis, keepdims), np.sum, reduction()),
    OpInfo("mean", lambda x, axis, keepdims: x.mean(axis, keepdims), np.mean, reduction()),
    OpInfo("var", lambda x, axis, keepdims, ddof: x.var(axis, ddof=ddof, keepdims=keepdims),
           lambda x, axis, keepdims, ddof: np.var(x, axis=axis, ddof=ddof, keepdims=keepdims),
           reduction(grid(-3, 3), unique=True, ddof=True), tol32=(1e-3, 1e-4)),
    OpInfo("std", lambda x, axis, keepdims, ddof: x.std(axis, ddof=ddof, keepdims=keepdims),
           lambda x, axis, keepdims, ddof: np.std(x, axis=axis, ddof=ddof, keepdims=keepdims),
           reduction(grid(-3, 3), unique=True, ddof=True, min_count=2), tol32=(1e-3, 1e-4)),   # distinct: std > 0
    OpInfo("max", lambda x, axis, keepdims: x.max(axis, keepdims), np.max, reduction(grid(-3, 3), unique=True)),
    OpInfo("min", lambda x, axis, keepdims: x.min(axis, keepdims), np.min, reduction(grid(-3, 3), unique=True)),
    OpInfo("logsumexp", lambda x, axis, keepdims: x.logsumexp(axis, keepdims), logsumexp_ref, reduction()),
    OpInfo("softmax", lambda x, axis: x.softmax(axis), special.softmax, along_axis()),
    OpInfo("log_softmax", lambda x, axis: x.log_softmax(axis), special.log_softmax, along_axis()),
    # -- linear algebra --
    OpInfo("matmul", lambda x, y: x @ y, np.matmul, matmul_pair()),
    OpInfo("matmul_fn", lambda x, y: tg.matmul(x, y), np.matmul, matmul_pair()),
    OpInfo("rmatmul_array", lambda y, c: c @ y, lambda y, c: c @ y,
           st.tuples(array((3, 2)), array((2, 3))).map(lambda a: ((a[0],), {"c": a[1]}))),
    OpInfo("dot", lambda x, y: tg.dot(x, y), np.dot, dot_pair()),
    OpInfo("einsum", lambda *xs, subscripts: tg.einsum(subscripts, *xs), lambda *xs, subscripts: np.einsum(subscripts, *xs),
           einsum_operands()),
    OpInfo("einsum_broadcast", lambda *xs, subscripts: tg.einsum(subscripts, *xs),
           lambda *xs, subscripts: np.einsum(subscripts, *xs), einsum_operands(broadcast=True)),
    OpInfo("outer", lambda x, y: tg.outer(x, y), np.outer,
           st.tuples(array(SHAPES_1D_UP), array(SHAPES_1D_UP)).map(lambda a: (a, {}))),
    # -- shape --
    OpInfo("reshape", lambda x, shape: x.reshape(shape), lambda x, shape: x.reshape(shape), reshape_args()),
    OpInfo("reshape_varargs", lambda x, shape: x.reshape(*shape), lambda x, shape: x.reshape(shape), reshape_args()),
    OpInfo("transpose", lambda x, axes: x.transpose(axes), np.transpose, permute_args()),
    OpInfo("permute", lambda x, axes: x.permute(*axes), np.transpose, permute_args()),
    OpInfo("T", lambda x: x.T, lambda x: x.T, unary()),
    OpInfo("swapaxes", lambda x, axis1, axis2: x.swapaxes(axis1, axis2), np.swapaxes, swapaxes_args()),
    OpInfo("broadcast_to", lambda x, shape: x.broadcast_to(shape), np.broadcast_to, broadcast_to_args()),
    OpInfo("expand", lambda x, shape: x.expand(*shape), np.broadcast_to, broadcast_to_args()),
    OpInfo("squeeze", lambda x, axis: x.squeeze(axis), np.squeeze, squeeze_args()),
    OpInfo("unsqueeze", lambda x, axis: x.unsqueeze(axis), np.expand_dims, unsqueeze_args()),
    OpInfo("flatten", lambda x, start_dim, end_dim: x.flatten(start_dim, end_dim),
           lambda x, start_dim, end_dim: x.reshape(x.shape[:start_dim] + (-1,) + x.shape[end_dim % x.ndim + 1:]),
           flatten_args()),
    OpInfo("concatenate", lambda *xs, axis: tg.concatenate(xs, axis=axis), lambda *xs, axis: np.concatenate(xs, axis),
           concat_args()),
    OpInfo("cat", lambda *xs, axis: tg.cat(list(xs), axis), lambda *xs, axis: np.concatenate(xs, axis), concat_args()),
    OpInfo("stack", lambda *xs, axis: tg.stack(xs, axis=axis), lambda *xs, axis: np.stack(xs, axis), concat_args(same=True)),
    OpInfo("split", lambda x, cut, axis: tg.split(x, cut, axis), split_ref, split_args()),
    OpInfo("pad", lambda x, pad_width, value: x.pad(pad_width, value),
           lambda x, pad_width, value: np.pad(x, pad_width, constant_values=value), pad_args()),
    OpInfo("flip", lambda x, axis: x.flip(axis), np.flip, flip_args()),
    OpInfo("repeat", lambda x, repeats, axis: x.repeat(repeats, axis), np.repeat, repeat_args()),
    OpInfo("tril", lambda x, k: x.tril(k), np.tril, tri_args()),
    OpInfo("triu", lambda x, k: x.triu(k), np.triu, tri_args()),
    # -- indexing --
    OpInfo("getitem_basic", lambda x, index: x[index], lambda x, index: x[index], basic_index_args()),
    OpInfo("getitem_int_array", lambda x, index: x[index], lambda x, index: x[index], integer_array_index_args()),
    OpInfo("getitem_int_list", lambda x, index: x[index], lambda x, index: x[np.array(index)], int_list_index_args()),
    OpInfo("getitem_bool_mask", lambda x, index: x[index], lambda x, index: x[index], bool_mask_args()),
    OpInfo("getitem_bool_tensor", lambda x, index: x[tg.Tensor(index)], lambda x, index: x[index], bool_mask_args()),
    # -- array operations (array_ops.py) --
    OpInfo("cumsum", lambda x, axis: x.cumsum(axis), lambda x, axis: np.cumsum(x, axis=axis), scan_args()),
    OpInfo("cumprod", lambda x, axis: A.cumprod(x, axis), lambda x, axis: np.cumprod(x, axis=axis),
           scan_args(st.one_of(st.just(0.0), reals(-2, 2)))),   # zeros on purpose: no division by x
    OpInfo("diagonal", lambda x, offset, axis1, axis2: x.diagonal(offset, axis1, axis2), np.diagonal, diagonal_args()),
    OpInfo("diag", lambda x, k: A.diag(x, k), lambda x, k: np.diag(x, k), diag_args()),
    OpInfo("trace", lambda x, offset, axis1, axis2: x.trace(offset, axis1, axis2),
           lambda x, offset, axis1, axis2: np.trace(x, offset, axis1, axis2), diagonal_args()),
    OpInfo("einsum_diagonal_ellipsis", lambda *xs, subscripts: tg.einsum(subscripts, *xs),
           lambda *xs, subscripts: np.einsum(subscripts, *xs), einsum_general()),
    OpInfo("sort", lambda x, axis: A.sort(x, axis), lambda x, axis: np.sort(x, axis=axis),
           scan_args(grid(-3, 3), unique=True)),
    OpInfo("topk", lambda x, axis, k, largest: A.topk(x, k, axis, largest)[0], topk_ref, topk_args()),
    OpInfo("argsort", lambda x, axis: x.argsort(axis), lambda x, axis: np.argsort(x, axis=axis),
           scan_args(grid(-3, 3), unique=True), grad=False),
    OpInfo("take_along_axis", lambda x, indices, axis: A.take_along_axis(x, indices, axis), np.take_along_axis,
           take_along_axis_args()),
    OpInfo("roll", lambda x, shift, axis: A.roll(x, shift, axis), np.roll, roll_args()),
    OpInfo("logaddexp", lambda x, y: A.logaddexp(x, y), np.logaddexp, broadcast_pair()),
    OpInfo("floor", lambda x: A.floor(x), np.floor, unary(), grad=False),
    OpInfo("ceil", lambda x: A.ceil(x), np.ceil, unary(), grad=False),
    OpInfo("round", lambda x, decimals: x.round(decimals), lambda x, decimals: np.round(x, decimals),
           unary(decimals=st.integers(0, 2)), grad=False),
    OpInfo("searchsorted", lambda a, v, side: a.searchsorted(v, side), lambda a, v, side: np.searchsorted(a, v, side),
           searchsorted_args(), grad=False),
]

BY_NAME = {op.name: op for op in OPS}
assert len(BY_NAME) == len(OPS), "duplicate OpInfo names"
