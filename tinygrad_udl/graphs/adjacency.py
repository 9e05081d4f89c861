"""Adjacency matrices for chapter 13: the N×N structure a GCN layer multiplies by.

The normalisations live with the layers that use them (`nn.gnn.propagation_matrix`) and are
re-exported here, so that data code and layers share one definition. In the row layout of
`nn.gnn` (node features are the rows of X), row n of the matrix mixes the nodes m with
A[n, m] ≠ 0. For the undirected (symmetric) graphs of the chapter each matrix is the transpose
of the book's post-multiplying one: D⁻¹A here is AD⁻¹ in eq. 13.18, and the others are
symmetric, so they are the book's matrices unchanged.

| matrix                           | call                                             | book           |
|----------------------------------|--------------------------------------------------|----------------|
| A (neighbour sum)                | propagation_matrix(A, "sum", self_loops=False)   | eq. 13.8       |
| A + I (self loops)               | propagation_matrix(A)                            | eq. 13.10      |
| A + (1 + ε)I                     | enhanced_adjacency(A, eps)                       | eq. 13.14      |
| D⁻¹A (mean, row-stochastic)      | propagation_matrix(A, "mean", self_loops=False)  | eq. 13.17      |
| D⁻¹A + I                         | propagation_matrix(A, "mean")                    | eq. 13.18      |
| D^{-1/2}AD^{-1/2} + I            | propagation_matrix(A, "kipf")                    | eq. 13.20      |
| D̃^{-1/2}(A + I)D̃^{-1/2}, D̃ = D+I | propagation_matrix(A, "kipf_original")           | Kipf & Welling |

D is the diagonal degree matrix (row sums of A); an isolated node's 1/0 is taken as 0 (see
`nn.gnn`). Only the diagonal enhancement is new here: `GCNConv` learns ε as a parameter and
never forms the matrix, which is what one inspects, plots or precomputes for a fixed ε.
"""
from __future__ import annotations

import numpy as np

from ..autograd.tensor import ShapeError, Tensor
# The layers' own adjacency check and option rules: one definition of what a valid adjacency is.
from ..nn.gnn import _adjacency, _check_options, propagation_matrix

__all__ = ["propagation_matrix", "enhanced_adjacency"]


def _checked(adjacency, where):
    """The layers' own check (nn.gnn): square (N, N) or (B, N, N), numeric or bool, non-negative;
    returned as float64. Errors name `where` and the shape."""
    a = np.asarray(adjacency.data if isinstance(adjacency, Tensor) else adjacency)
    return _adjacency(a, a.shape[-1] if a.ndim else 0, where).astype(np.float64, copy=False)


def one_graph_adjacency(adjacency, where: str) -> np.ndarray:
    """`adjacency` of a single graph as a checked float64 (N, N) array."""
    a = _checked(adjacency, where)
    if a.ndim != 2:
        raise ShapeError(f"{where}: the adjacency of one graph must be (N, N), got shape {a.shape}")
    return a


def enhanced_adjacency(adjacency, eps, aggregation: str = "sum") -> np.ndarray:
    """A + (1 + ε)I: the diagonal enhancement of eq. 13.14, which weights a node's own
    embedding by 1 + ε against its neighbours' (ε = 0 gives the A + I of eq. 13.10).

    `eps` is a number or a scalar Tensor (e.g. a trained `GCNConv(...).eps`). `aggregation`
    'mean' or 'kipf' normalises A first (D⁻¹A, D^{-1/2}AD^{-1/2}), as `gcn_conv` does when it
    is given ε; 'kipf_original' has its own self loops and takes no enhancement. Accepts one
    graph (N, N) or a stack (B, N, N); returns float64.
    """
    where = "enhanced_adjacency"
    _check_options(aggregation, True, False, where)
    eps_value = np.asarray(eps.data if isinstance(eps, Tensor) else eps)
    if eps_value.shape != () or eps_value.dtype.kind not in "iuf" or not np.isfinite(eps_value):
        raise ValueError(f"{where}: eps must be a finite number or a scalar Tensor, got {eps!r:.60}")
    a = _checked(adjacency, where)
    neighbours = propagation_matrix(a, aggregation, self_loops=False)
    return neighbours + (1.0 + float(eps_value)) * np.eye(a.shape[-1])
