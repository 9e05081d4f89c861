"""A set of graphs of different sizes as one numpy array, so that the zoo's batch loop can slice it.

The zoo trains on pairs (x, y) of arrays whose axis 0 indexes the examples (`training.fit`), but
graphs have different numbers of nodes, so their matrices cannot be stacked (section 13.5.1).
`pack_graphs` pads every graph to M nodes and stores graph g as an (M, 1 + M + D) slab:

    column 0        1 for the graph's own nodes, 0 for padding (own nodes come first)
    columns 1..M    the adjacency, padded with zeros
    columns M+1..   the node features, padded with zeros

`unpack_graphs` turns a batch of slabs back into the book's form: the graphs' own nodes only,
joined as disjoint components of one block-diagonal graph (`graphs.batch_graphs`, section
13.5.1). The padding never enters a layer, so a model sees exactly the graphs it was given.
"""
from __future__ import annotations

import numpy as np

from ...autograd.tensor import ShapeError, Tensor
from ...graphs import GraphBatch, batch_graphs

__all__ = ["pack_graphs", "unpack_graphs", "packed_width"]


def packed_width(max_nodes: int, num_features: int) -> int:
    """The last axis of a packed graph: node flag, M adjacency columns, D features."""
    return 1 + max_nodes + num_features


def pack_graphs(adjacencies, features, max_nodes: int | None = None) -> np.ndarray:
    """(num_graphs, M, 1 + M + D) float64 slabs of the graphs (layout in the module docstring).

    `adjacencies[g]` is (N_g, N_g) and `features[g]` (N_g, D); M is `max_nodes` (default: the
    largest N_g) and must be at least every N_g.
    """
    where = "pack_graphs"
    adjacencies, features = list(adjacencies), list(features)
    if not adjacencies or len(adjacencies) != len(features):
        raise ValueError(f"{where}: need one feature matrix per adjacency and at least one graph, got "
                         f"{len(adjacencies)} adjacencies and {len(features)} feature matrices")
    # batch_graphs checks each graph (square non-negative adjacency, (N, D) features, N >= 1); one
    # graph at a time, since the block-diagonal matrix of them all would need (Σ N_g)² entries.
    graphs = [batch_graphs([a], [x]) for a, x in zip(adjacencies, features)]
    widths = {g.features.shape[1] for g in graphs}
    if len(widths) != 1:
        raise ShapeError(f"{where}: every graph needs the same number of node features, got {sorted(widths)}")
    sizes = [len(g.batch) for g in graphs]
    m = max(sizes) if max_nodes is None else int(max_nodes)
    if m < max(sizes):
        raise ShapeError(f"{where}: max_nodes={m} is smaller than the largest graph ({max(sizes)} nodes)")
    packed = np.zeros((len(graphs), m, packed_width(m, widths.pop())))
    for slab, g, n in zip(packed, graphs, sizes):
        slab[:n, 0] = 1.0
        slab[:n, 1:1 + n] = g.adjacency
        slab[:n, 1 + m:] = g.features
    return packed


def unpack_graphs(packed) -> GraphBatch:
    """The graphs of a packed batch (num_graphs, M, 1 + M + D) as one block-diagonal graph
    (section 13.5.1), padding removed. A Tensor's data is read: the packing is data, not a
    parameter."""
    where = "unpack_graphs"
    slabs = np.asarray(packed.data if isinstance(packed, Tensor) else packed)
    if slabs.ndim != 3 or slabs.shape[1] < 1 or slabs.shape[2] < 1 + slabs.shape[1] or len(slabs) == 0:
        raise ShapeError(f"{where}: expected packed graphs (num_graphs, M, 1 + M + D) with M >= 1 and at least one "
                         f"graph, got shape {slabs.shape}")
    m = slabs.shape[1]
    flags = slabs[:, :, 0]
    sizes = flags.sum(axis=1).astype(int)
    own_first = flags == (np.arange(m)[None, :] < sizes[:, None])
    if not np.isin(flags, (0.0, 1.0)).all() or not own_first.all() or (sizes == 0).any():
        raise ValueError(f"{where}: column 0 must flag each graph's nodes with 1, first, and the padding with 0 "
                         "(and every graph needs a node); was the array made by pack_graphs?")
    adjacencies = [slab[:n, 1:1 + n] for slab, n in zip(slabs, sizes)]
    features = [slab[:n, 1 + m:] for slab, n in zip(slabs, sizes)]
    return batch_graphs(adjacencies, features)
