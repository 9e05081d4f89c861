"""`Value`: one node per number, as in the backpropagation chapter (section 7.3).

    >>> x = Value(2.0, label="x")
    >>> y = (x * x).sin()
    >>> y.backward()
    >>> round(x.grad, 6)   # d sin(x^2)/dx = 2x cos(x^2)
    -2.614574

Every Value keeps its gradient (`.grad`, a float, or a `Value` after `backward(create_graph=True)`),
so a reader can inspect each partial derivative of the book's toy example. The maths lives in
`rules.py` (shared with `Tensor`); this module only wraps floats into nodes.
"""
from __future__ import annotations

import math
import numbers

from . import rules as R
from .backends import ScalarMath
from .graph import UNRECORDED, Node, _mode, run_backward
from .operators import add_arithmetic_operators


def _to_float(data, what="Value"):
    if type(data) is float:
        return data
    if isinstance(data, numbers.Real):
        return float(data)
    shape = getattr(data, "shape", None)
    if shape == () and getattr(getattr(data, "dtype", None), "kind", "") in "biuf":
        return float(data)  # a 0-d numpy array
    raise TypeError(f"{what}: expected a real number (int or float), got {type(data).__name__} {data!r:.60}. "
                    "Use Tensor for arrays.")


class Value(Node):
    """A scalar node: `Value(data, label=None)` with `.data` (float), `.grad` and `.backward()`.

    NaN policy: NaN and inf are accepted and propagate as in IEEE arithmetic (and as in numpy and
    PyTorch); operations outside their domain (log or sqrt of a negative number, a negative base to a
    non-integer power) raise ValueError naming the operation.
    `==` is identity (a node is not its number); `<`, `<=`, `>`, `>=` compare `.data` and return bool.
    """

    __slots__ = ("data", "grad", "label")
    _raw_ops = ScalarMath

    def __init__(self, data, label=None):
        self.data = _to_float(data)
        self.grad = 0.0
        self.label = label
        self._parents = ()
        self._rule = None
        self._ctx = None

    def __repr__(self):
        name = f"{self.label}: " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={_fmt(self.grad)})"

    # ---- autograd ---------------------------------------------------------------------------------

    def backward(self, grad=1.0, *, retain_graph=None, create_graph=False):
        """Accumulate d(self)/d(node) into `.grad` of every node of the graph (seeded with `grad`).

        A second backward through the same graph raises unless the first used `retain_graph=True`;
        with `create_graph=True` the gradients are Values with graphs of their own (second
        derivatives), and the graph is retained.
        """
        if self._ctx is UNRECORDED:
            raise RuntimeError("backward(): this Value was computed under no_grad(), so no graph was recorded and "
                               "no gradient can reach its inputs. Compute it outside no_grad() to differentiate it.")
        if retain_graph is None:
            retain_graph = create_graph
        seed = Value(grad) if create_graph else _to_float(grad, "backward(grad=...)")
        run_backward([self], [seed], retain_graph=retain_graph, create_graph=create_graph)

    # Every Value takes part in backward and keeps its gradient, so that each partial derivative
    # of a scalar computation can be read off (and drawn).
    requires_grad = True
    _retains_grad = True
    _hooks = None
    _cleared_grad = 0.0

    def _accumulate_grad(self, g):
        self.grad = self.grad + g

    # ---- arithmetic -------------------------------------------------------------------------------
    # +, -, * and their reflected forms are Tensor's too: operators.py, attached below `_binary`.

    def __truediv__(self, other):
        if _data(other) == 0:
            raise ZeroDivisionError(f"Value division: {self.data:g} / 0")
        return _binary(R.DIV, self, other)

    def __rtruediv__(self, other):
        if self.data == 0:
            raise ZeroDivisionError(f"Value division: {_data(other):g} / 0")
        return _binary(R.DIV, other, self)

    def __neg__(self):
        return _make(R.NEG, -self.data, (self,))

    def __pos__(self):
        return self

    def __pow__(self, other):
        if isinstance(other, Value):
            _check_pow(self.data, other.data)
            return _binary(R.POW, self, other)
        c = _to_float(other, "Value ** exponent")
        _check_pow(self.data, c)
        return _make(R.POW_CONST, ScalarMath.pow(self.data, c), (self,), {"c": c})

    def __rpow__(self, other):
        _check_pow(_to_float(other, "base ** Value"), self.data)
        return _binary(R.POW, other, self)

    def __abs__(self):
        return _make(R.ABS, abs(self.data), (self,))

    # Ordering compares the numbers; == stays identity so that Values can live in sets and dicts.
    def __lt__(self, other):
        return self.data < _data(other)

    def __le__(self, other):
        return self.data <= _data(other)

    def __gt__(self, other):
        return self.data > _data(other)

    def __ge__(self, other):
        return self.data >= _data(other)

    __hash__ = Node.__hash__

    def __float__(self):
        return self.data

    # ---- functions (section 3.1 activations, the toy model's sin/exp/cos, eq. 7.5) ----------------

    def exp(self):
        return _unary(R.EXP, self)

    def log(self):
        if self.data < 0:
            raise ValueError(f"log: input {self.data:g} is negative; log is defined for x > 0 (log(0) = -inf)")
        return _unary(R.LOG, self)

    def sqrt(self):
        if self.data < 0:
            raise ValueError(f"sqrt: input {self.data:g} is negative; sqrt is defined for x >= 0")
        return _unary(R.SQRT, self)

    def sin(self):
        return _unary(R.SIN, self)

    def cos(self):
        return _unary(R.COS, self)

    def tan(self):
        return _unary(R.TAN, self)

    def tanh(self):
        return _unary(R.TANH, self)

    def sigmoid(self):
        return _unary(R.SIGMOID, self)

    def relu(self):
        return _unary(R.RELU, self)

    def leaky_relu(self, slope=0.01):
        return _make(R.LEAKY_RELU, R.LEAKY_RELU.forward(ScalarMath, self.data, slope), (self,), {"slope": slope})

    def softplus(self):
        return _unary(R.SOFTPLUS, self)

    def abs(self):
        return abs(self)

    def maximum(self, other):
        return _binary(R.MAXIMUM, self, other)

    def minimum(self, other):
        return _binary(R.MINIMUM, self, other)


