"""A safe parser for the math expressions typed on the command line (`gradcheck`, `graph`, `trace`).

    >>> e = parse_expression("sin(x) * exp(y) + x**2")
    >>> e.variables
    ('x', 'y')
    >>> round(e.evaluate({"x": Value(0.5), "y": Value(1.2)}).data, 6)
    1.841749

Python's own parser (`ast.parse`) reads the text into a syntax tree, and only a small whitelist of
node kinds is accepted: numbers, names, + - * / ** @, unary minus/plus, parentheses, and calls of
the library functions listed in FUNCTIONS (with a few named constant arguments such as axis=).
Nothing is ever passed to eval/exec; attribute access, subscripts, lambdas, comprehensions,
strings, f-strings and every other construct are rejected with an `ExpressionError` (a ValueError
with a one-line message) before anything runs. Numbers are evaluated as floats, so 9**9**9 is inf,
not a billion-digit integer.

`evaluate(env)` builds the computation from the Values / Tensors bound to the variables, with the
library's own operations, so the result has a graph to differentiate, draw or trace. Every new node
is labelled with the piece of the expression that made it (e.g. "sin(x)").

`parse_assignment("x=0.5")`, `"W=randn(3,4)"`, `"v=[1,2,3]"` gives (name, Value or Tensor) for the
command line's `--at` options; arrays are float64 and require grad.
"""
from __future__ import annotations

import ast
import math
import re
import warnings

import numpy as np

from . import ops
from .autograd.tensor import Tensor, ShapeError, matmul, maximum, minimum, outer
from .autograd.value import Value

MAX_LENGTH = 2000       # characters of one expression
MAX_DEPTH = 60          # nesting of the syntax tree
MAX_ELEMENTS = 1_000_000  # elements of an array made by randn(...) and friends
CONSTANTS = {"pi": math.pi, "e": math.e}


class ExpressionError(ValueError):
    """A malformed or unsafe expression, or one that cannot be evaluated (one-line message)."""


def _reduction(name):
    def fn(x, axis=None, keepdims=False):
        if not isinstance(x, Tensor):
            raise ExpressionError(f"{name}() needs an array argument; bind the variable to an array "
                                  "(e.g. --at 'v=[1,2,3]')")
        return getattr(x, name)(axis=axis, keepdims=keepdims)
    return fn


def _max_min(name, pairwise):
    reduce = _reduction(name)

    def fn(x, y=None, axis=None, keepdims=False):
        if y is None:
            return reduce(x, axis=axis, keepdims=keepdims)
        return _pairwise(pairwise, x, y)
    return fn


def _pairwise(fn, x, y):
    if isinstance(x, Value) or isinstance(y, Value):
        x, y = (v if isinstance(v, Value) else Value(v) for v in (x, y))
        return x.maximum(y) if fn is maximum else x.minimum(y)
    return fn(x, y)


def _tensor_only(name):
    method = getattr(ops, name)

    def fn(x, **kw):
        if isinstance(x, Value):
            raise ExpressionError(f"{name}() is defined for arrays only (the scalar engine has no {name}); "
                                  "bind the variable to an array, e.g. --at 'x=[0.5]'")
        return method(x, **kw)
    return fn


