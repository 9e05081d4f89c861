"""The references the chapter-13 entries are compared with, against independent computations:
networkx's own Fiedler vector and harmonic-function label propagation, the Dirichlet energy as a sum
over edges, and the closed-form smoothing of linear layers against explicit matrix products."""
import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from networkx.algorithms import node_classification

from tinygrad_udl.graphs import karate_club
from tinygrad_udl.zoo.graphs import dirichlet_quotient, fiedler_partition, harmonic_labels, linear_quotient
from tinygrad_udl.zoo.graphs import majority_accuracy
from tinygrad_udl.zoo.graphs.references import accuracy

from gnn_zoo_testing import graphs, random_graph


@pytest.fixture(scope="module")
def karate():
    return karate_club()


def test_fiedler_partition_is_networkx_fiedler_vector(karate):
    g = nx.from_numpy_array(karate.adjacency)
    vector = nx.fiedler_vector(g, normalized=False, method="tracemin_lu", seed=0)
    side = (vector > 0).astype(int)
    if side[0] != karate.labels[0]:   # orient as the labelled members say (node 0 is Mr. Hi's)
        side = 1 - side
    ours = fiedler_partition(karate.adjacency, karate.train_mask, karate.labels)
    np.testing.assert_array_equal(ours, side)
    assert accuracy(ours, karate.labels, karate.test_mask) == 30 / 32


def test_harmonic_labels_are_networkx_label_propagation(karate):
    g = nx.from_numpy_array(karate.adjacency)
    for n in np.flatnonzero(karate.train_mask):
        g.nodes[int(n)]["label"] = int(karate.labels[n])
    theirs = np.array(node_classification.harmonic_function(g, label_name="label"))
    ours = harmonic_labels(karate.adjacency, karate.train_mask, karate.labels)
    np.testing.assert_array_equal(ours, theirs)
    assert accuracy(ours, karate.labels, karate.test_mask) == 31 / 32
    assert majority_accuracy(karate.labels, karate.test_mask) == 0.5


def test_references_refuse_graphs_they_cannot_label():
    two_edges = np.zeros((4, 4))
    two_edges[0, 1] = two_edges[1, 0] = two_edges[2, 3] = two_edges[3, 2] = 1.0
    train = np.array([True, False, False, False])
    labels = np.array([0, 1, 1, 1])
    with pytest.raises(ValueError, match="not connected"):
        fiedler_partition(two_edges, train, labels)
    with pytest.raises(ValueError, match="component has no labelled node"):
        harmonic_labels(two_edges, train, labels)


@settings(max_examples=30)
@given(graph=graphs(min_nodes=2, max_nodes=7))
def test_dirichlet_quotient_is_the_sum_over_edges(graph):
    a, h, _ = graph
    degree = a.sum(axis=1)
    if (degree == 0).any():
        return  # the edge form holds without isolated nodes
    scaled = h / np.sqrt(degree)[:, None]
    energy = 0.5 * sum(a[m, n] * np.sum((scaled[m] - scaled[n]) ** 2) for m in range(len(a)) for n in range(len(a)))
    assert dirichlet_quotient(h, a) == pytest.approx(energy / np.sum(h * h), rel=1e-9, abs=1e-12)
    assert dirichlet_quotient(np.sqrt(degree)[:, None] * h[:1], a) == pytest.approx(0.0, abs=1e-12)  # h_n ∝ √d_n
    assert np.isnan(dirichlet_quotient(np.zeros_like(h), a))


@settings(max_examples=20)
@given(seed=st.integers(0, 2 ** 16), depth=st.integers(0, 5))
def test_linear_quotient_is_explicit_propagation(seed, depth):
    a, x, _ = random_graph(7, seed)
    degree = a.sum(axis=1)
    d = np.diag([1 / np.sqrt(v) if v > 0 else 0.0 for v in degree])
    norm_a = d @ a @ d
    eps = np.random.default_rng(seed).uniform(-0.5, 1.0, depth)
    plain, enhanced, residual = x, x, x
    for e in eps:
        plain = (norm_a + np.eye(7)) @ plain                         # eq. 13.20 without Ω, β, a
        enhanced = (norm_a + (1 + e) * np.eye(7)) @ enhanced        # eq. 13.14
        residual = np.concatenate([norm_a @ residual, residual], axis=1)   # eq. 13.16
    assert linear_quotient(x, a, depth) == pytest.approx(dirichlet_quotient(plain, a), rel=1e-8)
    assert linear_quotient(x, a, depth, eps=eps) == pytest.approx(dirichlet_quotient(enhanced, a), rel=1e-8)
    assert linear_quotient(x, a, depth, residual=True) == pytest.approx(dirichlet_quotient(residual, a), rel=1e-8)


def test_linear_smoothing_decays_with_depth_at_the_second_eigenvalue(karate):
    x = np.random.default_rng(0).standard_normal((34, 4))
    quotients = [linear_quotient(x, karate.adjacency, k) for k in (1, 2, 4, 8, 16, 32)]
    assert all(b < a for a, b in zip(quotients, quotients[1:]))
    d = np.diag(karate.adjacency.sum(axis=1) ** -0.5)
    mu = np.sort(np.linalg.eigvalsh(d @ karate.adjacency @ d))     # in [-1, 1], the top one 1
    rate = ((1 + mu[-2]) / 2) ** 2    # per layer: the slowest other component against the top one
    assert quotients[-1] / quotients[-2] == pytest.approx(rate ** 16, rel=0.1)
    with pytest.raises(ValueError, match="one per layer"):
        linear_quotient(x, karate.adjacency, 3, eps=[0.1, 0.2])
