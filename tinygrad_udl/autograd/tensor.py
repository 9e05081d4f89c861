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

Primitives (with derivative rules) are in `rules.py`; the composites here are built from them, so
every operation is differentiable to any order.
"""
from __future__ import annotations

import functools
import math
import numbers
import warnings

import numpy as np

from . import rules as R
from .backends import ArrayMath, broadcast_axes, reduced_shape
from .graph import Node, _mode, run_backward, version_sum
from .value import Value

_default_dtype = np.dtype(np.float32)
# Recording hook for `tinygrad_udl.compile` (tinygrad_udl/compile/): None except while a compiled
# function is being traced, when `apply` reports each primitive call to it (one test per call).
_recorder = None
_rng = np.random.default_rng()


def set_default_dtype(dtype):
    """Set the float dtype that Python data and creation functions get (float32 or float64)."""
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: {dtype} is not a floating-point dtype; use float32 or float64")
    _default_dtype = dtype


def get_default_dtype():
    return _default_dtype


def manual_seed(seed):
    """Seed the generator behind randn/rand/uniform (and the library's other random draws)."""
    global _rng
    _rng = np.random.default_rng(seed)


def default_rng():
    """The library's current numpy Generator (for code that takes an optional `rng=`)."""
    return _rng


class ShapeError(ValueError):
    """Shapes that an operation cannot combine; the message names the op and shows the shapes."""


class Size(int):
    """A tensor's `size`: numpy's element count (an int: `t.size == 12`, `t.size * 2`), and callable
    as PyTorch's `size()`: `t.size()` is the shape and `t.size(dim)` one axis's length."""

    def __new__(cls, count, shape):
        self = super().__new__(cls, count)
        self.shape = shape
        return self

    def __call__(self, dim=None):
        if dim is None:
            return self.shape
        return self.shape[_axis(dim, len(self.shape), "size")]


def _to_array(data, dtype):
    if isinstance(data, Tensor):
        data = data.data
    elif isinstance(data, Value):
        raise TypeError("Tensor: got a Value (the scalar engine); Tensor(v.data) takes its number but cuts it off "
                        "from the Value's graph, so do that only on purpose")
    if isinstance(data, np.ndarray | np.generic):
        arr = np.array(data, dtype=dtype)
    else:
        try:
            arr = np.array(data, dtype=dtype)
        except (TypeError, ValueError) as e:
            raise TypeError(f"Tensor: cannot make an array of {type(data).__name__} {data!r:.60} ({e})") from None
        if dtype is None and arr.dtype.kind in "iuf":
            arr = arr.astype(_default_dtype)  # Python numbers take the default float dtype
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"Tensor: dtype {arr.dtype} is not supported (use bool, integer or float data)")
    return arr


