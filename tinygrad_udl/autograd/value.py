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

import numbers

from . import rules as R
from .backends import ScalarMath
from .graph import Node, _mode, run_backward


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

    def __add__(self, other):
        return _binary(R.ADD, self, other)

    def __radd__(self, other):
        return _binary(R.ADD, other, self)

    def __sub__(self, other):
        return _binary(R.SUB, self, other)

    def __rsub__(self, other):
        return _binary(R.SUB, other, self)

    def __mul__(self, other):
        return _binary(R.MUL, self, other)

    def __rmul__(self, other):
        return _binary(R.MUL, other, self)

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
        out._parents, out._rule, out._ctx = (), None, None
    return out


def _unary(rule, x):
    return _make(rule, rule.forward(ScalarMath, x.data), (x,))


def _constant(x):
    """A leaf for a Python number operand (the fast path of Value(x) for floats)."""
    out = Value.__new__(Value)
    out.data = x if type(x) is float else _to_float(x)
    out.grad = 0.0
    out.label = None
    out._parents, out._rule, out._ctx = (), None, None
    return out


def _binary(rule, a, b):
    if type(a) is not Value:
        if not isinstance(a, numbers.Real):
            return NotImplemented  # e.g. Tensor * Value: let the Tensor handle it
        a = _constant(a)
    if type(b) is not Value:
        if not isinstance(b, numbers.Real):
            return NotImplemented
        b = _constant(b)
    out = Value.__new__(Value)
    out.data = rule.forward(ScalarMath, a.data, b.data)
    out.grad = 0.0
    out.label = None
    if _mode.enabled:
        out._parents, out._rule, out._ctx = (a, b), rule, None
    else:
        out._parents, out._rule, out._ctx = (), None, None
    return out


class ValueOps:
    """The node namespace for create_graph-mode VJPs on Values (mirrors `ScalarMath`)."""

    exp = staticmethod(Value.exp)
    pow = staticmethod(Value.__pow__)
    log = staticmethod(Value.log)
    sin = staticmethod(Value.sin)
    cos = staticmethod(Value.cos)
    sigmoid = staticmethod(Value.sigmoid)

    @staticmethod
    def sign(x):
        return ScalarMath.sign(x.data)  # a constant: no gradient flows through sign

    @staticmethod
    def where(cond, a, b):
        return a if cond else b

    @staticmethod
    def tie_weight(x, y):
        return ScalarMath.tie_weight(x.data, y.data)

    unbroadcast = None  # scalars never broadcast


Value._node_ops = ValueOps