def _fmt(g):
    return f"{g:.6g}" if isinstance(g, float) else repr(g)


def _data(x):
    return x.data if isinstance(x, Value) else _to_float(x, "Value operand")


def _check_pow(base, exponent):
    if base < 0 and exponent != int(exponent):
        raise ValueError(f"pow: negative base {base:g} to the non-integer power {exponent:g} is not a real number")


def _make(rule, data, parents, ctx=None):
    out = Value.__new__(Value)
    out.data = data
    out.grad = 0.0
    out.label = None
    if _mode.enabled:
        out._parents, out._rule, out._ctx = parents, rule, ctx
    else:
        out._parents, out._rule, out._ctx = (), None, UNRECORDED
    return out


def _unary(rule, x):
    return _make(rule, rule.forward(ScalarMath, x.data), (x,))


# For each two-input op, its forms with a Python number on the left (c op x) and on the right.
_WITH_NUMBER = {rule: (R.with_constant(rule, 0), R.with_constant(rule, 1))
                for rule in (R.ADD, R.SUB, R.MUL, R.DIV, R.POW, R.MAXIMUM, R.MINIMUM)}


def _binary(rule, a, b):
    """A two-input op; a Python number operand is a constant of the call (`rules.with_constant`),
    not a node: fewer nodes to record, sort and collect (and PyTorch's treatment of scalars)."""
    if type(a) is Value:
        if type(b) is Value:
            data, parents, ctx = rule.forward(ScalarMath, a.data, b.data), (a, b), None
        else:
            c = _number(b)
            if c is None:
                return NotImplemented  # e.g. Value * Tensor: let the Tensor handle it
            data, parents, ctx = rule.forward(ScalarMath, a.data, c), (a,), _constant_params(c)
            rule = _WITH_NUMBER[rule][1]
    else:
        c = _number(a)
        if c is None:
            return NotImplemented
        data, parents, ctx = rule.forward(ScalarMath, c, b.data), (b,), _constant_params(c)
        rule = _WITH_NUMBER[rule][0]
    return _make(rule, data, parents, ctx)


add_arithmetic_operators(Value, _binary)


def _constant_params(c):
    """The `{"c": c}` of a node with a constant operand, one shared dict per number. Scalar code
    uses a few numbers many times (the 0.9 and 0.1 of every step of a chain, the 1 of a hinge loss):
    sharing saves an allocation per node, and with it about a third of the garbage collector's
    full passes over a large graph (docs/performance.md). Nodes never mutate their `_ctx`."""
    params = _SHARED_PARAMS.get(c)
    if params is None or (c == 0 and math.copysign(1.0, c) != math.copysign(1.0, params["c"])):
        params = {"c": c}   # first use, or the other zero (0.0 == -0.0 as dict keys)
        if len(_SHARED_PARAMS) >= 1024:
            _SHARED_PARAMS.clear()   # bounded: data values used once each do not pile up
        _SHARED_PARAMS[c] = params
    return params


