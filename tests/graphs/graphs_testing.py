"""Helpers for the graph-data tests: Hypothesis strategies for small graphs and dense reference
formulas written out independently of the code under test."""
import numpy as np
from hypothesis import strategies as st

from tinygrad_udl.graphs import enhanced_adjacency, propagation_matrix


@st.composite
def adjacencies(draw, min_nodes=1, max_nodes=6):
    """A symmetric 0/1 adjacency without self loops (isolated nodes allowed)."""
    n = draw(st.integers(min_nodes, max_nodes))
    bits = np.array(draw(st.lists(st.booleans(), min_size=n * n, max_size=n * n)), dtype=bool).reshape(n, n)
    upper = np.triu(bits, 1)
    return (upper | upper.T).astype(float)


def permutation_matrix(order):
    """P with P[i, order[i]] = 1: row i of P M Pᵀ is node order[i] of M."""
    return np.eye(len(order))[order]


def reference_matrix(a, variant, eps=0.0):
    """The matrices of eqs. 13.8-13.20 and Kipf & Welling, dense, from their formulas. D⁺ is the
    pseudo-inverse of the degree matrix: 1/d on the diagonal and 0 for an isolated node."""
    n = a.shape[0]
    eye = np.eye(n)
    d_plus = np.linalg.pinv(np.diag(a.sum(axis=1)))
    if variant == "A":
        return a
    if variant == "A+I":
        return a + eye
    if variant == "enhanced":
        return a + (1 + eps) * eye
    if variant == "mean":
        return d_plus @ a
    if variant == "mean+I":
        return d_plus @ a + eye
    if variant == "kipf":
        return np.sqrt(d_plus) @ a @ np.sqrt(d_plus) + eye
    if variant == "kipf_original":
        d_tilde = np.diag((a + eye).sum(axis=1))
        return np.linalg.inv(np.sqrt(d_tilde)) @ (a + eye) @ np.linalg.inv(np.sqrt(d_tilde))
    raise ValueError(variant)


VARIANTS = ["A", "A+I", "enhanced", "mean", "mean+I", "kipf", "kipf_original"]


def library_matrix(a, variant, eps=0.0):
    """The same matrices from tinygrad_udl.graphs."""
    calls = {
        "A": lambda: propagation_matrix(a, "sum", self_loops=False),
        "A+I": lambda: propagation_matrix(a),
        "enhanced": lambda: enhanced_adjacency(a, eps),
        "mean": lambda: propagation_matrix(a, "mean", self_loops=False),
        "mean+I": lambda: propagation_matrix(a, "mean"),
        "kipf": lambda: propagation_matrix(a, "kipf"),
        "kipf_original": lambda: propagation_matrix(a, "kipf_original"),
    }
    return calls[variant]()
