"""NetworkX graphs as the matrices of section 13.2: adjacency A, node features X, node labels.

networkx is imported inside the functions that need it (`require_networkx`), so the rest of
`tinygrad_udl.graphs` works without it.
"""
from __future__ import annotations

import numpy as np

from ..autograd.tensor import ShapeError
from .adjacency import one_graph_adjacency

__all__ = ["from_networkx"]


def require_networkx(where: str):
    """The networkx module, or an ImportError naming `where` and how to install it."""
    try:
        import networkx
    except ImportError as exc:
        raise ImportError(f"{where} needs the `networkx` package; install it with `pip install networkx`") from exc
    return networkx


def from_networkx(graph, node_features=None, label_attr=None, weight=None):
    """(adjacency, features, labels) of an undirected networkx graph, nodes in `graph.nodes` order.

    Args:
        graph: a `networkx.Graph` (undirected, no parallel edges: the graphs of chapter 13;
            convert others first, e.g. `G.to_undirected()` or `nx.Graph(G)`).
        node_features: None for identity features (row n one-hot for node n, X = I: a node's
            only feature is its identity, the usual choice when nodes carry no data); the name
            of a node attribute holding a number or a vector; or an (N, D) array.
        label_attr: name of a node attribute holding each node's class, or None (labels None).
            Non-negative integers are kept (0-based labels); other values (e.g. strings) are
            numbered 0..K-1 in the sorted order of the distinct values.
        weight: None for a 0/1 adjacency (section 13.2); an edge attribute's name for weighted
            entries (edges without it count 1).

    Returns:
        adjacency (N, N) float64, symmetric; features (N, D) float64; labels (N,) int64 or None.
    """
    where = "from_networkx"
    nx = require_networkx(where)
    if not isinstance(graph, nx.Graph):
        raise TypeError(f"{where}: expected a networkx Graph, got {type(graph).__name__}")
    if graph.is_directed() or graph.is_multigraph():
        raise ValueError(f"{where}: expected an undirected graph without parallel edges (chapter 13), got a "
                         f"{type(graph).__name__}; convert it first (G.to_undirected(), nx.Graph(G))")
    nodes = list(graph.nodes)
    if not nodes:
        raise ValueError(f"{where}: the graph has no nodes")
    adjacency = one_graph_adjacency(nx.to_numpy_array(graph, nodelist=nodes, weight=weight, dtype=np.float64), where)
    return adjacency, _features(graph, nodes, node_features, where), _labels(graph, nodes, label_attr, where)


def _node_values(graph, nodes, attr, where):
    missing = [n for n in nodes if attr not in graph.nodes[n]]
    if missing:
        raise ValueError(f"{where}: nodes {missing[:5]} have no attribute {attr!r}")
    return [graph.nodes[n][attr] for n in nodes]


def _features(graph, nodes, node_features, where):
    n = len(nodes)
    if node_features is None:
        return np.eye(n)
    if isinstance(node_features, str):
        try:
            x = np.asarray(_node_values(graph, nodes, node_features, where), dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}: node attribute {node_features!r} must hold a number or an equal-length "
                             f"vector at every node ({exc})") from None
        return x.reshape(n, -1)  # a number per node becomes one feature column
    x = np.asarray(node_features, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] != n:
        raise ShapeError(f"{where}: node_features must be (N, D) with N = {n} nodes, got shape {x.shape}")
    return x


def _labels(graph, nodes, label_attr, where):
    if label_attr is None:
        return None
    values = _node_values(graph, nodes, label_attr, where)
    if all(isinstance(v, int | np.integer) and not isinstance(v, bool) and v >= 0 for v in values):
        return np.asarray(values, dtype=np.int64)
    try:
        classes = sorted(set(values))
    except TypeError:
        raise TypeError(f"{where}: the values of {label_attr!r} are neither non-negative ints nor sortable "
                        f"(got {sorted({type(v).__name__ for v in values})})") from None
    index = {c: k for k, c in enumerate(classes)}
    return np.array([index[v] for v in values], dtype=np.int64)
