"""Operands of Tensor operations that are not Tensors, and the dtype they get (the policy of
tensor.py's docstring): a Python number takes the other operand's dtype (numpy's weak scalars),
arrays and lists become tensors of their own dtype, a `Value` is refused (the engines keep separate
graphs); float32 meeting float64 follows numpy's promotion, and says so once per operation.
"""
from __future__ import annotations

import numbers
import warnings

import numpy as np

from .defaults import get_default_dtype
from .tensor import Tensor, apply
from .value import Value


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
            arr = arr.astype(get_default_dtype())  # Python numbers take the default float dtype
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"Tensor: dtype {arr.dtype} is not supported (use bool, integer or float data)")
    return arr


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
        return Tensor._wrap(np.asarray(x, dtype=get_default_dtype()))
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