def dim_aliases(fn):
    """Let `fn` also take PyTorch's spellings: `dim=` for `axis=` and `keepdim=` for `keepdims=`
    (giving both spellings of one argument is an error, never a silent choice)."""
    @functools.wraps(fn)
    def accept(*args, **kwargs):
        for torch_name, numpy_name in (("dim", "axis"), ("keepdim", "keepdims")):
            if torch_name in kwargs:
                if numpy_name in kwargs:
                    raise TypeError(f"{fn.__name__}(): got both {numpy_name}= and {torch_name}=, which are the same "
                                    f"argument (numpy's and PyTorch's name); give one")
                kwargs[numpy_name] = kwargs.pop(torch_name)
        return fn(*args, **kwargs)
    return accept


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

    # ---- elementwise functions --------------------------------------------------------------------

    def exp(self):
        return apply(R.EXP, self)

    def log(self):
        return apply(R.LOG, self)

    def log1p(self):
        return apply(R.LOG1P, self)

    def sqrt(self):
        return apply(R.SQRT, self)

    def sin(self):
        return apply(R.SIN, self)

    def cos(self):
        return apply(R.COS, self)

    def tan(self):
        return apply(R.TAN, self)

    def tanh(self):
        return apply(R.TANH, self)

    def sigmoid(self):
        return apply(R.SIGMOID, self)

    def relu(self):
        return apply(R.RELU, self)

    def leaky_relu(self, slope=0.01):
        return apply(R.LEAKY_RELU, self, slope=slope)

    def elu(self, alpha=1.0):
        return apply(R.ELU, self, alpha=alpha)

    def selu(self):
        # Klambauer et al. 2017 constants (standard, not in the book): scale * elu(x, alpha).
        return self.elu(1.6732632423543772) * 1.0507009873554805

    def gelu(self):
        """Exact GELU x * Phi(x) with the normal CDF Phi written with erf (figure 3.13)."""
        return self * (0.5 * (1 + (self * (1 / math.sqrt(2))).erf()))

    def silu(self):
        """SiLU / swish x * sigmoid(x) (figure 3.13)."""
        return self * self.sigmoid()

    swish = silu

    def softplus(self):
        return apply(R.SOFTPLUS, self)

    def erf(self):
        return apply(R.ERF, self)

    def abs(self):
        return apply(R.ABS, self)

    def sign(self):
        """Sign of each element (-1, 0, 1): a constant, it carries no gradient."""
        return no_grad_op(np.sign, self)

    def clip(self, min=None, max=None):
        """Clamp to [min, max]; the gradient passes where min <= x <= max (PyTorch's clamp)."""
        out = self
        if min is not None:
            out = where(self.data < min, min, out)
        if max is not None:
            out = where(self.data > max, max, out)
        return out

    clamp = clip

    def maximum(self, other):
        return _binary(R.MAXIMUM, self, other)

    def minimum(self, other):
        return _binary(R.MINIMUM, self, other)

    # ---- reductions (numpy's axis= and keepdims=) -------------------------------------------------

    @dim_aliases
    def sum(self, axis=None, keepdims=False):
        return apply(R.SUM, self, axis=_reduction_axis(axis, self.ndim, "sum"), keepdims=keepdims)

    @dim_aliases
    def mean(self, axis=None, keepdims=False):
        axis = _reduction_axis(axis, self.ndim, "mean")
        n = _count(self.shape, axis)
        if n == 0:   # numpy's answer: nan, with a warning
            warnings.warn(f"mean of an empty slice (shape {self.shape}, axis {axis}) is nan", RuntimeWarning, stacklevel=2)
        return self.sum(axis, keepdims) * (1.0 / n if n else math.nan)

    @dim_aliases
    def var(self, axis=None, ddof=0, keepdims=False):
        """Variance with divisor N - ddof (ddof=0: the biased form of batch norm, eq. 11.8)."""
        axis = _reduction_axis(axis, self.ndim, "var")
        n = _count(self.shape, axis)
        if n - ddof <= 0:
            raise ValueError(f"var: {n} element(s) along the reduced axes and ddof={ddof} leave no degrees of freedom")
        d = self - self.mean(axis, keepdims=True)
        return (d * d).sum(axis, keepdims) * (1.0 / (n - ddof))

    @dim_aliases
    def std(self, axis=None, ddof=0, keepdims=False):
        return self.var(axis, ddof, keepdims).sqrt()

    @dim_aliases
    def max(self, axis=None, keepdims=False):
        """Maximum; tied maximal elements share the gradient equally (a kink, see docs)."""
        return apply(R.MAX, self, axis=_reduction_axis(axis, self.ndim, "max"), keepdims=keepdims)

    @dim_aliases
    def min(self, axis=None, keepdims=False):
        return apply(R.MIN, self, axis=_reduction_axis(axis, self.ndim, "min"), keepdims=keepdims)

    @dim_aliases
    def logsumexp(self, axis=None, keepdims=False):
        """log sum exp, shifted by the maximum so that large logits stay finite (eq. 5.24)."""
        return apply(R.LOGSUMEXP, self, axis=_reduction_axis(axis, self.ndim, "logsumexp"), keepdims=keepdims)

    @dim_aliases
    def argmax(self, axis=None, keepdims=False):
        return no_grad_op(np.argmax, self, axis=_reduction_axis(axis, self.ndim, "argmax"), keepdims=keepdims)

    @dim_aliases
    def argmin(self, axis=None, keepdims=False):
        return no_grad_op(np.argmin, self, axis=_reduction_axis(axis, self.ndim, "argmin"), keepdims=keepdims)

    @dim_aliases
    def softmax(self, axis=-1):
        """exp(x) / sum exp(x) along `axis`, computed stably (eq. 5.22, 12.5)."""
        return apply(R.SOFTMAX, self, axis=_reduction_axis(axis, self.ndim, "softmax"))

    @dim_aliases
    def log_softmax(self, axis=-1):
        """x - logsumexp(x): finite for logits of +-1e4 (the multiclass loss, eq. 5.24)."""
        return apply(R.LOG_SOFTMAX, self, axis=_reduction_axis(axis, self.ndim, "log_softmax"))

    # ---- shape ------------------------------------------------------------------------------------

    def reshape(self, *shape):
        shape = _shape_arg(shape)
        try:
            new = np.reshape(self.data, shape).shape  # a view: resolves -1 and checks the size
        except (ValueError, TypeError):
            raise ShapeError(f"reshape: cannot reshape a tensor of shape {self.shape} ({self.size} elements) "
                             f"into shape {shape}") from None
        return self if new == self.shape else apply(R.RESHAPE, self, shape=new)

    view = reshape   # PyTorch's name; numpy decides whether the data are shared (a copy when it must)

    def transpose(self, *axes):
        """numpy's transpose -- no axes: all reversed; a tuple, or one integer per axis: that
        permutation -- and PyTorch's `transpose(dim0, dim1)`: two integers swap those two axes.
        The readings differ only for `t.transpose(0, 1)` on a 2-D tensor, where numpy's would be the
        identity: it swaps, as PyTorch's code expects (docs/tensors.md, "numpy and PyTorch")."""
        if len(axes) == 2 and all(isinstance(a, int | np.integer) for a in axes):
            return self._swapped(*axes, "transpose")
        return self._permuted(axes, "transpose")

    def permute(self, *axes):
        """The axes in the order `axes` (a permutation; no axes: all reversed)."""
        return self._permuted(axes, "permute")

    def _permuted(self, axes, op):
        axes = _shape_arg(axes) or tuple(reversed(range(self.ndim)))
        perm = _axis(axes, self.ndim, op)
        if sorted(perm) != list(range(self.ndim)):
            raise ShapeError(f"{op}: axes {axes} are not a permutation of the {self.ndim} axes of shape {self.shape}")
        return apply(R.TRANSPOSE, self, axes=perm)

    def swapaxes(self, axis1, axis2):
        return self._swapped(axis1, axis2, "swapaxes")

    def _swapped(self, axis1, axis2, op):
        axis1, axis2 = _axis((axis1, axis2), self.ndim, op)
        axes = list(range(self.ndim))
        axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
        return self._permuted(axes, op)

    def broadcast_to(self, *shape):
        shape = _shape_arg(shape)
        if shape == self.shape:
            return self
        try:
            np.broadcast_to(self.data, shape)  # a view: only checks
        except ValueError:
            raise ShapeError(_broadcast_message("broadcast_to", [self.shape, shape])) from None
        return apply(R.BROADCAST_TO, self, shape=shape)

    expand = broadcast_to

    @dim_aliases
    def squeeze(self, axis=None):
        if axis is None:
            return self.reshape([n for n in self.shape if n != 1])
        axes = set(_axis((axis,) if isinstance(axis, int) else axis, self.ndim, "squeeze"))
        bad = [a for a in axes if self.shape[a] != 1]
        if bad:
            raise ShapeError(f"squeeze: axis {bad[0]} of shape {self.shape} has size {self.shape[bad[0]]}, not 1")
        return self.reshape([n for i, n in enumerate(self.shape) if i not in axes])

    @dim_aliases
    def unsqueeze(self, axis):
        axis = _axis(axis, self.ndim + 1, "unsqueeze")
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    expand_dims = unsqueeze

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        s, e = _axis((start_dim, end_dim), self.ndim, "flatten")
        if s > e:
            raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} (shape {self.shape})")
        return self.reshape(self.shape[:s] + (-1,) + self.shape[e + 1:])

    def pad(self, pad_width, value=0.0):
        """Constant padding, numpy's `pad_width` ((before, after) per axis, or one pair for all)."""
        try:
            pw = np.broadcast_to(np.asarray(pad_width, dtype=int), (self.ndim, 2))
        except ValueError:
            raise ShapeError(f"pad: pad_width {pad_width!r} does not fit a tensor of shape {self.shape}: give one "
                             f"(before, after) pair per axis ({self.ndim} pairs) or one pair for all axes") from None
        return apply(R.PAD, self, pad_width=tuple(map(tuple, pw.tolist())), value=value)

    @dim_aliases
    def flip(self, axis=None):
        axes = range(self.ndim) if axis is None else _axis((axis,) if isinstance(axis, int) else axis, self.ndim, "flip")
        return self[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(self.ndim))]

    @dim_aliases
    def repeat(self, repeats, axis=None):
        """numpy's repeat: each element `repeats` times along `axis` (flattened when axis is None)."""
        x = self.flatten() if axis is None else self
        axis = 0 if axis is None else _axis(axis, x.ndim, "repeat")
        try:
            index = np.repeat(np.arange(x.shape[axis]), repeats)
        except ValueError:
            raise ShapeError(f"repeat: repeats of shape {np.shape(repeats)} do not fit axis {axis} of length "
                             f"{x.shape[axis]}: give one count, or one count per element along the axis") from None
        return x[(slice(None),) * axis + (index,)]

    def tril(self, k=0):
        return self * np.tri(*self.shape[-2:], k=k, dtype=bool)

    def triu(self, k=0):
        return self * ~np.tri(*self.shape[-2:], k=k - 1, dtype=bool)

    # ---- linear algebra ---------------------------------------------------------------------------

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


