"""numpy functions called on Tensors: they stay on the graph, or they say so.

`np.sin(t)` or `np.sum(t, axis=0)` would otherwise turn the tensor into a plain array (through
`__array__`) and silently drop the graph: the gradient of everything before them would be lost.
numpy's two protocols hand such calls to the Tensor instead:

- `__array_ufunc__` (`np.sin(t)`, `np.add(a, t)`, `array + t`): the library's operation when it has
  one (the result is a Tensor on the graph), comparisons and predicates (`np.isfinite`) as constant
  boolean tensors, and a TypeError naming the library function for everything else;
- `__array_function__` (`np.sum(t)`, `np.concatenate([t, u])`, `np.linalg.solve(a, t)`): the
  library's function of the same name; functions whose result carries no gradient (`np.shape`,
  `np.allclose`, `np.argwhere`, ...) run on the numbers; anything else is a TypeError.

Importing this module installs both on `Tensor` (the package does so at import).
"""
from __future__ import annotations

import numpy as np

from .tensor import Tensor, _operand, _raw

# ufunc -> the library's operation on Tensors (arguments already lifted by the caller)
_UFUNCS = {
    np.add: lambda a, b: a + b, np.subtract: lambda a, b: a - b, np.multiply: lambda a, b: a * b,
    np.true_divide: lambda a, b: a / b, np.power: lambda a, b: a ** b, np.matmul: lambda a, b: a @ b,
    np.negative: lambda a: -a, np.positive: lambda a: a, np.absolute: abs,
    np.square: lambda a: a * a, np.reciprocal: lambda a: 1.0 / a,
    np.exp: Tensor.exp, np.log: Tensor.log, np.log1p: Tensor.log1p, np.sqrt: Tensor.sqrt,
    np.sin: Tensor.sin, np.cos: Tensor.cos, np.tan: Tensor.tan, np.tanh: Tensor.tanh,
}
# ufuncs whose result carries no gradient: computed on the numbers, returned as constant tensors
_CONSTANT_UFUNCS = {np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal, np.isfinite,
                    np.isnan, np.isinf, np.signbit, np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
                    np.sign, np.floor, np.ceil, np.rint, np.trunc}
# numpy functions whose result is no differentiable quantity (facts, booleans, indices)
_READ_ONLY = {np.shape, np.ndim, np.size, np.result_type, np.allclose, np.isclose, np.array_equal, np.array_equiv,
              np.nonzero, np.flatnonzero, np.argwhere, np.count_nonzero, np.all, np.any, np.may_share_memory,
              np.shares_memory, np.unique, np.bincount, np.digitize, np.iscomplexobj, np.isrealobj,
              np.argmax, np.argmin, np.argsort, np.searchsorted}


def _library_function(func):
    """The tinygrad_udl function that `func` (a numpy function) corresponds to, or None."""
    import tinygrad_udl
    from .. import linalg
    module = getattr(func, "__module__", "") or ""
    namespace = linalg if module.startswith("numpy.linalg") else tinygrad_udl
    name = {"amax": "max", "amin": "min", "concat": "concatenate"}.get(func.__name__, func.__name__)
    candidate = getattr(namespace, name, None)
    if candidate is None and namespace is tinygrad_udl:
        method = getattr(Tensor, name, None)   # np.sum(t) -> t.sum(), np.reshape(t, s) -> t.reshape(s)
        candidate = (lambda x, *args, **kwargs: method(Tensor._wrap(np.asarray(x)) if not isinstance(x, Tensor)
                                                       else x, *args, **kwargs)) if callable(method) else None
    return candidate


def _no_graph(what, suggestion):
    return TypeError(f"{what} on a Tensor would compute on its numbers and drop the graph (no gradient would flow "
                     f"back through it). {suggestion}, or call it on t.numpy() (or t.detach().numpy()) if you only "
                     "want the numbers.")


def array_ufunc(self, ufunc, method, *inputs, **kwargs):
    name = f"numpy.{ufunc.__name__}"
    if method != "__call__":
        raise _no_graph(f"{name}.{method}", "Use the library's reductions (t.sum(axis=...), tinygrad_udl.cumsum)")
    if kwargs:
        raise TypeError(f"{name}(...) on a Tensor: the keyword arguments {sorted(kwargs)} (out=, where=, dtype=) are "
                        "not supported; tensors are never written in place by numpy")
    if ufunc in _CONSTANT_UFUNCS:
        return Tensor._wrap(ufunc(*[_raw(x) for x in inputs]))
    op = _UFUNCS.get(ufunc)
    if op is None:
        library = _library_function(ufunc)
        if library is None:
            raise _no_graph(name, f"The library has no {ufunc.__name__}: write it with Tensor operations")
        op = library
    # the other operand of `array + t` as the arithmetic operators lift it (a plain ndarray operand
    # would send `a + b` straight back here)
    other = next(x for x in inputs if isinstance(x, Tensor))
    return op(*[x if isinstance(x, Tensor) else _operand(x, other) for x in inputs])


def array_function(self, func, types, args, kwargs):
    if func in _READ_ONLY:
        return func(*_numbers(args), **_numbers(kwargs))
    library = _library_function(func)
    if library is None:
        raise _no_graph(f"numpy.{func.__name__}",
                        f"The library has no {func.__name__}: write it with Tensor operations")
    return library(*args, **kwargs)


def _numbers(obj):
    """`obj` with every Tensor inside (lists, tuples, dicts) replaced by its array."""
    if isinstance(obj, Tensor):
        return obj.data
    if isinstance(obj, list | tuple):
        return type(obj)(_numbers(x) for x in obj)
    if isinstance(obj, dict):
        return {k: _numbers(v) for k, v in obj.items()}
    return obj


Tensor.__array_ufunc__ = array_ufunc
Tensor.__array_function__ = array_function
