"""Graph layers (chapter 13) in the row layout: node features are the rows of X (N_nodes, D).

The book keeps nodes as the columns of a D×N matrix H and post-multiplies by the adjacency,
H_{k+1} = a[β1ᵀ + ΩH(A + I)] (eq. 13.10). Transposing gives the row form used here
(docs/conventions.md, "GNN layout"):

    H_{k+1} = a[(A + I) H Ωᵀ + β]          (H: N×D, Ω: weight (out, in) as Linear)

For the undirected graphs of chapter 13 A is symmetric and the two agree exactly; for a directed
adjacency, row n here aggregates over the nodes m with A[n, m] ≠ 0 (the book's column form with
Aᵀ). The adjacency is structure, not a parameter: it is read as a constant array (a Tensor's
data is used; no gradient flows into A). A batch of graphs is either one block-diagonal graph
(§13.5.1) or stacked arrays X (B, N, D) with A (B, N, N).

`GCNConv` aggregation variants (§13.8):
- 'sum'  (eqs. 13.8-13.10): (A + I)HΩᵀ + β
- 'mean' (eqs. 13.17-13.18): (D⁻¹A + I)HΩᵀ + β -- the neighbours' mean plus the node itself
- 'kipf' (eqs. 13.19-13.20, the book's form): (D^{-1/2}AD^{-1/2} + I)HΩᵀ + β
- 'kipf_original' (Kipf & Welling 2017): D̃^{-1/2}(A + I)D̃^{-1/2}HΩᵀ + β with D̃ = D + I
with D the diagonal degree matrix (row sums of A). **Degree 0**: an isolated node has no
neighbours, so its neighbour term is 0 (the 1/0 of D⁻¹ and D^{-1/2} is taken as 0) and it keeps
only its self term; 'kipf_original' never divides by 0 (D̃ ≥ 1).
Options: `diagonal_enhancement=True` (eq. 13.14) replaces I by (1 + ε)I with a learned scalar
`eps` (GIN's name); `self_transform=True` (eq. 13.15) replaces the self term by a separate
linear map HΨᵀ (`self_weight`). `activation` (default None: return the pre-activation, as
PyTorch layers do; pass e.g. `relu` for the book's a[·]).

`GraphAttention` (eqs. 13.22-13.24): H′ = HΩᵀ + β; score s_nm = a[φᵀ[h′_m; h′_n]] for each
neighbour m of n (and n itself); weights = softmax over m of the scores, restricted to A + I
(the book's Softmask); output a_out[Σ_m w_nm h′_m]. The score activation is configurable,
default LeakyReLU(0.2) (the GAT paper's; the book leaves it unspecified, labelled standard).
Because A + I always contains the self-loop, no node's row is ever fully masked.
"""
from __future__ import annotations

import numpy as np

from ..autograd.tensor import ShapeError, Tensor, tensor, where
from ..checks import optional_generator
from . import init
from .linear import linear
from .module import Module, Parameter, default_float_dtype

__all__ = ["propagation_matrix", "gcn_conv", "graph_attention", "GCNConv", "GraphAttention"]

AGGREGATIONS = ("sum", "mean", "kipf", "kipf_original")


def _adjacency(adjacency, n_nodes, op):
    a = np.asarray(adjacency.data if isinstance(adjacency, Tensor) else adjacency)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2] or a.shape[-1] != n_nodes:
        raise ShapeError(f"{op}: the adjacency must be (N, N) (or (B, N, N)) for {n_nodes} nodes, got shape {a.shape}")
    if a.dtype == bool:
        a = a.astype(np.float64)
    if a.dtype.kind not in "iuf" or (a < 0).any():
        raise ValueError(f"{op}: the adjacency must hold non-negative numbers (edge weights), got {a.dtype}")
    return a


def _inverse(values, power):
    """values ** power with 0 -> 0 (degree-0 nodes have no neighbour term)."""
    out = np.zeros_like(values, dtype=np.float64)
    positive = values > 0
    out[positive] = values[positive] ** power
    return out