def tracing():
    """Whether a compiled function is being traced (`tinygrad_udl.compile`): code with a fast path
    chosen on the data takes its general path then, since the program must serve every call."""
    return _recorder is not None


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


def _broadcast_message(op, shapes):
    """Both shapes right-aligned, and the first axis where they are incompatible."""
    width = max(len(str(s)) for s in shapes)
    lines = [f"{op}: shapes cannot be broadcast together:"] + [f"    {str(s):>{width}}" for s in shapes]
    ndim = max(len(s) for s in shapes)
    for k in range(1, ndim + 1):
        sizes = {s[-k] for s in shapes if len(s) >= k} - {1}
        if len(sizes) > 1:
            lines.append(f"axis {-k}: sizes {' vs '.join(str(s[-k]) for s in shapes if len(s) >= k)}. Shapes are "
                         "aligned on the right; each axis needs equal sizes or a 1 (reshape or unsqueeze to fix).")
            break
    return "\n".join(lines)


def _raw(x):
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, Value):
        raise TypeError("cannot mix a Value (scalar engine) and a Tensor in one operation; use Tensor(value.data) "
                        "or keep to one engine")
    return x


def _operand(x, like):
    """Lift a non-Tensor operand: a Python scalar takes the other operand's dtype (numpy's weak
    scalars), or the default float dtype against an integer tensor."""
    if isinstance(x, Tensor):
        return x
    x = _raw(x)
    if isinstance(x, bool | numbers.Number) and not isinstance(x, np.generic):
        kind = like.dtype.kind
        if kind == "f" or (kind in "iu" and isinstance(x, int)) or (kind == "b" and isinstance(x, bool)):
            return Tensor._wrap(np.asarray(x, dtype=like.dtype))
        return Tensor._wrap(np.asarray(x, dtype=_default_dtype))
    return Tensor._wrap(_to_array(x, None) if not isinstance(x, np.ndarray) else x)


