"""Graph data for chapter 13: adjacency matrices and their normalisations, batches of graphs,
per-graph pooling, conversion from networkx, and small data sets (docs/graphs.md).

The layers are in `tinygrad_udl.nn.gnn`. Everything here is numpy except the pooling, which is
made of the library's differentiable ops. networkx is needed only by `from_networkx` and
`karate_club`, and imported when they are called.
"""
from .adjacency import enhanced_adjacency, propagation_matrix
from .batching import GraphBatch, batch_graphs, mean_pool, sum_pool
from .convert import from_networkx
from .datasets import GraphClassification, NodeClassification, karate_club, make_triangle_graphs
from .masks import node_masks, split_nodes

__all__ = [
    "propagation_matrix", "enhanced_adjacency",
    "GraphBatch", "batch_graphs", "mean_pool", "sum_pool",
    "from_networkx",
    "NodeClassification", "GraphClassification", "karate_club", "make_triangle_graphs",
    "node_masks", "split_nodes",
]
