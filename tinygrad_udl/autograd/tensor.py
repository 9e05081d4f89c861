"""`Tensor`: a numpy array node on the same graph core and the same rules as `Value`.

    >>> W = Tensor([[1.0, 2.0], [3.0, 1.0]], requires_grad=True)
    >>> x = Tensor([1.0, -1.0])
    >>> (W @ x).relu().sum().backward()
    >>> W.grad.numpy().tolist()
    [[0.0, 0.0], [1.0, -1.0]]

Dtype policy (as PyTorch, with numpy's promotion): Python numbers and lists take the default float
dtype (`get_default_dtype()`, float32 unless `set_default_dtype` says otherwise); numpy arrays keep
their dtype; a Python scalar operand takes the tensor's dtype; two arrays promote as numpy does.
Only floating-point tensors can require gradients.

Primitives (with derivative rules) are in `rules.py`; the composites are built from them, so
every operation is differentiable to any order. This module holds the class (construction, array
facts, autograd, in-place writes, operators) and `apply`, the entry point every operation goes
through. The rest of Tensor lives in modules of one job each, whose methods `tensor_method`
attaches: `elementwise.py`, `reductions.py`, `shape_ops.py`, `products.py`, `creation.py`, and
`tensor_ops.py` (the namespace of create_graph-mode VJPs); their names are importable from here too.
"""
from __future__ import annotations

import numbers

import numpy as np

from . import rules as R
from .backends import ArrayMath
from .defaults import default_rng, get_default_dtype, manual_seed, set_default_dtype
from .graph import Node, _mode, run_backward, version_sum
from .operators import add_arithmetic_operators
from .shapes import (ShapeError, Size, _axis, _broadcast_message, _count, _reduction_axis,  # noqa: F401
                     _shape_arg, dim_aliases)

# The library (nn, optim, zoo, ...) imports these from here, as before tensor.py was split into the
# modules named below; the private helpers that it, or array_ops.py and linalg.py, import are
# re-exported beside them without being listed.
__all__ = [
    "Tensor", "tensor", "apply", "no_grad_op", "tensor_method", "TensorOps",  # here; tensor_ops.py
    "ShapeError", "Size", "dim_aliases",  # shapes.py
    "set_default_dtype", "get_default_dtype", "manual_seed", "default_rng",  # defaults.py
    "where", "maximum", "minimum",  # elementwise.py
    "concatenate", "cat", "stack", "split",  # shape_ops.py
    "matmul", "dot", "outer", "einsum",  # products.py
    "zeros", "ones", "full", "arange", "linspace", "eye", "randn", "rand", "uniform",  # creation.py
    "zeros_like", "ones_like", "full_like", "randn_like", "rand_like", "one_hot", "from_numpy",
]

# Recording hook for `tinygrad_udl.compile` (tinygrad_udl/compile/): None except while a compiled
# function is being traced, when `apply` reports each primitive call to it (one test per call).
_recorder = None


