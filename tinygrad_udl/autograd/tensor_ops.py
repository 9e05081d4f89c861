"""`TensorOps`: the node namespace that VJPs run on under `create_graph=True` (it mirrors
`backends.ArrayMath`, the raw namespace of the usual backward): every operation is a recorded one,
so the gradient a VJP computes can be differentiated again (docs/architecture.md).
"""
from __future__ import annotations

import numpy as np

from . import reductions, shape_ops  # noqa: F401  (they attach Tensor.sum, .reshape, ..., read below)
from . import rules as R
from .backends import ArrayMath, broadcast_axes, reduced_shape
from .elementwise import where
from .products import einsum, matmul
from .tensor import Tensor, apply


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