_SHARED_PARAMS: dict = {}


def _number(x):
    """x as a float if it is a real number, else None."""
    if type(x) is float:
        return x
    return _to_float(x) if isinstance(x, numbers.Real) else None


def _on_nodes(method, raw):
    """A ValueOps function: the Value method for a node; for a number (the constant `c` of a
    `with_constant` rule, or a value computed from it) the plain ScalarMath function."""
    return staticmethod(lambda x, *args: method(x, *args) if type(x) is Value else raw(x, *args))


class ValueOps(metaclass=R.Namespace):
    """The node namespace for create_graph-mode VJPs on Values (mirrors `ScalarMath`)."""

    @staticmethod
    def call(prim, *args, **params):
        nodes = tuple(a if type(a) is Value else Value(a) for a in args)
        return _make(prim, prim.forward(ScalarMath, *[v.data for v in nodes], **params), nodes, params or None)

    exp = _on_nodes(Value.exp, ScalarMath.exp)
    pow = _on_nodes(Value.__pow__, ScalarMath.pow)
    log = _on_nodes(Value.log, ScalarMath.log)
    sin = _on_nodes(Value.sin, ScalarMath.sin)
    cos = _on_nodes(Value.cos, ScalarMath.cos)
    sigmoid = _on_nodes(Value.sigmoid, ScalarMath.sigmoid)

    @staticmethod
    def sign(x):
        return ScalarMath.sign(_data(x))  # a constant: no gradient flows through sign

    @staticmethod
    def where(cond, a, b):
        return a if cond else b

    @staticmethod
    def tie_weight(x, y):
        return ScalarMath.tie_weight(_data(x), _data(y))

    unbroadcast = None  # scalars never broadcast


Value._node_ops = ValueOps


# ---- between the two engines ------------------------------------------------------------------------


def from_values(values, *, dtype=None, requires_grad=False):
    """A `Tensor` of the numbers held by `values`: a Value, or a (nested) list or tuple of Values
    and plain numbers, shaped as `Tensor([[...], ...])` would shape the numbers (as
    `tinygrad_udl.from_numpy` makes a Tensor of an array).

    The graph is cut: the Tensor is a new leaf that holds copies of the `.data` of the Values, and
    no gradient flows from it back to them (the two engines keep separate graphs). `dtype=None`
    gives the default float dtype, like `Tensor([...])`; `dtype=np.float64` keeps every digit of
    the Values (which are Python floats).

        x = from_values([Value(1.0), Value(2.0)], dtype=np.float64)   # Tensor([1., 2.])
    """
    from .tensor import Tensor  # tensor.py imports this module (through operands.py)

    def numbers_of(x):
        if isinstance(x, Value):
            return x.data
        if isinstance(x, list | tuple):
            return [numbers_of(v) for v in x]
        if isinstance(x, numbers.Real) and not isinstance(x, bool):
            return float(x)
        raise TypeError(f"from_values: expected Values (or lists of them, or plain numbers), got "
                        f"{type(x).__name__} {x!r:.60}")

    return Tensor(numbers_of(values), dtype=dtype, requires_grad=requires_grad)


def to_values(tensor, label=None):
    """The elements of `tensor` (a Tensor or a numpy array) as new `Value` leaves, in nested lists
    shaped like the tensor (as `tensor.tolist()`); a one-number 0-d tensor gives one Value.

    The graph is cut: the Values start new graphs of their own, so gradients computed through them
    reach their `.grad`, not the tensor's (`from_values([v.grad for v in values])` collects them).
    With `label="w"` the Values are labelled `w[0, 1]` (for graph drawings).

        v = to_values(Tensor([[1.0, 2.0]]), label="x")   # [[Value(x[0, 0]: ...), Value(x[0, 1]: ...)]]
    """
    import numpy as np

    from .tensor import Tensor

    array = np.asarray(tensor.data if isinstance(tensor, Tensor) else tensor)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"to_values: expected real numbers, got dtype {array.dtype}")

    def build(a, index):
        if a.ndim == 0:
            name = None if label is None else (f"{label}[{', '.join(map(str, index))}]" if index else label)
            return Value(float(a), label=name)
        return [build(a[i], index + (i,)) for i in range(a.shape[0])]

    return build(array, ())

