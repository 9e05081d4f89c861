"""Adjacency normalisations (eqs. 13.8-13.20, Kipf & Welling) against dense formulas."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_udl import ShapeError, Tensor
from tinygrad_udl.graphs import enhanced_adjacency, propagation_matrix
from tinygrad_udl.nn.gnn import GCNConv

from graphs_testing import VARIANTS, adjacencies, library_matrix, permutation_matrix, reference_matrix


@pytest.mark.parametrize("variant", VARIANTS)
@settings(max_examples=30)
@given(a=adjacencies(), eps=st.floats(-0.9, 3.0))
def test_normalisations_are_the_formulas(variant, a, eps):
    np.testing.assert_allclose(library_matrix(a, variant, eps), reference_matrix(a, variant, eps),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("variant", [v for v in VARIANTS if not v.startswith("mean")])
@settings(max_examples=20)
@given(a=adjacencies(), eps=st.floats(-0.9, 3.0))
def test_symmetric_input_gives_a_symmetric_matrix(variant, a, eps):
    p = library_matrix(a, variant, eps)
    np.testing.assert_allclose(p, p.T, rtol=1e-12, atol=1e-15)


@settings(max_examples=30)
@given(a=adjacencies())
def test_mean_aggregation_is_row_stochastic(a):
    # Eq. 13.17: row n averages over the neighbours, so its weights sum to one (0 when n has none).
    p = propagation_matrix(a, "mean", self_loops=False)
    has_neighbours = a.sum(axis=1) > 0
    assert (p >= 0).all()
    np.testing.assert_allclose(p.sum(axis=1), has_neighbours.astype(float), rtol=1e-12)


def test_mean_aggregation_is_not_symmetric_on_an_irregular_graph():
    star = np.zeros((3, 3))
    star[0, 1:] = star[1:, 0] = 1.0
    p = propagation_matrix(star, "mean", self_loops=False)
    np.testing.assert_allclose(p, [[0, 0.5, 0.5], [1, 0, 0], [1, 0, 0]])


@pytest.mark.parametrize("variant", VARIANTS)
@settings(max_examples=20)
@given(a=adjacencies(min_nodes=2), seed=st.integers(0, 2 ** 16))
def test_relabelling_nodes_permutes_the_matrices(variant, a, seed):
    # Eq. 13.1 in rows: A -> P A Pᵀ must give P Â Pᵀ (degrees travel with their nodes).
    p = permutation_matrix(np.random.default_rng(seed).permutation(a.shape[0]))
    np.testing.assert_allclose(library_matrix(p @ a @ p.T, variant, 0.3), p @ library_matrix(a, variant, 0.3) @ p.T,
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("aggregation", ["sum", "mean", "kipf"])
def test_enhanced_adjacency_is_the_matrix_gcnconv_applies(aggregation):
    # GCNConv(diagonal_enhancement=True) computes (Â + (1 + ε)I) H Ωᵀ + β without forming the matrix.
    rng = np.random.default_rng(0)
    a = np.array([[0, 1, 1, 0], [1, 0, 1, 0], [1, 1, 0, 1], [0, 0, 1, 0]], dtype=float)
    layer = GCNConv(3, 2, aggregation=aggregation, diagonal_enhancement=True, dtype=np.float64, rng=rng)
    layer.eps.data[...] = 0.4
    x = rng.standard_normal((4, 3))
    expected = enhanced_adjacency(a, layer.eps, aggregation) @ x @ layer.weight.data.T + layer.bias.data
    np.testing.assert_allclose(layer(Tensor(x), a).data, expected, rtol=1e-12)


def test_enhanced_adjacency_stacks_and_weights():
    a = np.array([[0.0, 2.0], [2.0, 0.0]])
    np.testing.assert_allclose(enhanced_adjacency(np.stack([a, a]), 1.0)[1], [[2, 2], [2, 2]])
    np.testing.assert_allclose(enhanced_adjacency(a.astype(bool), -1.0), a.astype(bool))


def test_enhanced_adjacency_errors():
    with pytest.raises(ShapeError, match=r"enhanced_adjacency.*\(3,\)"):
        enhanced_adjacency(np.ones(3), 0.0)
    with pytest.raises(ShapeError, match=r"enhanced_adjacency.*\(2, 3\)"):
        enhanced_adjacency(np.ones((2, 3)), 0.0)
    with pytest.raises(ValueError, match="enhanced_adjacency.*non-negative"):
        enhanced_adjacency(-np.ones((2, 2)), 0.0)
    with pytest.raises(ValueError, match="enhanced_adjacency: eps"):
        enhanced_adjacency(np.ones((2, 2)), np.ones(2))
    with pytest.raises(ValueError, match="enhanced_adjacency: eps"):
        enhanced_adjacency(np.ones((2, 2)), float("nan"))
    with pytest.raises(ValueError, match="kipf_original"):
        enhanced_adjacency(np.ones((2, 2)), 0.0, aggregation="kipf_original")
    with pytest.raises(ValueError, match="aggregation"):
        enhanced_adjacency(np.ones((2, 2)), 0.0, aggregation="max")
