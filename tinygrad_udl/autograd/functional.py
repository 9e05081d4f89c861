"""Gradients as functions: PyTorch's `grad(outputs, inputs)` and JAX-style transforms.

    grad(outputs, inputs, grad_outputs=None, create_graph=False)  -> tuple of gradients
    grad(f, argnums=0)(*args)        -> df/dx            value_and_grad(f)(*args) -> (f, df/dx)
    jacobian(f)(x)                   -> J, shape out.shape + x.shape (numerator layout: row = output;
                                        the book's denominator-layout matrices, eq. 7.19, are J.T)
    hessian(f)(x)                    -> H = jacobian(grad(f))(x)
    vjp(f, x, v) -> (f(x), v^T J)    jvp(f, x, v) -> (f(x), J v)    hvp(f, x, v) -> (f(x), H v)

Transforms nest: when an argument already requires grad (an outer transform is differentiating
through this one), the inner one keeps its graph (create_graph=True); otherwise it works on a
fresh leaf and returns constants.
"""
from __future__ import annotations

import numpy as np

from .graph import enable_grad, run_backward
from .tensor import Tensor, stack, tensor
from .value import Value


def _is_node(x):
    return isinstance(x, Tensor | Value)


def grad(outputs, inputs=None, grad_outputs=None, create_graph=False, retain_graph=None, allow_unused=False,
         *, argnums=0):
    """d(outputs)/d(inputs), without touching any `.grad` (PyTorch's torch.autograd.grad).

    Called with a function instead -- `grad(f, argnums=0)` -- it returns the function x -> df/dx.
    """
    if callable(outputs) and not _is_node(outputs):
        return _grad_transform(outputs, argnums, with_value=False)
    outputs = list(outputs) if isinstance(outputs, list | tuple) else [outputs]
    inputs = list(inputs) if isinstance(inputs, list | tuple) else [inputs]
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif not isinstance(grad_outputs, list | tuple):
        grad_outputs = [grad_outputs]
    for x in inputs:
        if not _is_node(x) or not x.requires_grad:
            raise RuntimeError(f"grad(): every input must be a Value or a Tensor with requires_grad=True, got {x!r:.80}")
    seeds = [_seed(out, g, create_graph) for out, g in zip(outputs, grad_outputs)]
    if retain_graph is None:
        retain_graph = create_graph
    results = run_backward(outputs, seeds, retain_graph=retain_graph, create_graph=create_graph, inputs=inputs)
    out = []
    for x, g in zip(inputs, results):
        if g is None and not allow_unused:
            raise RuntimeError(f"grad(): input {x!r:.60} is not used to compute the outputs; pass allow_unused=True "
                               "to get None for it")
        out.append(_as_node(g, x))
    return tuple(out)


def _seed(out, g, as_node):
    if isinstance(out, Value):
        g = 1.0 if g is None else float(g.data if isinstance(g, Value) else g)
        return Value(g) if as_node else g
    if not out.requires_grad:
        raise RuntimeError("grad(): an output does not require grad (none of its inputs requires grad)")
    return out._seed(g, "grad", as_node)


def _as_node(g, like):
    if g is None or _is_node(g):
        return g
    if isinstance(like, Value):
        return Value(g)
    g = np.asarray(g)
    return Tensor._wrap(g if g.dtype == like.dtype else g.astype(like.dtype))


def _prepare(args, argnums):
    """Differentiable versions of the chosen arguments, and whether they come from an outer transform."""
    args = list(args)
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    nested = []
    for i in nums:
        x = args[i]
        if isinstance(x, Tensor) and x.requires_grad:
            nested.append(True)
        elif isinstance(x, Value):
            nested.append(True)  # Values always record; their gradients stay differentiable
        elif isinstance(x, int | float) and not isinstance(x, bool):
            args[i] = Value(x)
            nested.append(False)
        else:
            args[i] = Tensor(x.data if isinstance(x, Tensor) else x, requires_grad=True, dtype=None if not isinstance(x, Tensor) else x.dtype)
            nested.append(False)
    return args, nums, any(nested)


