"""Small graph data sets for chapter 13: one graph for node classification (Zachary's karate
club) and a seeded set of small graphs for graph classification.

Arrays are numpy (float64 structure and features, int64 labels); nothing is downloaded.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..checks import as_generator, check_int
from .convert import from_networkx, require_networkx
from .masks import node_masks

__all__ = ["NodeClassification", "GraphClassification", "karate_club", "make_triangle_graphs"]


@dataclass(frozen=True)
class NodeClassification:
    """One graph whose nodes are to be classified, with the split of its nodes (section 13.6).

    Attributes:
        adjacency: (N, N) float64, symmetric 0/1.
        features: (N, D) float64 node features X (in rows, the layout of `nn.gnn`).
        labels: (N,) int64 classes 0..K-1; `label_names[k]` names class k.
        train_mask, val_mask, test_mask: (N,) bool, disjoint, covering every node.
    """

    adjacency: np.ndarray
    features: np.ndarray
    labels: np.ndarray
    label_names: tuple[str, ...]
    train_mask: np.ndarray
    val_mask: np.ndarray
    test_mask: np.ndarray


@dataclass(frozen=True)
class GraphClassification:
    """Graphs with one label each (section 13.5): graph i is `adjacencies[i]` (N_i, N_i) with
    node features `features[i]` (N_i, D) and class `labels[i]`. `batch_graphs` joins a subset
    into one block-diagonal graph (section 13.5.1)."""

    adjacencies: tuple[np.ndarray, ...]
    features: tuple[np.ndarray, ...]
    labels: np.ndarray

    def __len__(self):
        return len(self.labels)


def karate_club() -> NodeClassification:
    """Zachary's karate club (Zachary, 1977) as a transductive node-classification problem
    (sections 13.6-13.7): a friendship network (an undirected graph like fig. 13.2a) of
    34 members and 78 friendships, observed before the club split in two.

    - Structure: networkx's `karate_club_graph()`, 0/1 adjacency. The edge weights networkx
      also stores (counts of shared activities) are left out, as in the classic set-up; use
      `from_networkx(nx.karate_club_graph(), weight="weight")` for them.
    - Features: identity, X = I (34 × 34): the members carry no data, so each node's input is
      its own one-hot index and all the information is in the graph.
    - Labels: the faction each member joined (networkx's 'club' attribute): 0 = 'Mr. Hi' (the
      instructor, node 0) and 1 = 'Officer' (the administrator, node 33), 17 members each.
    - Split: the classic semi-supervised one (as in Kipf & Welling's demonstration): only the
      two leaders are labelled (train = nodes 0 and 33), no validation nodes, the other 32
      members are the test set.
    """
    nx = require_networkx("karate_club")
    graph = nx.karate_club_graph()
    adjacency, features, labels = from_networkx(graph, label_attr="club")
    # from_networkx numbers string labels in sorted order, so the names are the sorted values.
    label_names = tuple(sorted(set(nx.get_node_attributes(graph, "club").values())))
    train_mask, val_mask, test_mask = node_masks(graph.number_of_nodes(), train=[0, 33])
    return NodeClassification(adjacency, features, labels, label_names, train_mask, val_mask, test_mask)


def make_triangle_graphs(n_graphs: int = 200, *, rng, min_nodes: int = 6, max_nodes: int = 12,
                         max_cycle: int = 5) -> GraphClassification:
    """Graph classification (section 13.5) with a label defined by structure alone:
    **label 1 if the graph contains a triangle (a 3-cycle), 0 if it does not.**

    Every graph, of either class, is connected and *unicyclic*: N nodes, N edges and exactly one
    cycle, so node count, edge count and mean degree (exactly 2) say nothing about the label.
    The cycle has length 3 (label 1) or a length drawn uniformly from 4..min(max_cycle, N)
    (label 0); the remaining nodes hang off it as a random tree (each new node joins a uniformly
    chosen earlier node). Node ids are then shuffled, so position says nothing either. The node
    features are constant (X = 1, shape (N, 1)): the only signal is the graph.

    Args:
        n_graphs: number of graphs; the classes are balanced (counts differ by at most one)
            and their order is random.
        rng: numpy Generator or int seed; the same seed gives the same graphs.
        min_nodes, max_nodes: each graph's node count is uniform on [min_nodes, max_nodes].
        max_cycle: the longest cycle of a label-0 graph.
    """
    where = "make_triangle_graphs"
    n_graphs = check_int(n_graphs, "n_graphs", where, minimum=2)
    min_nodes = check_int(min_nodes, "min_nodes", where, minimum=4)  # a label-0 graph needs a 4-cycle
    max_nodes = check_int(max_nodes, "max_nodes", where, minimum=min_nodes)
    max_cycle = check_int(max_cycle, "max_cycle", where, minimum=4)
    gen = as_generator(rng, where)
    labels = gen.permutation(np.arange(n_graphs) % 2).astype(np.int64)
    adjacencies = []
    for label in labels:
        n = int(gen.integers(min_nodes, max_nodes + 1))
        cycle = 3 if label else int(gen.integers(4, min(max_cycle, n) + 1))
        adjacencies.append(_unicyclic(n, cycle, gen))
    features = tuple(np.ones((a.shape[0], 1)) for a in adjacencies)
    return GraphClassification(tuple(adjacencies), features, labels)


def _unicyclic(n, cycle, gen):
    """A connected graph on n nodes whose only cycle has length `cycle`: the cycle on nodes
    0..cycle-1, then each further node v attached to a random node before it (a tree edge can
    never close a second cycle). Node ids are permuted at the end."""
    ring = np.arange(cycle)
    tree = np.arange(cycle, n)
    u = np.concatenate([ring, gen.integers(0, tree)]) if tree.size else ring
    v = np.concatenate([(ring + 1) % cycle, tree])
    order = gen.permutation(n)
    a = np.zeros((n, n))
    a[order[u], order[v]] = a[order[v], order[u]] = 1.0
    return a
