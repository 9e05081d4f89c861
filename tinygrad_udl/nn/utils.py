"""A model's parameters as one vector, and running a model with other parameters.

Chapter 20's diagnostics treat all the parameters φ of a model as one point of a space: linear
interpolation φ(δ) = (1-δ)φ₀ + δφ₁ (fig. 20.5), random subspaces φ = φ₀ + Pd (fig. 20.6), the
Hessian of the loss with respect to φ (figs. 20.8-20.9). Three tools make that possible:

    parameters_to_vector(parameters)       φ as one 1-D Tensor (differentiable)
    vector_to_parameters(vec, parameters)  copy a vector back into the parameters' .data
    vector_to_tensors(vec, parameters)     cut a vector into tensors shaped like the parameters
                                           (differentiable: the inverse of parameters_to_vector)
    functional_call(module, params, *inputs, **kwargs)
                                           run the module with its parameters replaced

With them, the loss becomes a function of one vector, which is what `grad`, `hvp`, `jacobian`
and `hessian` differentiate (see docs/distributions.md for a Hessian-vector product).
"""
from __future__ import annotations

import collections
from collections.abc import Mapping

import numpy as np

from ..autograd.graph import no_grad
from ..autograd.tensor import ShapeError, Tensor, concatenate, split, tensor
from .module import Module, StateDictError


def _tensor_list(parameters, where):
    if isinstance(parameters, Tensor):
        raise TypeError(f"{where}: expected an iterable of Tensors (e.g. model.parameters()), got one Tensor; "
                        "wrap it in a list")
    parameters = list(parameters)
    for i, p in enumerate(parameters):
        if not isinstance(p, Tensor):
            raise TypeError(f"{where}: entry {i} is a {type(p).__name__}, not a Tensor")
    if not parameters:
        raise ValueError(f"{where}: no parameters were given (an empty model, or a generator already used up?)")
    return parameters


def parameters_to_vector(parameters):
    """The parameters, each flattened (row-major), concatenated into one 1-D Tensor in the order
    given; differentiable, so a function of the vector has gradients with respect to each parameter."""
    return concatenate([p.reshape(-1) for p in _tensor_list(parameters, "parameters_to_vector")])


def vector_to_tensors(vec, parameters):
    """`vec` (1-D) cut into a list of Tensors shaped like `parameters`, in order: the inverse of
    `parameters_to_vector`, and differentiable in `vec`. The parameters themselves are not changed."""
    parameters = _tensor_list(parameters, "vector_to_tensors")
    vec = tensor(vec)
    total = sum(p.size for p in parameters)
    if vec.ndim != 1 or vec.size != total:
        raise ShapeError(f"vector_to_tensors: the vector has shape {vec.shape}, but the {len(parameters)} parameters "
                         f"have {total} numbers in all; it must have shape ({total},)")
    pieces = split(vec, np.cumsum([p.size for p in parameters])[:-1].tolist())
    return [piece.reshape(p.shape) for piece, p in zip(pieces, parameters)]


def vector_to_parameters(vec, parameters):
    """Copy the numbers of `vec` into the parameters' `.data`, in order (outside the graph, as an
    optimizer step). Each parameter keeps its dtype and gets its own copy (PyTorch's version shares
    memory with `vec`). The length is checked before anything is written."""
    parameters = list(parameters)
    with no_grad():
        pieces = vector_to_tensors(vec, parameters)
    for p, piece in zip(parameters, pieces):
        p.data = np.array(piece.data, dtype=p.dtype)
        p._bump_version()   # a graph recorded with the old values must not run backward


def functional_call(module, params, /, *inputs, **kwargs):
    """`module(*inputs, **kwargs)` with its parameters (and, optionally, buffers) replaced by the
    Tensors of `params`, a dict keyed by the names of `module.named_parameters()` (and
    `named_buffers()`): PyTorch's torch.func.functional_call.

    Every parameter must be given, each with its parameter's shape; buffers not given keep the
    module's (a given buffer is used as a numpy array, and updates a BatchNorm makes in training go
    into it). A tied parameter is replaced everywhere it is used. The module's own parameters and
    buffers are restored afterwards, also when the forward raises. The output's graph leads to the
    given Tensors, so gradients, `hvp` and `hessian` are taken with respect to them.
    """
    if not isinstance(module, Module):
        raise TypeError(f"functional_call: expected a Module, got {type(module).__name__}")
    if not isinstance(params, Mapping):
        raise TypeError(f"functional_call: params must be a dict of name -> Tensor (names as in "
                        f"named_parameters()), got {type(params).__name__}")
    entries = _entries(module)
    _check_names(module, entries, params)
    replacements = [(places, _replacement(name, kind, original, params[name]))
                    for name, (kind, original, places) in entries.items() if name in params]
    saved = [(registry, local, registry[local]) for places, _ in replacements for registry, local in places]
    try:
        for places, value in replacements:
            for registry, local in places:
                registry[local] = value
        return module(*inputs, **kwargs)
    finally:
        for registry, local, original in saved:
            registry[local] = original


def _entries(module):
    """name -> (kind, original, places) for every parameter and buffer of `module`, where `places`
    lists each (registry dict, local name) holding it: a parameter shared by two layers is listed
    once by named_parameters(), but both layers must see the replacement."""
    places = collections.defaultdict(list)
    for _, m in module.named_modules():
        for registry in (m._parameters, m._buffers):
            for local, value in registry.items():
                if value is not None:
                    places[id(value)].append((registry, local))
    named = [(n, "parameter", p) for n, p in module.named_parameters()]
    named += [(n, "buffer", b) for n, b in module.named_buffers()]
    return {name: (kind, value, places[id(value)]) for name, kind, value in named}


def _check_names(module, entries, params):
    needed = [name for name, (kind, _, _) in entries.items() if kind == "parameter"]
    missing = [name for name in needed if name not in params]
    unexpected = [name for name in params if name not in entries]
    problems = []
    if missing:
        problems.append(f"missing parameters: {', '.join(missing)}")
    if unexpected:
        problems.append(f"unexpected names: {', '.join(map(repr, unexpected))}")
    if problems:
        raise StateDictError(f"functional_call({type(module).__name__}): " + "; ".join(problems)
                             + f". The names are those of named_parameters() and named_buffers(): "
                             f"{', '.join(entries) or 'none'}. To replace only some parameters, start from "
                             "dict(module.named_parameters()) and overwrite entries")


def _replacement(name, kind, original, value):
    """The value to put in place of parameter or buffer `name`, checked against the original."""
    if kind == "parameter":
        if not isinstance(value, Tensor):
            raise TypeError(f"functional_call: '{name}' must be a Tensor (use tinygrad_udl.tensor(...)), "
                            f"got {type(value).__name__}")
    else:  # buffers live outside the graph, as numpy arrays
        value = value.data if isinstance(value, Tensor) else np.asarray(value)
    if value.shape != original.shape:
        raise StateDictError(f"functional_call: '{name}' has shape {value.shape}, but the module's {kind} has shape "
                             f"{original.shape}")
    return value
