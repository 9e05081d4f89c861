"""Module-level functions that mirror the methods: `tinygrad_udl.sin(x)` for a Value, a Tensor,
a number (made a Value) or an array (made a Tensor)."""
from __future__ import annotations

import numbers

from .autograd.tensor import Tensor
from .autograd.value import Value

_SHARED = ["exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "leaky_relu", "softplus", "abs"]
_TENSOR_ONLY = ["log1p", "elu", "selu", "gelu", "silu", "swish", "erf", "sign", "clip", "sum", "mean", "var", "std",
                "max", "min", "logsumexp", "argmax", "argmin", "softmax", "log_softmax", "reshape", "transpose",
                "permute", "swapaxes", "broadcast_to", "expand", "squeeze", "unsqueeze", "flatten", "pad", "flip",
                "repeat", "tril", "triu"]


def _node(x):
    if isinstance(x, Value | Tensor):
        return x
    if isinstance(x, numbers.Real):
        return Value(x)
    return Tensor(x)


def _make(name):
    def fn(x, *args, **kwargs):
        return getattr(_node(x), name)(*args, **kwargs)

    fn.__name__ = name
    fn.__doc__ = f"`x.{name}(...)` for a Value or Tensor `x` (numbers become Values, arrays Tensors)."
    return fn


def _make_tensor(name):
    def fn(x, *args, **kwargs):
        return getattr(x if isinstance(x, Tensor) else Tensor(x), name)(*args, **kwargs)

    fn.__name__ = name
    fn.__doc__ = f"`Tensor.{name}`, as a function (arrays and numbers become Tensors)."
    return fn


for _name in _SHARED:
    globals()[_name] = _make(_name)
for _name in _TENSOR_ONLY:
    globals()[_name] = _make_tensor(_name)

__all__ = _SHARED + _TENSOR_ONLY
