"""How smooth node embeddings are over a graph, measured, and predicted exactly for linear propagation.

With Ñ = D^{-1/2} A D^{-1/2} (the normalised adjacency of eq. 13.19) and the normalised Laplacian
L = I − Ñ, the Dirichlet energy of embeddings H (N × D, rows = nodes) is

    E(H) = tr(Hᵀ L H) = ½ Σ_{m,n} A_mn ‖h_m/√d_m − h_n/√d_n‖²    (no isolated nodes),

the total squared difference across edges. `dirichlet_quotient` divides by ‖H‖²_F, so that the
scale of H does not matter: the quotient lies in [0, 2] and is 0 when every column of H is
proportional to D^{1/2}1 (on a connected graph), i.e. when the nodes can no longer be told apart
beyond their degree. Over-smoothing (the chapter's Notes) is the quotient falling towards 0 with
depth.

For the layers of the over-smoothing experiment without weights and activations, the quotient
after K layers has a closed form in the eigendecomposition Ñ = U diag(μ) Uᵀ, with p_i the squared
norm of row i of UᵀX:

- H_{k+1} = (Ñ + (1 + ε_k) I) H_k  (eqs. 13.20 and 13.14 in the row layout; ε_k = 0 in 13.20):
  each eigencomponent is scaled by g_i = Π_k (1 + ε_k + μ_i), so
  q_K = Σ_i (1 − μ_i) g_i² p_i / Σ_i g_i² p_i. The top eigenvalue μ = 1 wins at the rate
  ((1 + ε + μ_2)/(2 + ε))^{2K}: a larger ε (a heavier self term) smooths more slowly.
- H_{k+1} = [Ñ H_k; H_k]  (eq. 13.16, concatenated): H_K holds Ñ^j X with multiplicity C(K, j),
  so component i is weighted by Σ_j C(K, j) μ_i^{2j} = (1 + μ_i²)^K (the binomial theorem).

`linear_quotient` evaluates these sums; it is the exact reference the trained networks' measured
quotients are shown beside.
"""
from __future__ import annotations

import numpy as np

from ...graphs.adjacency import one_graph_adjacency
from ...nn.gnn import propagation_matrix

__all__ = ["normalised_laplacian", "dirichlet_quotient", "linear_quotient"]


def normalised_laplacian(adjacency) -> np.ndarray:
    """L = I − D^{-1/2} A D^{-1/2} (an isolated node keeps a 1 on the diagonal)."""
    a = one_graph_adjacency(adjacency, "normalised_laplacian")
    return np.eye(len(a)) - propagation_matrix(a, "kipf", self_loops=False)


def dirichlet_quotient(embeddings, adjacency) -> float:
    """E(H) / ‖H‖²_F = tr(Hᵀ L H) / tr(Hᵀ H) for embeddings (N, D) of the nodes of `adjacency`;
    NaN when H = 0 (every ReLU off: nothing left to compare)."""
    h = np.asarray(getattr(embeddings, "data", embeddings), dtype=np.float64)
    laplacian = normalised_laplacian(adjacency)
    if h.ndim != 2 or h.shape[0] != len(laplacian):
        raise ValueError(f"dirichlet_quotient: embeddings must be (N, D) for the {len(laplacian)} nodes, got shape "
                         f"{h.shape}")
    norm = float(np.sum(h * h))
    return float(np.sum(h * (laplacian @ h)) / norm) if norm > 0 else float("nan")


def linear_quotient(features, adjacency, depth: int, *, residual: bool = False, eps=0.0) -> float:
    """The Dirichlet quotient after `depth` linear layers started at X = `features` (module
    docstring): (Ñ + (1 + ε_k) I) per layer, or with `residual=True` the concatenation
    [Ñ H; H]. `eps` is one number for every layer or one per layer (the enhanced variant's
    learned ε_k); it is ignored with `residual=True`."""
    if not isinstance(depth, int | np.integer) or depth < 0:
        raise ValueError(f"linear_quotient: depth must be an integer >= 0, got {depth!r}")
    a = one_graph_adjacency(adjacency, "linear_quotient")
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] != len(a):
        raise ValueError(f"linear_quotient: features must be (N, D) for the {len(a)} nodes, got shape {x.shape}")
    mu, u = np.linalg.eigh(propagation_matrix(a, "kipf", self_loops=False))
    power = np.sum((u.T @ x) ** 2, axis=1)   # p_i
    if residual:
        weight = (1.0 + mu ** 2) ** depth
    else:
        eps = np.asarray(eps, dtype=np.float64)
        if eps.shape not in ((), (depth,)):
            raise ValueError(f"linear_quotient: eps must be one number or one per layer ({depth}), got shape "
                             f"{eps.shape}")
        eps = np.broadcast_to(eps, (depth,))
        weight = np.prod((1.0 + eps[:, None] + mu[None, :]) ** 2, axis=0)
    return float(np.sum((1.0 - mu) * weight * power) / np.sum(weight * power))
