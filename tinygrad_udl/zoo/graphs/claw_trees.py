"""A graph-classification set that message passing can learn, built so that counting node types cannot.

The library's triangle set (`graphs.make_triangle_graphs`) asks for the length of a cycle, which a
GCN layer, seeing a node's surroundings as a tree of walks, can infer only indirectly: plain GCNs
barely beat a degree-histogram classifier on it. This set asks for something message passing is
made for, a pattern two hops wide, and removes the shortcut on purpose:

> **label 1 if some node has three or more leaf neighbours (a pendant claw, like the three
> hydrogens of a methyl group), 0 if none has.**

Every graph is a tree, and graphs come in **twins**: two trees with the same degree sequence
(node for node, before the ids are shuffled), one of each class. A uniformly random tree with a
given degree sequence is a uniformly shuffled Prüfer sequence in which node i appears
deg(i) − 1 times; the twins are two shuffles of one such sequence, drawn until both classes have
appeared. So the degree histogram (and anything computed from it, such as the node count, the
edge count, or the mean-pooled one-hot degrees that a GCN with no layers would see) is the same
for both twins, and on a set of whole twin pairs every such classifier is right on exactly one
twin of each pair: **exactly 50 % accuracy**, by construction. The label itself is a function of
the structure, so the Bayes rate is 100 %.

Node features are one-hot degrees (`DEGREE_BUCKETS` columns: degree 1, 2, ..., and "at least
DEGREE_BUCKETS"), the book's one-hot node types of eq. 13.11 with the degree as the type. With
constant features (X = 1) a GCN must first learn an indicator of "degree 1" from a number, which
measured no better than chance in our runs; with one-hot degrees one GCN layer aggregating A + I
can count each node's leaf neighbours (eq. 13.10).
"""
from __future__ import annotations

import numpy as np

from ...checks import as_generator, check_int
from ...graphs import GraphClassification

__all__ = ["DEGREE_BUCKETS", "CLAW_LEAVES", "make_claw_trees", "degree_features", "has_pendant_claw"]

DEGREE_BUCKETS = 6  # one-hot degree features: degree 1, 2, 3, 4, 5, and 6 or more
CLAW_LEAVES = 3     # a node with at least this many leaf neighbours makes label 1


def degree_features(adjacency) -> np.ndarray:
    """(N, DEGREE_BUCKETS) one-hot degrees: column k holds degree k + 1, the last column every
    degree of DEGREE_BUCKETS or more (an isolated node has no column set)."""
    degree = np.asarray(adjacency).sum(axis=1).astype(int)
    out = np.zeros((len(degree), DEGREE_BUCKETS))
    present = degree > 0
    out[np.flatnonzero(present), np.minimum(degree[present], DEGREE_BUCKETS) - 1] = 1.0
    return out


def has_pendant_claw(adjacency) -> bool:
    """Whether some node has at least CLAW_LEAVES neighbours of degree 1 (the label)."""
    a = np.asarray(adjacency)
    leaves = (a.sum(axis=1) == 1).astype(float)
    return bool((a @ leaves >= CLAW_LEAVES).any())


def _prufer_edges(sequence, n):
    """The tree of a Prüfer sequence (length n − 2 over nodes 0..n−1): each entry is joined to
    the smallest current leaf, which is then removed; the last two leaves are joined."""
    degree = [1] * n
    for v in sequence:
        degree[v] += 1
    edges = []
    for v in sequence:
        leaf = degree.index(1)
        edges.append((leaf, v))
        degree[leaf] -= 1
        degree[v] -= 1
    edges.append(tuple(i for i in range(n) if degree[i] == 1))
    return edges


def _adjacency(edges, n, order):
    a = np.zeros((n, n))
    u, v = np.array(edges).T
    a[order[u], order[v]] = a[order[v], order[u]] = 1.0
    return a


def _twins(n, gen, tries):
    """Two trees on n nodes with one degree sequence, without and with a pendant claw, or None
    if `tries` shuffles of a random Prüfer sequence did not give both."""
    sequence = gen.integers(0, n, n - 2)
    found = {}
    for _ in range(tries):
        edges = _prufer_edges(gen.permutation(sequence), n)
        found.setdefault(has_pendant_claw(_adjacency(edges, n, np.arange(n))), edges)
        if len(found) == 2:
            return found[False], found[True]
    return None


def make_claw_trees(n_pairs: int = 200, *, rng, min_nodes: int = 8, max_nodes: int = 16,
                    tries: int = 30) -> GraphClassification:
    """`2 · n_pairs` trees (twin after twin, each pair in random order) labelled by
    `has_pendant_claw`, with one-hot degree features (see the module docstring).

    Args:
        n_pairs: twin pairs; the classes are balanced exactly.
        rng: numpy Generator or int seed; the same seed gives the same graphs.
        min_nodes, max_nodes: each pair's node count is uniform on [min_nodes, max_nodes]
            (a claw beside other structure needs at least 6 nodes).
        tries: shuffles of one degree sequence before a fresh sequence is drawn.
    """
    where = "make_claw_trees"
    n_pairs = check_int(n_pairs, "n_pairs", where, minimum=1)
    min_nodes = check_int(min_nodes, "min_nodes", where, minimum=6)
    max_nodes = check_int(max_nodes, "max_nodes", where, minimum=min_nodes)
    tries = check_int(tries, "tries", where, minimum=2)
    gen = as_generator(rng, where)
    adjacencies, labels = [], []
    while len(labels) < 2 * n_pairs:
        n = int(gen.integers(min_nodes, max_nodes + 1))
        twins = _twins(n, gen, tries)
        if twins is None:
            continue
        for label in gen.permutation(2):
            adjacencies.append(_adjacency(twins[label], n, gen.permutation(n)))  # shuffled node ids
            labels.append(int(label))
    features = tuple(degree_features(a) for a in adjacencies)
    return GraphClassification(tuple(adjacencies), features, np.array(labels, dtype=np.int64))
