"""Batches of graphs (section 13.5.1) and per-graph pooling for graph-level outputs (eq. 13.2).

Graphs in a batch have different numbers of nodes, so their X and A cannot be stacked into 3-D
arrays. The book's trick: treat the graphs as disjoint components of one large graph, with a
block-diagonal adjacency and the node features concatenated. No edge joins two blocks, so every
normalisation of `adjacency.py` (degrees are per node) and every GCN layer acts on each graph
exactly as it would alone. The pooling that produces one vector per graph must then run over
each graph's own nodes, which the `batch` vector (node → graph index) makes possible.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import block_diag

from ..autograd.tensor import ShapeError, Tensor, tensor
from .adjacency import one_graph_adjacency

__all__ = ["GraphBatch", "batch_graphs", "mean_pool", "sum_pool"]


@dataclass(frozen=True)
class GraphBatch:
    """Several graphs as one (section 13.5.1).

    Attributes:
        adjacency: (N, N) float64 block-diagonal adjacency, N the total number of nodes.
        features: (N, D) node features, graph after graph (the dtype of the inputs).
        batch: (N,) int64, the index of the graph each node belongs to (0, 0, ..., 1, 1, ...).
        num_graphs: the number of graphs.
    """

    adjacency: np.ndarray
    features: np.ndarray
    batch: np.ndarray
    num_graphs: int


def batch_graphs(adjacencies, features) -> GraphBatch:
    """One block-diagonal graph from lists of per-graph adjacencies (N_g, N_g) and node
    features (N_g, D) (section 13.5.1): numpy data, batched before the forward pass. Every graph
    needs at least one node (its mean-pooled output, eq. 13.2, would be undefined) and all
    graphs the same feature size D."""
    where = "batch_graphs"
    adjacencies, features = list(adjacencies), list(features)
    if not adjacencies or len(adjacencies) != len(features):
        raise ValueError(f"{where}: need one feature matrix per adjacency and at least one graph, got "
                         f"{len(adjacencies)} adjacencies and {len(features)} feature matrices")
    blocks = [one_graph_adjacency(a, f"{where} (graph {g})") for g, a in enumerate(adjacencies)]
    if any(isinstance(x, Tensor) and x.requires_grad for x in features):
        raise TypeError(f"{where}: the batch is built from data (numpy arrays) and would cut a Tensor off its "
                        "gradient; concatenate Tensors with tinygrad_udl.cat to keep it")
    rows = [np.asarray(x) for x in features]
    for g, (a, x) in enumerate(zip(blocks, rows)):
        if a.shape[0] == 0 or x.ndim != 2 or x.shape[0] != a.shape[0] or x.shape[1:] != rows[0].shape[1:]:
            raise ShapeError(f"{where}: graph {g} has adjacency {a.shape} and features {x.shape}; need (N, N) and "
                             f"(N, D) with N >= 1 and the D of graph 0 (features {rows[0].shape})")
    sizes = [a.shape[0] for a in blocks]
    return GraphBatch(adjacency=block_diag(*blocks), features=np.concatenate(rows),
                      batch=np.repeat(np.arange(len(sizes)), sizes), num_graphs=len(sizes))


def _membership(batch, x, where):
    """The (graphs × nodes) 0/1 matrix M with M[g, n] = 1 when node n is in graph g, so that
    M X sums each graph's rows: the H_K 1 of eq. 13.2, once per graph."""
    b = np.asarray(batch)
    if x.ndim != 2 or b.ndim != 1 or b.dtype.kind not in "iu" or b.shape[0] != x.shape[0] or b.size == 0:
        raise ShapeError(f"{where}: need node features (N, D) with N >= 1 and an integer batch vector (N,), got "
                         f"features {x.shape} and batch {b.shape} of {b.dtype}")
    if b.min() < 0:
        raise ValueError(f"{where}: graph indices must be >= 0, got {b.min()}")
    if x.dtype.kind != "f":
        raise TypeError(f"{where}: node features must be floating point, got {x.dtype}")
    return (np.arange(b.max() + 1)[:, None] == b[None, :]).astype(x.dtype)


def sum_pool(x, batch) -> Tensor:
    """Sum of each graph's node features: (N, D) → (num_graphs, D), graph g in row g.

    A product with the constant membership matrix (a differentiable op), so gradients flow to
    every node of graph g and to no other node. A graph index without nodes gets a zero row.
    """
    x = tensor(x)
    return Tensor(_membership(batch, x, "sum_pool")) @ x


def mean_pool(x, batch) -> Tensor:
    """Mean of each graph's node features: (N, D) → (num_graphs, D), the mean pooling of eq. 13.2
    run per graph, as section 13.5.1 requires for a batch (not over the whole batch).

    Like `sum_pool`, a product with a constant matrix whose row g holds 1/N_g on the nodes of
    graph g. Every index 0..max(batch) must have at least one node.
    """
    x = tensor(x)
    m = _membership(batch, x, "mean_pool")
    counts = m.sum(axis=1, keepdims=True)
    if (counts == 0).any():
        raise ValueError(f"mean_pool: graphs {np.flatnonzero(counts[:, 0] == 0).tolist()} have no nodes; "
                         "their mean is undefined")
    return Tensor(m / counts) @ x