# name -> (function, keyword arguments it accepts). The functions are the library's own, so the
# result is a graph of the library's primitives.
FUNCTIONS = {name: (getattr(ops, name), ()) for name in
             ("exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "softplus", "abs")}
FUNCTIONS.update({
    "leaky_relu": (ops.leaky_relu, ("slope",)),
    **{name: (_tensor_only(name), ()) for name in ("log1p", "erf", "selu", "gelu", "silu")},
    "elu": (_tensor_only("elu"), ("alpha",)),
    **{name: (_reduction(name), ("axis", "keepdims")) for name in ("sum", "mean", "logsumexp")},
    "var": (_tensor_only("var"), ("axis", "ddof", "keepdims")),
    "std": (_tensor_only("std"), ("axis", "ddof", "keepdims")),
    "softmax": (_tensor_only("softmax"), ("axis",)),
    "log_softmax": (_tensor_only("log_softmax"), ("axis",)),
    "max": (_max_min("max", maximum), ("axis", "keepdims")),
    "min": (_max_min("min", minimum), ("axis", "keepdims")),
    "maximum": (lambda x, y: _pairwise(maximum, x, y), ()),
    "minimum": (lambda x, y: _pairwise(minimum, x, y), ()),
    "matmul": (matmul, ()),
    "dot": (matmul, ()),
    "outer": (outer, ()),
    "transpose": (_tensor_only("transpose"), ()),
})

_BINARY = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
           ast.Div: lambda a, b: a / b, ast.Pow: lambda a, b: a ** b, ast.MatMult: lambda a, b: matmul(a, b)}
_SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.MatMult: "@"}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _describe(node):
    """A short name for a rejected syntax element, for the error message."""
    kinds = {ast.Attribute: "attribute access", ast.Subscript: "indexing", ast.Lambda: "lambda",
             ast.ListComp: "a comprehension", ast.SetComp: "a comprehension", ast.DictComp: "a comprehension",
             ast.GeneratorExp: "a generator", ast.JoinedStr: "an f-string", ast.Compare: "a comparison",
             ast.BoolOp: "and/or", ast.IfExp: "if/else", ast.NamedExpr: ":=", ast.Starred: "*unpacking",
             ast.Dict: "a dict", ast.Set: "a set", ast.Tuple: "a tuple", ast.List: "a list",
             ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield"}
    return kinds.get(type(node), type(node).__name__)


def _parse(text, what):
    if not isinstance(text, str):
        raise ExpressionError(f"{what} must be a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"{what} is too long ({len(text)} characters; at most {MAX_LENGTH})")
    if not text.strip():
        raise ExpressionError(f"{what} is empty")
    try:
        with warnings.catch_warnings():  # e.g. "1if x": Python's SyntaxWarning is noise for a CLI user
            warnings.simplefilter("ignore", SyntaxWarning)
            return ast.parse(text.strip(), mode="eval").body
    except SyntaxError as e:
        raise ExpressionError(f"{what} is not valid syntax: {e.msg} (at column {e.offset or '?'})") from None
    except (ValueError, RecursionError, MemoryError, OverflowError) as e:
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ExpressionError(f"{what} cannot be parsed: {reason}") from None


def _number(value):
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ExpressionError(f"only numbers are allowed as constants, got {type(value).__name__} {value!r:.30}")
    try:
        return float(value)
    except OverflowError:
        raise ExpressionError(f"the number {str(value)[:20]}... is too large for a float") from None


class _Validator:
    """Walk the tree once, rejecting everything outside the whitelist and collecting the names."""

    def __init__(self):
        self.variables = set()

    def visit(self, node, depth=0):
        if depth > MAX_DEPTH:
            raise ExpressionError(f"the expression is nested too deeply (more than {MAX_DEPTH} levels)")
        if isinstance(node, ast.Constant):
            _number(node.value)
        elif isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                raise ExpressionError(f"'{node.id}' is a function: call it, e.g. {node.id}(x)")
            if node.id not in CONSTANTS:
                self.variables.add(node.id)
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            self.visit(node.left, depth + 1)
            self.visit(node.right, depth + 1)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            self.visit(node.operand, depth + 1)
        elif isinstance(node, ast.Call):
            self._call(node, depth)
        elif isinstance(node, ast.BinOp):
            raise ExpressionError(f"operator {type(node.op).__name__} is not allowed; use + - * / ** @")
        elif isinstance(node, ast.UnaryOp):
            raise ExpressionError(f"unary operator {type(node.op).__name__} is not allowed; only - and +")
        else:
            raise ExpressionError(f"{_describe(node)} is not allowed in an expression")

    def _call(self, node, depth):
        if not isinstance(node.func, ast.Name):
            raise ExpressionError(f"only the library's functions can be called ({_describe(node.func)} is not allowed)")
        name = node.func.id
        if name not in FUNCTIONS:
            raise ExpressionError(f"unknown function '{name}'; known: {', '.join(sorted(FUNCTIONS))}")
        _, keywords = FUNCTIONS[name]
        if not node.args:
            raise ExpressionError(f"{name}() needs an argument")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise ExpressionError("*unpacking is not allowed in an expression")
            self.visit(arg, depth + 1)
        for kw in node.keywords:
            if kw.arg is None or kw.arg not in keywords:
                allowed = f"; it accepts {', '.join(keywords)}" if keywords else ""
                raise ExpressionError(f"{name}() has no keyword argument '{kw.arg or '**'}'{allowed}")
            _keyword_value(kw.value)


def _keyword_value(node):
    """A keyword argument's value: a number, True/False, or a tuple of integers (an axis list)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, bool | int | float):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) \
            and type(node.operand.value) in (int, float):
        return -node.operand.value
    if isinstance(node, ast.Tuple) and all(isinstance(e, ast.Constant) and type(e.value) is int for e in node.elts):
        return tuple(e.value for e in node.elts)
    raise ExpressionError("keyword arguments must be numbers, True/False or tuples of integers")


def _safe_pow(a, b):
    try:
        return a ** b
    except OverflowError:
        return math.inf if a > 0 or b % 2 == 0 else -math.inf
    except ZeroDivisionError:
        return math.inf


class Expression:
    """A validated expression: `.variables` (sorted names) and `.evaluate(env)`."""

    def __init__(self, text, tree, variables):
        self.text, self._tree = text, tree
        self.variables = tuple(sorted(variables))

    def __repr__(self):
        return f"Expression({self.text!r})"

    def evaluate(self, env):
        """The expression's value built from env (name -> Value, Tensor or number)."""
        missing = [v for v in self.variables if v not in env]
        if missing:
            raise ExpressionError(f"no value for {', '.join(missing)}")
        try:
            return self._eval(self._tree, env)
        except ExpressionError:
            raise
        except (ShapeError, ValueError, TypeError, ArithmeticError, MemoryError) as e:
            message = " ".join(line.strip() for line in str(e).splitlines()) or type(e).__name__
            raise ExpressionError(f"cannot evaluate {self.text!r}: {message}") from None

    def _eval(self, node, env):
        if isinstance(node, ast.Constant):
            return _number(node.value)
        if isinstance(node, ast.Name):
            return env[node.id] if node.id in env else CONSTANTS[node.id]
        if isinstance(node, ast.UnaryOp):
            x = self._eval(node.operand, env)
            return self._label(-x, node) if isinstance(node.op, ast.USub) else x
        if isinstance(node, ast.BinOp):
            a, b = self._eval(node.left, env), self._eval(node.right, env)
            if isinstance(a, float) and isinstance(b, float):
                if isinstance(node.op, ast.Pow):
                    return _safe_pow(a, b)
                if isinstance(node.op, ast.Div) and b == 0:
                    raise ExpressionError(f"division by zero in {self._segment(node)!r}")
                if isinstance(node.op, ast.MatMult):
                    raise ExpressionError(f"@ needs arrays, got numbers in {self._segment(node)!r}")
            return self._label(_BINARY[type(node.op)](a, b), node)
        fn, _ = FUNCTIONS[node.func.id]
        args = [self._eval(a, env) for a in node.args]
        kwargs = {kw.arg: _keyword_value(kw.value) for kw in node.keywords}
        constant = all(isinstance(a, float) for a in args)
        result = fn(*args, **kwargs)
        if constant and isinstance(result, Value | Tensor) and np.size(result.data) == 1:
            return float(result.data)  # a function of constants is a constant
        return self._label(result, node)

    def _segment(self, node):
        # A constant's value is evaluated without its text (`_constant`): then the tree speaks.
        segment = ast.get_source_segment(self.text.strip(), node) if self.text else None
        return segment or ast.unparse(node)

    def _label(self, result, node):
        if isinstance(result, Value | Tensor) and result.label is None and not result.is_leaf:
            result.label = self._segment(node)[:60]
        return result


def parse_expression(text) -> Expression:
    """Validate `text` (see the module docstring for what is allowed); raise ExpressionError."""
    tree = _parse(text, "the expression")
    validator = _Validator()
    validator.visit(tree)
    return Expression(text, tree, validator.variables)


# ---- --at NAME=VALUE ---------------------------------------------------------------------------------

_ARRAY_MAKERS = {
    "randn": lambda rng, shape: rng.standard_normal(shape),
    "rand": lambda rng, shape: rng.random(shape),
    "zeros": lambda rng, shape: np.zeros(shape),
    "ones": lambda rng, shape: np.ones(shape),
}


def _shape(node, name):
    dims = []
    for a in node.args:
        if not (isinstance(a, ast.Constant) and type(a.value) is int and a.value > 0):
            raise ExpressionError(f"{name}(...) takes positive integer sizes, e.g. {name}(3, 4)")
        dims.append(a.value)
    if not dims or node.keywords:
        raise ExpressionError(f"{name}(...) takes positive integer sizes, e.g. {name}(3, 4)")
    if math.prod(dims) > MAX_ELEMENTS:
        raise ExpressionError(f"{name}{tuple(dims)} has more than {MAX_ELEMENTS} elements")
    return tuple(dims)


def _nested(node):
    """A nested list of constant expressions -> nested list of floats."""
    if isinstance(node, ast.List):
        if not node.elts:
            raise ExpressionError("an empty list is not an array")
        return [_nested(e) for e in node.elts]
    return _constant(node)


def _constant(node):
    """The float value of an expression tree without variables."""
    validator = _Validator()
    validator.visit(node)
    if validator.variables:
        raise ExpressionError(f"a value cannot refer to variables ({', '.join(sorted(validator.variables))})")
    value = Expression("", node, ()).evaluate({})
    if not isinstance(value, float):
        raise ExpressionError("a value must be a number, a list of numbers, or randn/rand/zeros/ones(sizes)")
    return value


def parse_assignment(text, rng=None):
    """`NAME=VALUE` -> (name, Value or float64 Tensor with requires_grad=True).

    VALUE is a constant expression (0.5, -pi/4, 1e-3), a nested list of them ([1, 2, 3]), or
    randn/rand/zeros/ones(sizes...) drawn from `rng` (default: numpy's generator seeded with 0).
    """
    if not isinstance(text, str) or "=" not in text:
        raise ExpressionError(f"expected NAME=VALUE, got {text!r:.60}")
    name, _, value = text.partition("=")
    name = name.strip()
    if not _NAME.match(name) or name in FUNCTIONS or name in CONSTANTS:
        reason = "a function or constant name" if name in FUNCTIONS or name in CONSTANTS else "not a valid name"
        raise ExpressionError(f"{name!r:.40} cannot be assigned: it is {reason}")
    node = _parse(value, f"the value of {name}")
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _ARRAY_MAKERS:
        rng = np.random.default_rng(0) if rng is None else rng
        array = _ARRAY_MAKERS[node.func.id](rng, _shape(node, node.func.id))
    elif isinstance(node, ast.List):
        values = _nested(node)
        try:
            array = np.array(values, dtype=np.float64)
        except ValueError:
            raise ExpressionError(f"the list for {name} is ragged: every row needs the same length") from None
        if array.size > MAX_ELEMENTS:
            raise ExpressionError(f"the list for {name} has more than {MAX_ELEMENTS} elements")
    else:
        number = _constant(node)
        if not math.isfinite(number):
            raise ExpressionError(f"the value of {name} is not finite ({number})")
        return name, Value(number, label=name)
    if not np.all(np.isfinite(array)):
        raise ExpressionError(f"the array for {name} has non-finite entries")
    return name, Tensor(array, requires_grad=True, dtype=np.float64, label=name)