def propagation_matrix(adjacency, aggregation="sum", self_loops=True):
    """The N×N matrix P with H′ = P H Ωᵀ + β (before the options), as a float64 array.

    aggregation: 'sum' A, 'mean' D⁻¹A, 'kipf' D^{-1/2}AD^{-1/2}, 'kipf_original'
    D̃^{-1/2}(A+I)D̃^{-1/2}; `self_loops` adds I to the first three (the book's "+ I"), the last
    has its own. Degree-0 rows: see the module docstring.
    """
    if aggregation not in AGGREGATIONS:
        raise ValueError(f"propagation_matrix: aggregation must be one of {', '.join(AGGREGATIONS)}, "
                         f"got {aggregation!r}")
    a = np.asarray(adjacency.data if isinstance(adjacency, Tensor) else adjacency, dtype=np.float64)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ShapeError(f"propagation_matrix: the adjacency must be square, (N, N) or (B, N, N), got shape {a.shape}")
    eye = np.eye(a.shape[-1])
    if aggregation == "kipf_original":
        a_tilde = a + eye
        d = _inverse(a_tilde.sum(axis=-1), -0.5)
        return d[..., :, None] * a_tilde * d[..., None, :]
    degree = a.sum(axis=-1)
    if aggregation == "mean":
        a = _inverse(degree, -1.0)[..., :, None] * a
    elif aggregation == "kipf":
        d = _inverse(degree, -0.5)
        a = d[..., :, None] * a * d[..., None, :]
    return a + eye if self_loops else a


def _nodes(x, op):
    x = tensor(x)
    if x.ndim not in (2, 3):
        raise ShapeError(f"{op}: node features must be (N, D) or (B, N, D), got shape {x.shape}")
    return x


def _check_options(aggregation, diagonal_enhancement, self_transform, op):
    if aggregation not in AGGREGATIONS:
        raise ValueError(f"{op}: aggregation must be one of {', '.join(AGGREGATIONS)}, got {aggregation!r}")
    if aggregation == "kipf_original" and (diagonal_enhancement or self_transform):
        raise ValueError(f"{op}: 'kipf_original' already normalises A + I; the diagonal enhancement and the separate "
                         "self transform apply to the other aggregations")
    if diagonal_enhancement and self_transform:
        raise ValueError(f"{op}: use either the diagonal enhancement (eq. 13.14) or the separate self transform "
                         "(eq. 13.15), not both")


def gcn_conv(x, adjacency, weight, bias=None, aggregation="sum", eps=None, self_weight=None, activation=None):
    """One GCN layer (eqs. 13.9-13.20), row layout: a[P H Ωᵀ + (1 + ε) H Ωᵀ or H Ψᵀ + β].

    `eps` (a scalar Tensor) is the diagonal enhancement of eq. 13.14; `self_weight` Ψ the
    separate self transform of eq. 13.15 (then P has no "+ I"). Without either, P includes I.
    """
    op = "gcn_conv"
    _check_options(aggregation, eps is not None, self_weight is not None, op)
    x = _nodes(x, op)
    a = _adjacency(adjacency, x.shape[-2], op)
    separate_self = eps is not None or self_weight is not None
    p = Tensor._wrap(propagation_matrix(a, aggregation, self_loops=not separate_self).astype(x.dtype))
    h = linear(x, weight)                                                   # H Ωᵀ
    out = p @ h
    if eps is not None:
        out = out + h * (1 + eps)                                           # (A + (1 + ε)I) H Ωᵀ
    elif self_weight is not None:
        out = out + linear(x, self_weight)                                  # A H Ωᵀ + H Ψᵀ
    if bias is not None:
        out = out + bias
    return out if activation is None else activation(out)


