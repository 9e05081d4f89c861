"""Affine layers and the small shape-only layers around them.

`Linear` is the book's layer f = β + Ωh (eqs. 3.11-3.12, 4.15) in the row-batch layout of
docs/conventions.md ("Vector layout"): a batch is an N×D matrix X with one example per row, so the
layer computes `X @ W.T + b` with `weight` W = Ω of shape (out, in) and `bias` b = β of shape
(out,) -- the same names and shapes as PyTorch's `nn.Linear`.
"""
from __future__ import annotations

import numpy as np

from ..autograd.rules import primitive
from ..autograd.samples import inputs, normal
from ..autograd.tensor import ShapeError, Tensor, apply, matmul, tensor
from . import init
from .module import Module, Parameter, default_float_dtype


def linear(x, weight, bias=None):
    """`x @ weight.T + bias`: the affine map β + Ωh of eq. 4.15 on a batch of rows (any leading axes)."""
    x = tensor(x)
    if x.ndim == 0 or x.shape[-1] != weight.shape[-1]:
        raise ShapeError(f"linear: the input has shape {x.shape} but the weight has shape {tuple(weight.shape)} "
                         f"(out, in): the input's last axis must have size in={weight.shape[-1]}")
    if bias is not None and weight.ndim == 2 and bias.shape == weight.shape[:1]:
        return apply(LINEAR, x, weight, bias)
    out = matmul(x, weight.T)
    return out if bias is None else out + bias


def _linear_forward(o, x, weight, bias):
    # Leading axes folded into one: a single (n, in) @ (in, out) product; numpy's matmul would loop
    # over a stack of small ones (twice as slow for a transformer's (16, 32, 64) activations).
    out = o.matmul(_rows(o, x), o.swapaxes(weight, -1, -2))
    if out.dtype != np.result_type(out, bias):
        out = out + bias
    else:
        out += bias  # in place on the fresh product: one array and one pass over it fewer (PyTorch's addmm)
    return out if x.ndim == 2 else o.reshape(out, x.shape[:-1] + weight.shape[:1])


def _rows(o, a):
    """All leading axes as one: (..., k) -> (n, k)."""
    return a if a.ndim == 2 else o.reshape(a, (-1, a.shape[-1]))


def _unrows(o, a, like):
    return a if like.ndim == 2 else o.reshape(a, like.shape)


# x @ W.T + b as one primitive (PyTorch's addmm): one node per layer instead of three, and the bias
# added in place. Leading axes of x are batch axes; the gradients of W and b sum over them.
LINEAR = primitive("linear", _linear_forward,
                   lambda o, g, out, x, weight, bias: _unrows(o, o.matmul(_rows(o, g), weight), x),
                   lambda o, g, out, x, weight, bias: o.matmul(o.swapaxes(_rows(o, g), -1, -2), _rows(o, x)),
                   lambda o, g, out, x, weight, bias: o.sum(_rows(o, g), axis=0),
                   sample=inputs(normal(2, 3, 4), normal(5, 4), normal(5)))


class Linear(Module):
    """`Linear(in_features, out_features, bias=True, dtype=None, rng=None)`: y = x Wᵀ + b.

    Initialisation (book's choice, not PyTorch's): He-uniform weights, U(−√(6/in), +√(6/in)),
    i.e. variance 2/in (eq. 7.30), and zero biases -- exactly what the book's training code
    (fig. 7.8) applies with `kaiming_uniform` and `bias.fill_(0)`, and what keeps ReLU networks'
    activations at a stable scale (section 7.5). PyTorch's default differs (weights and biases
    U(±1/√in)); to reproduce it, call `init.uniform_(layer.weight, -1/√in, 1/√in, rng=...)`.
    Zoo models apply the book's initialisation of each figure explicitly.
    `rng` (a numpy Generator or int seed) makes the draw reproducible; by default the library's
    generator (`manual_seed`) is used.
    """

    def __init__(self, in_features, out_features, bias=True, dtype=None, rng=None):
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(value, int | np.integer) or value < 1:
                raise ValueError(f"Linear: {name} must be a positive integer, got {value!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        dtype = default_float_dtype(dtype)
        self.weight = Parameter(np.zeros((self.out_features, self.in_features), dtype))
        self.bias = Parameter(np.zeros(self.out_features, dtype)) if bias else None
        self.reset_parameters(rng)

    def reset_parameters(self, rng=None):
        """He-uniform weights (eq. 7.30, fig. 7.8) and zero biases."""
        init.he_uniform_(self.weight, rng=rng)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x):
        return linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    """Returns its input (a placeholder, e.g. for a removed head in transfer learning, section 9.3.6)."""

    def forward(self, x):
        return x


class Flatten(Module):
    """`Flatten(start_dim=1, end_dim=-1)`: merge axes start_dim..end_dim (keeps the batch axis)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return tensor(x).flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Lambda(Module):
    """`Lambda(fn)`: a module that applies a parameter-free function, e.g. `Lambda(lambda x: x * 2)`."""

    def __init__(self, fn):
        super().__init__()
        if not callable(fn):
            raise TypeError(f"Lambda: expected a function, got {type(fn).__name__}")
        self.fn = fn

    def forward(self, *args, **kwargs):
        return self.fn(*args, **kwargs)

    def extra_repr(self):
        return getattr(self.fn, "__name__", type(self.fn).__name__)


def embedding(indices, weight):
    """Rows of `weight` (num_embeddings, dim) at integer `indices`: Ω_e times one-hot columns
    (section 12.5.2), computed as a lookup. Repeated indices add up in the backward pass."""
    index = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    if index.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {index.dtype}")
    n = weight.shape[0]
    if index.size and (index.min() < -n or index.max() >= n):
        raise IndexError(f"embedding: indices must lie in 0..{n - 1}, got values from {index.min()} to {index.max()}")
    return weight[index]


class Embedding(Module):
    """`Embedding(num_embeddings, embedding_dim, dtype=None, rng=None)`: a learned vector per token.

    `weight` has shape (num_embeddings, embedding_dim) (PyTorch's layout; the book's Ω_e of
    section 12.5.2 is its transpose), initialised N(0, 1) as PyTorch does.
    """

    def __init__(self, num_embeddings, embedding_dim, dtype=None, rng=None):
        super().__init__()
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.weight = Parameter(np.zeros((self.num_embeddings, self.embedding_dim), default_float_dtype(dtype)))
        init.normal_(self.weight, 0.0, 1.0, rng=rng)

    def forward(self, indices):
        return embedding(indices, self.weight)

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}"

