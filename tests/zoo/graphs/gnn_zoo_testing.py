"""Helpers for the chapter-13 zoo tests: Hypothesis strategies for small graphs, permutations, and
reference formulas written out independently of the code under test."""
import numpy as np
from hypothesis import strategies as st


@st.composite
def graphs(draw, min_nodes=2, max_nodes=7, features=3):
    """(adjacency, features, seed): a symmetric 0/1 adjacency without self loops (isolated nodes
    allowed), float64 node features and an int seed for a model."""
    n = draw(st.integers(min_nodes, max_nodes))
    bits = np.array(draw(st.lists(st.booleans(), min_size=n * n, max_size=n * n)), dtype=bool).reshape(n, n)
    upper = np.triu(bits, 1)
    seed = draw(st.integers(0, 2 ** 16))
    x = np.random.default_rng(seed).standard_normal((n, features))
    return (upper | upper.T).astype(float), x, seed


def permutation_matrix(order):
    """P with P[i, order[i]] = 1: in the row layout, P X relabels the nodes and P A Pᵀ the graph
    (the book's X P and Pᵀ A P of eq. 13.1 for nodes in columns)."""
    return np.eye(len(order))[order]


def random_tree(n, rng):
    """A random recursive tree on n nodes as a 0/1 adjacency (each node joins an earlier one)."""
    gen = np.random.default_rng(rng)
    a = np.zeros((n, n))
    for v in range(1, n):
        u = gen.integers(0, v)
        a[u, v] = a[v, u] = 1.0
    return a


def layer_count(widths, per_layer):
    """Σ_k per_layer(D_k, D_{k+1}) over consecutive widths."""
    return sum(per_layer(a, b) for a, b in zip(widths[:-1], widths[1:]))


def random_graph(n, seed, features=3, p=0.5):
    """(adjacency, features, seed) of a fixed Erdős–Rényi graph G(n, p) with normal features."""
    gen = np.random.default_rng(seed)
    upper = np.triu(gen.random((n, n)) < p, 1)
    return (upper | upper.T).astype(float), gen.standard_normal((n, features)), seed