def graph_attention(x, adjacency, weight, att, bias=None, score_activation=None, activation=None):
    """Graph attention (eqs. 13.22-13.24), row layout. att = φ (2·D_out,): φ[:D_out] multiplies the
    neighbour h′_m, φ[D_out:] the receiving node h′_n. score_activation defaults to LeakyReLU(0.2)."""
    op = "graph_attention"
    x = _nodes(x, op)
    a = _adjacency(adjacency, x.shape[-2], op)
    h = linear(x, weight, bias)                                             # H′ = HΩᵀ + β (eq. 13.22)
    d_out = h.shape[-1]
    if att.shape != (2 * d_out,):
        raise ShapeError(f"{op}: att must have shape (2*out_features,) = {(2 * d_out,)}, got {att.shape}")
    neighbour = h @ att[:d_out]                                             # φ_mᵀ h′_m, one per node m
    receiver = h @ att[d_out:]                                              # φ_nᵀ h′_n
    scores = receiver.unsqueeze(-1) + neighbour.unsqueeze(-2)               # [n, m] = φᵀ[h′_m; h′_n]
    scores = scores.leaky_relu(0.2) if score_activation is None else score_activation(scores)
    allowed = (a + np.eye(a.shape[-1])) != 0                                # Softmask over A + I (eq. 13.24)
    weights = where(allowed, scores, -np.inf).softmax(axis=-1)
    out = weights @ h
    return out if activation is None else activation(out)


class GCNConv(Module):
    """`GCNConv(in_features, out_features, bias=True, aggregation='sum', diagonal_enhancement=False,
    self_transform=False, activation=None, *, dtype=None, rng=None)`: `layer(x, adjacency)`.

    Parameters: `weight` Ω (out, in), `bias` β (out,); with diagonal_enhancement a scalar `eps`
    (ε of eq. 13.14, starting at 0); with self_transform `self_weight` Ψ (out, in) (eq. 13.15).
    Weights He-uniform and biases zero, as `Linear`.
    """

    def __init__(self, in_features, out_features, bias=True, aggregation="sum", diagonal_enhancement=False,
                 self_transform=False, activation=None, *, dtype=None, rng=None):
        super().__init__()
        _check_options(aggregation, diagonal_enhancement, self_transform, "GCNConv")
        dtype = default_float_dtype(dtype)
        self.in_features, self.out_features, self.aggregation = in_features, out_features, aggregation
        self.activation = activation
        self.weight = Parameter(np.zeros((out_features, in_features), dtype))
        self.bias = Parameter(np.zeros(out_features, dtype)) if bias else None
        self.eps = Parameter(np.zeros((), dtype)) if diagonal_enhancement else None
        self.self_weight = Parameter(np.zeros((out_features, in_features), dtype)) if self_transform else None
        rng = optional_generator(rng, "gnn")
        for w in (self.weight, self.self_weight):
            if w is not None:
                init.he_uniform_(w, rng=rng)

    def forward(self, x, adjacency):
        return gcn_conv(x, adjacency, self.weight, self.bias, self.aggregation, self.eps, self.self_weight,
                        self.activation)

    def extra_repr(self):
        s = f"{self.in_features}, {self.out_features}, aggregation={self.aggregation!r}"
        if self.eps is not None:
            s += ", diagonal_enhancement=True"
        if self.self_weight is not None:
            s += ", self_transform=True"
        return s


class GraphAttention(Module):
    """`GraphAttention(in_features, out_features, bias=True, score_activation=None, activation=None,
    *, dtype=None, rng=None)`: `layer(x, adjacency)` (eqs. 13.22-13.24).

    Parameters: `weight` Ω (out, in), `bias` β (out,), `att` φ (2·out,). score_activation
    defaults to LeakyReLU with slope 0.2 (standard, from the GAT paper). Ω He-uniform, φ
    Glorot-uniform over its 2·out entries, β zero.
    """

    def __init__(self, in_features, out_features, bias=True, score_activation=None, activation=None, *, dtype=None,
                 rng=None):
        super().__init__()
        dtype = default_float_dtype(dtype)
        self.in_features, self.out_features = in_features, out_features
        self.score_activation, self.activation = score_activation, activation
        rng = optional_generator(rng, "gnn")
        self.weight = init.he_uniform_(Parameter(np.zeros((out_features, in_features), dtype)), rng=rng)
        self.bias = Parameter(np.zeros(out_features, dtype)) if bias else None
        bound = np.sqrt(6.0 / (2 * out_features + 1))  # Glorot for a (1, 2·out) map
        self.att = init.uniform_(Parameter(np.zeros(2 * out_features, dtype)), -bound, bound, rng=rng)

    def forward(self, x, adjacency):
        return graph_attention(x, adjacency, self.weight, self.att, self.bias, self.score_activation, self.activation)

    def extra_repr(self):
        return f"{self.in_features}, {self.out_features}"