def _grad_transform(f, argnums, with_value):
    def wrapped(*args):
        with enable_grad():
            args, nums, nested = _prepare(args, argnums)
            value = f(*args)
            if not _is_node(value) or (isinstance(value, Tensor) and value.size != 1):
                raise TypeError(f"grad(f): f must return a single number (a Value or a one-element Tensor), got {value!r:.80}")
            inputs = [args[i] for i in nums]
            if isinstance(value, Tensor) and not value.requires_grad:
                grads = tuple(_zeros_like(x) for x in inputs)
            else:
                grads = grad([value], inputs, create_graph=nested, allow_unused=True)
                grads = tuple(_zeros_like(x) if g is None else g for g, x in zip(grads, inputs))
        result = grads[0] if isinstance(argnums, int) else grads
        if not nested:
            result = _plain(result)
            value = _plain(value)
        return (value, result) if with_value else result

    wrapped.__name__ = f"grad_{getattr(f, '__name__', 'f')}"
    return wrapped


def _zeros_like(x):
    return Value(0.0) if isinstance(x, Value) else Tensor._wrap(np.zeros_like(x.data))


def _plain(x):
    """Results of a non-nested transform: floats for Values, constant tensors for Tensors."""
    if isinstance(x, tuple):
        return tuple(_plain(v) for v in x)
    if isinstance(x, Value):
        return x.data
    return x.detach() if isinstance(x, Tensor) else x


def value_and_grad(f, argnums=0):
    """x -> (f(x), df/dx)."""
    return _grad_transform(f, argnums, with_value=True)


def jacobian(f):
    """x -> J with J[i..., j...] = d f(x)[i...] / d x[j...] (one backward pass per output element)."""
    def wrapped(x):
        with enable_grad():
            (x,), _, nested = _prepare([x], 0)
            out = tensor(f(x))
            if not out.requires_grad:
                return Tensor._wrap(np.zeros(out.shape + x.shape, dtype=x.dtype))
            rows = []
            for k in range(out.size):
                seed = np.zeros(out.size, dtype=out.dtype)
                seed[k] = 1
                (g,) = grad([out], [x], [seed.reshape(out.shape)], create_graph=nested, retain_graph=True,
                            allow_unused=True)
                rows.append(_zeros_like(x) if g is None else g)
            J = stack(rows).reshape(out.shape + x.shape)
        return J if nested else J.detach()

    return wrapped


def hessian(f):
    """x -> H, the Jacobian of the gradient (symmetric for a twice-differentiable scalar f)."""
    return jacobian(grad(f))


def _single(x):
    """A differentiable `x`, and whether it comes from an outer transform (then, as in `grad(f)`, the
    result keeps its graph so that the outer transform can differentiate through it)."""
    if isinstance(x, Tensor) and x.requires_grad:
        return x, True
    return Tensor(x.data if isinstance(x, Tensor) else x, requires_grad=True), False


def _result(out, product, nested):
    return (out, product) if nested else (out.detach(), product)


def vjp(f, x, v):
    """(f(x), v^T J): the reverse-mode product, one backward pass."""
    with enable_grad():
        x, nested = _single(x)
        out = f(x)
        if not out.requires_grad:  # f is constant in x: J = 0
            return _result(out, _zeros_like(x), nested)
        (g,) = grad([out], [x], [v], create_graph=nested, allow_unused=True)
    return _result(out, _zeros_like(x) if g is None else g, nested)


def jvp(f, x, v):
    """(f(x), J v) by the double-VJP trick: u -> J^T u is linear in u, and its VJP with v is J v."""
    with enable_grad():
        x, nested = _single(x)
        out = f(x)
        zeros = Tensor._wrap(np.zeros(out.shape, dtype=out.dtype))
        if not out.requires_grad:  # f is constant in x: J = 0
            return _result(out, zeros, nested)
        u = Tensor._wrap(np.zeros(out.shape, dtype=out.dtype), requires_grad=True)
        (jt_u,) = grad([out], [x], [u], create_graph=True, allow_unused=True)
        if jt_u is None or not jt_u.requires_grad:  # f is affine in nothing / constant in x
            return _result(out, zeros, nested)
        (jv,) = grad([jt_u], [u], [v], create_graph=nested, allow_unused=True)
    return _result(out, zeros if jv is None else jv, nested)


def hvp(f, x, v):
    """(f(x), H v) for scalar f: the gradient of (grad f . v), without forming H."""
    with enable_grad():
        x, nested = _single(x)
        out = f(x)
        if not out.requires_grad:  # f is constant in x: H = 0
            return _result(out, _zeros_like(x), nested)
        (g,) = grad([out], [x], create_graph=True, allow_unused=True)
        if g is None or not g.requires_grad:  # f is linear in x: H = 0
            return _result(out, _zeros_like(x), nested)
        (hv,) = grad([(g * tensor(v, dtype=x.dtype)).sum()], [x], create_graph=nested, allow_unused=True)
    return _result(out, _zeros_like(x) if hv is None else hv, nested)