class Tensor(Node):
    """`Tensor(data, requires_grad=False, dtype=None, label=None)`: an n-d array that records the
    operations made with it, for reverse-mode differentiation (`backward()`, `.grad`)."""

    __slots__ = ("data", "grad", "requires_grad", "label", "_hooks", "_retains_grad", "_version", "_saved_version",
                 "__weakref__")
    _raw_ops = ArrayMath
    _cleared_grad = None
    __array_priority__ = 100  # ndarray (op) Tensor defers to Tensor's reflected operators

    def __init__(self, data, requires_grad=False, dtype=None, label=None):
        self.data = _to_array(data, None if dtype is None else np.dtype(dtype))
        self.grad = None
        self.label = label
        self._parents, self._rule, self._ctx = (), None, None
        self._hooks = None
        self._retains_grad = False
        self._version, self._saved_version = 0, None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_()
        if _recorder is not None:   # compile: a tensor made while tracing (from an argument: it reads it)
            _recorder.created(self, data)

    @classmethod
    def _wrap(cls, array, requires_grad=False):
        """A leaf around an existing array (no copy, no checks): the engine's fast path."""
        t = cls.__new__(cls)
        t.data = array if type(array) is np.ndarray else np.asarray(array)
        t.grad = None
        t.label = None
        t._parents, t._rule, t._ctx = (), None, None
        t._hooks = None
        t._retains_grad = False
        t._version, t._saved_version = 0, None
        t.requires_grad = requires_grad
        return t

    # ---- array facts ------------------------------------------------------------------------------

    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)

    @property
    def size(self):
        """numpy's element count, which PyTorch's `size()` and `size(dim)` also answer with the shape:
        an int that can be called (see `Size`)."""
        return Size(self.data.size, self.data.shape)

    def numel(self):
        return self.data.size

    def dim(self):
        return self.data.ndim

    @property
    def T(self):
        return self.transpose()

    @property
    def mT(self):
        """The last two axes swapped (a batch of matrices transposed), as PyTorch's and numpy's `mT`."""
        if self.ndim < 2:
            raise ShapeError(f"mT: the tensor has shape {self.shape}; it needs at least 2 dimensions")
        return self.swapaxes(-1, -2)

    def numpy(self):
        """The data as a numpy array (shared, not copied: treat it as read-only)."""
        return self.data

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item(): the tensor has {self.data.size} elements (shape {self.shape}); only a one-element tensor converts to a Python number")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __bool__(self):
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __repr__(self):
        body = np.array2string(self.data, precision=4, separator=", ", prefix="Tensor(", threshold=50)
        extra = f", dtype={self.dtype}"
        if self._rule is not None:
            extra += f", op={self._rule.name}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        if self.label:
            extra += f", label={self.label!r}"
        return f"Tensor({body}{extra})"

    __hash__ = Node.__hash__

    # ---- autograd ---------------------------------------------------------------------------------

    def requires_grad_(self, requires_grad=True):
        """Mark a leaf as a variable to differentiate with respect to (in place; returns self)."""
        if self._rule is not None:
            raise RuntimeError(f"requires_grad_(): only leaf tensors can change requires_grad; this one is the result of '{self.op}'. Use .detach() to make a leaf.")
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"requires_grad: only floating-point tensors have gradients, this one is {self.dtype}. Convert with Tensor(data, dtype='float32').")
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self):
        """The same data as a new leaf that does not require grad: gradients stop here."""
        return Tensor._wrap(self.data)

    def retain_grad(self):
        """Keep `.grad` on this non-leaf tensor after backward() (leaves always keep theirs)."""
        self._retains_grad = True
        return self

    def register_hook(self, fn):
        """Call `fn(grad)` when this tensor's gradient is computed; a non-None result replaces it."""
        if not self.requires_grad:
            raise RuntimeError("register_hook(): the tensor does not require grad, so no gradient will reach it")
        self._hooks = (self._hooks or []) + [fn]
        return fn

    def _run_hooks(self, g):
        as_tensor = isinstance(g, Tensor)
        for fn in self._hooks:
            result = fn(g if as_tensor else Tensor._wrap(g))
            if result is not None:
                result = result if isinstance(result, Tensor) else Tensor(result, dtype=self.dtype)
                if result.shape != self.shape:
                    raise ShapeError(f"register_hook: {getattr(fn, '__name__', 'the hook')} returned a gradient of "
                                     f"shape {result.shape} for a tensor of shape {self.shape}; they must match")
                # A copy in raw mode: the engine marks gradient arrays read-only, and the hook's result
                # may be the data of a tensor the user still updates in place.
                g = result if as_tensor else np.array(result.data, dtype=self.dtype)
        return g

    def _accumulate_grad(self, g):
        if type(g) is not np.ndarray:
            if isinstance(g, Tensor):  # create_graph=True: the gradient keeps its graph
                self.grad = g if self.grad is None else self.grad + g
                return
            g = np.asarray(g)
        if g.dtype != self.data.dtype:
            g = g.astype(self.data.dtype)  # the gradient has the dtype of its tensor, as PyTorch
        if self.grad is not None:
            g = self.grad.data + g
            if type(g) is not np.ndarray:
                g = np.asarray(g)   # 0-d arrays add up to a numpy scalar, which has no flags to set
        # Gradient arrays may be shared between tensors (x + y hands both the same upstream
        # gradient), so they are read-only: update them out of place (p.grad = ...), never in place.
        g.flags.writeable = False
        self.grad = Tensor._wrap(g)

    def backward(self, grad=None, retain_graph=None, create_graph=False):
        """Accumulate d(self)/d(leaf) into `.grad` of every leaf that requires grad.

        `grad` is the upstream gradient (needed when self is not a single number). A second
        backward through the same graph raises unless the first used `retain_graph=True`; with
        `create_graph=True` the gradients are tensors with graphs of their own (higher order).
        """
        if not self.requires_grad:
            if self.dtype.kind != "f":
                raise RuntimeError(f"backward(): the tensor has dtype {self.dtype}; only floating-point tensors have gradients")
            raise RuntimeError("backward(): this tensor does not require grad: none of its inputs has requires_grad=True, "
                               "or it was computed under no_grad() or from detach(). Create the inputs with "
                               "Tensor(..., requires_grad=True).")
        if retain_graph is None:
            retain_graph = create_graph
        run_backward([self], [self._seed(grad, "backward", create_graph)], retain_graph=retain_graph,
                     create_graph=create_graph)

    def _seed(self, grad, op, as_tensor):
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(f"{op}(): the output has shape {self.shape}; a gradient can be created implicitly "
                                   "only for a single number. Reduce it first (out.sum()) or pass grad= with the "
                                   "output's shape (e.g. ones_like(out)).")
            seed = np.array(1, self.data.dtype).reshape(self.data.shape)  # (np.ones is 4x slower here)
        else:
            if np.shape(grad) != self.shape:
                raise ShapeError(f"{op}(): grad has shape {np.shape(grad)} but the output has shape {self.shape}; they must match")
            if as_tensor and isinstance(grad, Tensor):
                return grad  # it may carry a graph of its own (double-VJP tricks)
            seed = np.array(grad.data if isinstance(grad, Tensor) else grad, dtype=self.data.dtype)
        return Tensor._wrap(seed) if as_tensor else seed

    # ---- in place (PyTorch's trailing underscore) -------------------------------------------------

    def _write(self, op, write):
        """Change the data in place and bump the version counter, so that a graph recorded with the
        old values refuses to run backward (graph.ModifiedInPlaceError). Refused where the change
        would be recorded into a graph: on a tensor that requires grad, outside no_grad()."""
        if self.requires_grad and (self._rule is not None or _mode.enabled):
            raise RuntimeError(f"{op}(): the tensor requires grad, so changing it in place would corrupt the graph "
                               "that records it. Update parameters inside `with no_grad():`, or build a new tensor.")
        if not self.data.flags.writeable:
            raise ValueError(f"{op}(): the tensor's data is read-only (a gradient array is shared between "
                             "tensors); assign a new tensor instead")
        if _recorder is not None:   # compile: an in-place write inside a traced function is refused
            _recorder.in_place(self, op)
        write(self.data)
        self._version += 1
        return self

    def zero_(self):
        return self._write("zero_", lambda a: a.fill(0))

    def fill_(self, value):
        return self._write("fill_", lambda a: a.fill(_raw(value)))

    def add_(self, other, alpha=1):
        return self._write("add_", lambda a: np.add(a, alpha * _raw(other), out=a, casting="same_kind"))

    def mul_(self, other):
        return self._write("mul_", lambda a: np.multiply(a, _raw(other), out=a, casting="same_kind"))

    def copy_(self, src):
        return self._write("copy_", lambda a: np.copyto(a, _raw(src), casting="same_kind"))

    def clamp_(self, min=None, max=None):
        return self._write("clamp_", lambda a: np.clip(a, min, max, out=a))

    def _bump_version(self):
        """For library code that writes `.data` in place directly (optimizer steps, init, loading)."""
        if _recorder is not None:   # compile: allowed inside a recorded optimizer step, refused elsewhere
            _recorder.in_place(self, "an in-place write")
        self._version += 1

    # ---- arithmetic -------------------------------------------------------------------------------
    # +, -, * and their reflected forms are Value's too: operators.py, attached at the end of this module.

    def __truediv__(self, other):
        return _binary(R.DIV, self, other)

    def __rtruediv__(self, other):
        return _binary(R.DIV, other, self)

    def __pow__(self, other):
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            return apply(R.POW_CONST, self, c=other)
        return _binary(R.POW, self, other)

    def __rpow__(self, other):
        return _binary(R.POW, other, self)

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(other, self)

    def __neg__(self):
        return apply(R.NEG, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return apply(R.ABS, self)

    # Comparisons give boolean tensors that carry no gradient.
    def __lt__(self, other):
        return no_grad_op(np.less, self, other)

    def __le__(self, other):
        return no_grad_op(np.less_equal, self, other)

    def __gt__(self, other):
        return no_grad_op(np.greater, self, other)

    def __ge__(self, other):
        return no_grad_op(np.greater_equal, self, other)

    def __eq__(self, other):
        return no_grad_op(np.equal, self, other)

    def __ne__(self, other):
        return no_grad_op(np.not_equal, self, other)

    def __invert__(self):
        return no_grad_op(np.invert, self)

    def __and__(self, other):
        return no_grad_op(np.bitwise_and, self, other)

    def __or__(self, other):
        return no_grad_op(np.bitwise_or, self, other)

    def __getitem__(self, index):
        index = _index(index)
        try:
            return apply(R.GETITEM, self, index=index)
        except IndexError as e:
            raise IndexError(f"getitem: {e} (the tensor has shape {self.shape})") from None

    def __setitem__(self, index, value):
        raise TypeError("Tensors are not changed in place (the graph records values). Build a new tensor "
                        "with where(mask, new, old) or concatenate; to update a parameter outside the graph "
                        "assign to its .data array.")

    # ---- methods of two tensors (the functions are in elementwise.py and products.py) ------------

    def maximum(self, other):
        return _binary(R.MAXIMUM, self, other)

    def minimum(self, other):
        return _binary(R.MINIMUM, self, other)

    def matmul(self, other):
        return matmul(self, other)

    def dot(self, other):
        return dot(self, other)


def tensor_method(fn):
    """Make the function `fn(x, ...)` also the method `x.fn(...)` of Tensor (for operations that
    numpy has as an array method too), so that an operation is written once, in its own module."""
    setattr(Tensor, fn.__name__, fn)
    return fn


# ---- the engine's entry point ---------------------------------------------------------------------


def apply(rule, *inputs, **params):
    """Run primitive `rule` forward on tensors and record it when a gradient may be needed."""
    try:
        # The common calls spelled out: this runs once per operation, and building the argument
        # list and keyword dict costs as much as an elementwise op on a small tensor (W2).
        n = len(inputs)
        if n == 2 and not params:
            data = rule.forward(ArrayMath, inputs[0].data, inputs[1].data)
        elif n == 1 and not params:
            data = rule.forward(ArrayMath, inputs[0].data)
        else:
            data = rule.forward(ArrayMath, *[t.data for t in inputs], **params)
    except ValueError as e:
        raise ShapeError(_explain(rule, inputs, e)) from None
    out = Tensor.__new__(Tensor)
    out.data = data if type(data) is np.ndarray else np.asarray(data)
    if _recorder is not None:   # compile: tracing records this primitive call
        _recorder.apply(rule, inputs, params, out, data)
    out.grad = None
    out.label = None
    out._hooks = None
    out._retains_grad = False
    out._version = 0
    if _mode.enabled:
        for t in inputs:
            if t.requires_grad:
                out._parents, out._rule, out._ctx = inputs, rule, params or None
                out._saved_version = version_sum(inputs)   # backward checks it against the versions then
                out.requires_grad = True
                return out
    out._saved_version = None
    out._parents, out._rule, out._ctx = (), None, None
    out.requires_grad = False
    return out


def no_grad_op(fn, *args, **params):
    """`fn` (a numpy function) on the data of tensors (and numbers): a result that carries no
    gradient -- comparisons, sign, argmax. While a compiled function is traced it is recorded as a
    step of the program, so a mask computed from the data is computed again at every replay."""
    out = Tensor._wrap(np.asarray(fn(*[_raw(a) for a in args], **params)))
    if _recorder is not None:
        _recorder.no_grad_op(out, fn, args, params)
    return out


def _explain(rule, inputs, error):
    shapes = [t.shape for t in inputs]
    if rule.broadcasting:
        return _broadcast_message(rule.name, shapes)
    if rule is R.MATMUL:
        a, b = shapes
        return (f"matmul: shapes {a} @ {b} do not fit: the last axis of the left operand ({a[-1] if a else '-'}) must "
                f"equal the {'only' if len(b) == 1 else 'second-to-last'} axis of the right operand "
                f"({b[-2] if len(b) > 1 else (b[0] if b else '-')}).")
    return f"{rule.name}: {error} (input shapes {', '.join(map(str, shapes))})"


def _index(index):
    """Tensors and lists inside an index become numpy arrays (integer or boolean)."""
    if isinstance(index, tuple):
        return tuple(_index(i) for i in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return np.asarray(index)
    return index


def tensor(data, requires_grad=False, dtype=None):
    """`data` as a Tensor (returned unchanged if it already is one)."""
    if isinstance(data, Tensor):
        return data
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


# ---- the rest of Tensor, in modules of one job each ---------------------------------------------
# They import this module (Tensor, apply), so they are imported last: importing them attaches their
# Tensor methods (`tensor_method`), brings in the helpers the class calls (`_to_array`, `_raw`,
# `_binary`, `matmul`) and re-exports their names (`__all__` above).
from .operands import _WARNED_PROMOTIONS, _binary, _check_promotion, _operand, _raw, _to_array  # noqa: E402,F401
from .elementwise import maximum, minimum, where  # noqa: E402
from . import reductions  # noqa: E402,F401
from .shape_ops import cat, concatenate, split, stack  # noqa: E402
from .products import _einsum_explicit, dot, einsum, matmul, outer  # noqa: E402,F401
from .creation import (_dt, _size, arange, eye, from_numpy, full, full_like, linspace, one_hot,  # noqa: E402,F401
                       ones, ones_like, rand, rand_like, randn, randn_like, uniform, zeros, zeros_like)
from .tensor_ops import TensorOps, _constant, _expand_to, _sum_to, _TensorNamespace  # noqa: E402,F401

add_arithmetic_operators(Tensor, _binary)   # +, -, * and their reflected forms, written once for Value and Tensor