def _binary(rule, a, b):
    if type(a) is not Tensor:
        a = _operand(a, b)
    if type(b) is not Tensor:
        b = _operand(b, a)
    if a.data.dtype is not b.data.dtype:
        _check_promotion(rule.name, a, b)
    return apply(rule, a, b)


_WARNED_PROMOTIONS = set()


def _check_promotion(op, a, b):
    """float32 meeting float64 follows numpy (the result is float64), but a float32 model fed float64
    data silently runs at twice the cost: said once per operation."""
    kinds = {a.data.dtype, b.data.dtype}
    if kinds == {np.dtype(np.float32), np.dtype(np.float64)} and op not in _WARNED_PROMOTIONS:
        _WARNED_PROMOTIONS.add(op)
        warnings.warn(f"{op}: a float32 tensor meets float64 data, so the result is float64 (numpy's promotion) "
                      "and costs twice as much; convert the data with Tensor(x, dtype='float32') or x.astype(np.float32) "
                      "(said once per operation)", RuntimeWarning, stacklevel=3)


def _index(index):
    """Tensors and lists inside an index become numpy arrays (integer or boolean)."""
    if isinstance(index, tuple):
        return tuple(_index(i) for i in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _axis(axis, ndim, op=None):
    """`axis` (None, an int or a tuple; negative counts from the end) normalised to 0..ndim-1, or a
    ShapeError naming `op` -- never silently wrapped around."""
    if axis is None:
        return None
    if isinstance(axis, int | np.integer):
        if not -ndim <= axis < ndim:   # (a 0-d tensor has no axis: numpy's AxisError)
            raise ShapeError(f"{op + ': ' if op else ''}axis {axis} is out of range for a tensor with {ndim} dimension(s)")
        return int(axis) % ndim
    return tuple(_axis(a, ndim, op) for a in axis)


def _reduction_axis(axis, ndim, op):
    """`_axis` for a reduction: a 0-d tensor also accepts axis 0 or -1, over its one element (numpy's
    ufunc reductions and PyTorch do the same), which is the reduction over everything."""
    if ndim == 0 and axis is not None and all(a in (0, -1) for a in (axis if isinstance(axis, tuple) else (axis,))):
        return None
    return _axis(axis, ndim, op)


def _count(shape, axis):
    """How many elements a reduction over `axis` combines."""
    if axis is None:
        return math.prod(shape)
    axes = (axis,) if isinstance(axis, int) else axis
    return math.prod(shape[a] for a in axes)


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        return tuple(shape[0])
    return tuple(shape)


# ---- module-level operations ----------------------------------------------------------------------


def matmul(a, b):
    """numpy's matmul with gradients: 1-D operands are promoted, batch dimensions broadcast."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = tensor(a)
    a = a if isinstance(a, Tensor) else _operand(a, b)
    b = b if isinstance(b, Tensor) else _operand(b, a)
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"matmul: operands must have at least 1 dimension, got shapes {a.shape} and {b.shape}; use * for scalars")
    if a.data.dtype is not b.data.dtype:
        _check_promotion("matmul", a, b)
    return apply(R.MATMUL, a, b)


def dot(a, b):
    """numpy's dot for 1-D and 2-D operands (for more dimensions use matmul or einsum)."""
    a, b = tensor(a), tensor(b)
    if a.ndim > 2 or b.ndim > 2:
        raise ShapeError(f"dot: shapes {a.shape} and {b.shape}: dot is defined here for 1-D and 2-D tensors; use matmul (batched) or einsum")
    return matmul(a, b)


def outer(a, b):
    a, b = tensor(a), tensor(b)
    return a.reshape(-1, 1) * b.reshape(1, -1)


def _einsum_explicit(subscripts, operands, context):
    """The subscripts as explicit letters, one string per operand and one for the output: '...'
    becomes letters the subscripts do not use (aligned on the right, as numpy broadcasts), and an
    implicit output (no '->') is written out: the '...' axes, then the letters that occur once,
    in alphabetical order."""
    spec = subscripts.replace(" ", "")
    lhs, arrow, output = spec.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(operands):
        raise ValueError(f"{context}: the subscripts name {len(inputs)} operand(s) but {len(operands)} were given")
    for s in inputs + [output]:
        rest = s.replace("...", "", 1)
        if rest and not (rest.isascii() and rest.isalpha()):
            raise ValueError(f"{context}: '{s}' may hold only letters and one '...'")
    named = [len(s) - 3 if "..." in s else len(s) for s in inputs]
    for i, (s, n, t) in enumerate(zip(inputs, named, operands)):
        if n > t.ndim or (n < t.ndim and "..." not in s):
            raise ShapeError(f"{context}: operand {i} ('{s}') names {n} axes but has {t.ndim} dimension(s)")
    width = max((t.ndim - n for n, t in zip(named, operands)), default=0)
    spare = "".join(c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in spec)[:width]
    if not arrow:
        letters = lhs.replace("...", "").replace(",", "")
        output = ("..." if "..." in lhs else "") + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    elif width and "..." not in output:
        raise ValueError(f"{context}: '...' stands for {width} axes of the operands but is missing from the output")
    inputs = [s.replace("...", spare[width - (t.ndim - n):]) for s, n, t in zip(inputs, named, operands)]
    output = output.replace("...", spare)
    for c in output:
        if output.count(c) > 1 or c not in "".join(inputs):
            raise ValueError(f"{context}: output letter '{c}' is {'repeated' if output.count(c) > 1 else 'in no operand'}")
    return inputs, output


def einsum(subscripts, *operands):
    """Einstein summation as numpy's, differentiable in every operand: einsum("ij,jk->ik", A, B).

    '...' stands for broadcast axes ("...ij,...jk->...ik"); a letter repeated within one operand
    reads a diagonal ("ii->i"; "ii->" is the trace). The EINSUM primitive only sees explicit
    subscripts with distinct letters in each operand: each repeated letter is taken out first by
    `Tensor.diagonal` (array_ops.py), so its gradient is diagonal's.
    """
    operands = [tensor(t) for t in operands]
    context = f"einsum '{subscripts}' with shapes {', '.join(str(t.shape) for t in operands) or '(none)'}"
    inputs, output = _einsum_explicit(subscripts, operands, context)
    for i, s in enumerate(inputs):
        while len(set(s)) < len(s):
            c = next(c for c in s if s.count(c) > 1)
            p = s.index(c)
            q = s.index(c, p + 1)
            t = operands[i]
            if t.shape[p] != t.shape[q]:
                raise ShapeError(f"{context}: operand {i} repeats '{c}' (a diagonal) on axes of sizes {t.shape[p]} "
                                 f"and {t.shape[q]}; they must be equal")
            operands[i] = t.diagonal(0, p, q)   # the diagonal becomes the last axis
            s = s[:p] + s[p + 1:q] + s[q + 1:] + c
        inputs[i] = s
    sizes = {}
    for s, t in zip(inputs, operands):
        for c, n in zip(s, t.shape):
            if sizes.get(c, 1) not in (1, n) and n != 1:
                raise ShapeError(f"{context}: letter '{c}' has size {sizes[c]} in one operand and {n} in another")
            sizes[c] = n if sizes.get(c, 1) == 1 else sizes[c]
    # A size-1 axis broadcasts against its letter's size elsewhere (as in numpy). Broadcast it
    # explicitly, so that the einsum VJP sees equal sizes and broadcast_to's VJP sums the gradient back.
    operands = [t.broadcast_to(tuple(sizes[c] for c in s)) for s, t in zip(inputs, operands)]
    return apply(R.EINSUM, *operands, subscripts=",".join(inputs) + "->" + output)


def where(cond, a, b):
    """Elementwise `a if cond else b`; the gradient flows into the branch that was taken."""
    cond = np.asarray(_raw(cond), dtype=bool)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = tensor(a)
    a = a if isinstance(a, Tensor) else _operand(a, b)
    b = b if isinstance(b, Tensor) else _operand(b, a)
    try:
        np.broadcast_shapes(cond.shape, a.shape, b.shape)
    except ValueError:
        raise ShapeError(_broadcast_message("where (cond, a, b)", [cond.shape, a.shape, b.shape])) from None
    return apply(R.WHERE, a, b, cond=cond)


def maximum(a, b):
    """Elementwise maximum; on a tie the gradient is split evenly between a and b (a kink)."""
    return _binary(R.MAXIMUM, a if isinstance(b, Tensor) else tensor(a), b)


def minimum(a, b):
    return _binary(R.MINIMUM, a if isinstance(b, Tensor) else tensor(a), b)


@dim_aliases
def concatenate(tensors, axis=0):
    tensors = [tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate: need at least one tensor")
    ndim = tensors[0].ndim
    axis = _axis(axis, ndim, "concatenate")
    for t in tensors:
        if t.ndim != ndim or any(t.shape[i] != tensors[0].shape[i] for i in range(ndim) if i != axis):
            raise ShapeError(f"concatenate along axis {axis}: shapes {[x.shape for x in tensors]} differ on another axis")
    offsets = np.cumsum([0] + [t.shape[axis] for t in tensors]).tolist()
    return apply(R.CONCATENATE, *tensors, axis=axis, offsets=tuple(offsets))


cat = concatenate


@dim_aliases
def stack(tensors, axis=0):
    tensors = [tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: need at least one tensor")
    if len({t.shape for t in tensors}) != 1:
        raise ShapeError(f"stack: all tensors need the same shape, got {[t.shape for t in tensors]}")
    axis = _axis(axis, tensors[0].ndim + 1, "stack")
    return concatenate([t.unsqueeze(axis) for t in tensors], axis=axis)


@dim_aliases
def split(x, indices_or_sections, axis=0):
    """numpy's split: a number of equal sections, or the indices where to cut."""
    axis = _axis(axis, x.ndim, "split")
    n = x.shape[axis]
    if isinstance(indices_or_sections, int | np.integer):
        if n % indices_or_sections:
            raise ShapeError(f"split: axis {axis} of length {n} does not divide into {indices_or_sections} equal sections")
        step = n // indices_or_sections
        cuts = list(range(step, n, step))
    else:
        cuts = list(indices_or_sections)
    bounds = [0] + cuts + [n]
    return [x[(slice(None),) * axis + (slice(lo, hi),)] for lo, hi in zip(bounds[:-1], bounds[1:])]


def one_hot(labels, num_classes, dtype=None):
    """Rows of the identity for integer labels 0..num_classes-1 (a constant)."""
    labels = np.asarray(_raw(labels))
    if labels.dtype.kind not in "iu":
        raise TypeError(f"one_hot: labels must be integers, got {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"one_hot: labels must lie in 0..{num_classes - 1}, got values from {labels.min()} to {labels.max()}")
    return Tensor._wrap(np.eye(num_classes, dtype=dtype or _default_dtype)[labels])


def from_numpy(array):
    """A Tensor that shares `array`'s memory (PyTorch's from_numpy): writes to either show in the
    other. `Tensor(array)` copies instead."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy array, got {type(array).__name__}")
    return Tensor._wrap(_to_array(array, None) if array.dtype.kind not in "biuf" else array)


def tensor(data, requires_grad=False, dtype=None):
    """`data` as a Tensor (returned unchanged if it already is one)."""
    if isinstance(data, Tensor):
        return data
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


# ---- creation -------------------------------------------------------------------------------------


def _dt(dtype):
    return _default_dtype if dtype is None else np.dtype(dtype)


def _size(shape):
    return _shape_arg(shape)


def zeros(*shape, dtype=None, requires_grad=False):
    return Tensor(np.zeros(_size(shape), _dt(dtype)), requires_grad=requires_grad)


def ones(*shape, dtype=None, requires_grad=False):
    return Tensor(np.ones(_size(shape), _dt(dtype)), requires_grad=requires_grad)


def full(shape, value, dtype=None, requires_grad=False):
    return Tensor(np.full(shape, value, _dt(dtype)), requires_grad=requires_grad)


def arange(*args, dtype=None, requires_grad=False):
    """numpy's arange, in the default float dtype unless `dtype` says otherwise."""
    return Tensor(np.arange(*args, dtype=_dt(dtype)), requires_grad=requires_grad)


def linspace(start, stop, num=50, dtype=None, requires_grad=False):
    return Tensor(np.linspace(start, stop, num, dtype=_dt(dtype)), requires_grad=requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False):
    return Tensor(np.eye(n, m, dtype=_dt(dtype)), requires_grad=requires_grad)


def randn(*shape, dtype=None, requires_grad=False, rng=None):
    """Standard normal samples from `rng` (default: the generator seeded by manual_seed)."""
    return Tensor((rng or _rng).standard_normal(_size(shape)).astype(_dt(dtype)), requires_grad=requires_grad)


def rand(*shape, dtype=None, requires_grad=False, rng=None):
    """Uniform samples on [0, 1)."""
    return Tensor((rng or _rng).random(_size(shape)).astype(_dt(dtype)), requires_grad=requires_grad)


def uniform(low, high, shape, dtype=None, requires_grad=False, rng=None):
    return Tensor((rng or _rng).uniform(low, high, shape).astype(_dt(dtype)), requires_grad=requires_grad)


def zeros_like(t, dtype=None, requires_grad=False):
    return zeros(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    return ones(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def full_like(t, value, dtype=None, requires_grad=False):
    return full(t.shape, value, dtype=dtype or t.dtype, requires_grad=requires_grad)


def randn_like(t, dtype=None, requires_grad=False, rng=None):
    return randn(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad, rng=rng)


def rand_like(t, dtype=None, requires_grad=False, rng=None):
    return rand(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad, rng=rng)


# ---- the node namespace for create_graph-mode VJPs (mirrors backends.ArrayMath) ---------------------


def _sum_to(g, like):
    shape = like.shape
    if g.shape == shape:
        return g
    return g.sum(axis=broadcast_axes(g.shape, shape)).reshape(shape)


def _expand_to(g, like, axis, keepdims):
    shape = reduced_shape(like.shape, axis, keepdims)
    return (g if shape is None else g.reshape(shape)).broadcast_to(like.shape)


def _constant(fn):
    """A mask or weight computed from the data: a constant in the graph (no gradient)."""
    return lambda *args, **kw: Tensor._wrap(fn(*[a.data if isinstance(a, Tensor) else a for a in args], **kw))


class _TensorNamespace(R.Namespace):
    def __getattr__(cls, name):
        # A declared primitive first (recorded), then the Tensor method of numpy's name (x.flip(...)).
        try:
            return super().__getattr__(name)
        except AttributeError:
            method = getattr(Tensor, name, None) if not name.startswith("_") else None
            if not callable(method):
                raise
            setattr(cls, name, staticmethod(method))
            return method


class TensorOps(metaclass=_TensorNamespace):
    """Operations on Tensor nodes, for VJPs run with create_graph=True: each one is recorded, so
    the gradient it computes can be differentiated again."""

    @staticmethod
    def call(prim, *args, **params):
        return apply(prim, *[a if isinstance(a, Tensor) else Tensor._wrap(np.asarray(a)) for a in args], **params)

    # Helpers whose arguments are positional (o.reshape(g, shape)), as on the raw namespaces; a
    # primitive called by name takes its parameters as keywords (o.col2im(g, shape=...)).
    pow = staticmethod(Tensor.__pow__)
    sum = staticmethod(Tensor.sum)
    reshape = staticmethod(Tensor.reshape)
    transpose = staticmethod(Tensor.transpose)
    swapaxes = staticmethod(Tensor.swapaxes)
    broadcast_to = staticmethod(Tensor.broadcast_to)
    getitem = staticmethod(Tensor.__getitem__)
    scatter_add = staticmethod(lambda g, index, shape: apply(R.SCATTER_ADD, g, index=index, shape=shape))
    matmul = staticmethod(matmul)
    einsum = staticmethod(einsum)
    where = staticmethod(where)
    unbroadcast = staticmethod(_sum_to)
    expand_to = staticmethod(_expand_to)
    sign = staticmethod(_constant(np.sign))
    isfinite = staticmethod(_constant(np.isfinite))
    tie_weight = staticmethod(_constant(ArrayMath.tie_weight))
    extremum_weight = staticmethod(_constant(ArrayMath.extremum_weight))


Tensor._node_ops = TensorOps
