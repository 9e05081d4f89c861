"""Graph layers (chapter 13) against the book's column form (nodes = columns, A post-multiplies)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_udl import ShapeError, Tensor
from tinygrad_udl.nn.activation import relu
from tinygrad_udl.nn.gnn import GCNConv, GraphAttention, gcn_conv, propagation_matrix

from nn_layers_testing import assert_grads, assert_module_grads, permutation_matrix

AGGREGATIONS = ["sum", "mean", "kipf", "kipf_original"]


def inverse_or_zero(d, power):
    return np.array([v ** power if v > 0 else 0.0 for v in d])


def column_gcn(h, a, omega, beta, aggregation, eps=None, psi=None):
    """Eqs. 13.10, 13.14, 13.15, 13.18, 13.20 and Kipf & Welling, with H (D×N) and A post-multiplying."""
    n = a.shape[0]
    eye = np.eye(n)
    deg = a.sum(axis=0)  # symmetric A: row and column sums agree
    if aggregation == "sum":
        agg = a
    elif aggregation == "mean":
        agg = a @ np.diag(inverse_or_zero(deg, -1.0))  # A D^-1 (eq. 13.18)
    elif aggregation == "kipf":
        dh = np.diag(inverse_or_zero(deg, -0.5))
        agg = dh @ a @ dh  # eq. 13.20
    else:
        dt = np.diag((deg + 1) ** -0.5)
        return beta[:, None] + omega @ h @ (dt @ (a + eye) @ dt)
    if psi is not None:
        return beta[:, None] + omega @ h @ agg + psi @ h  # eq. 13.15
    diag = 1.0 + (0.0 if eps is None else eps)
    return beta[:, None] + omega @ h @ (agg + diag * eye)  # eq. 13.10 / 13.14


def column_gat(h, a, omega, beta, phi):
    """Eqs. 13.22-13.24: H' = beta 1^T + Omega H; S[m, n] = LReLU_0.2(phi^T [h'_m; h'_n]); column softmax over A + I."""
    hp = beta[:, None] + omega @ h
    d, n = hp.shape
    s = np.array([[phi[:d] @ hp[:, m] + phi[d:] @ hp[:, nn] for nn in range(n)] for m in range(n)])
    s = np.where(s > 0, s, 0.2 * s)
    s = np.where(a + np.eye(n) != 0, s, -np.inf)
    w = np.exp(s - s.max(axis=0, keepdims=True))
    return hp @ (w / w.sum(axis=0, keepdims=True))


@st.composite
def graphs(draw, min_nodes=1, max_nodes=6):
    n = draw(st.integers(min_nodes, max_nodes))
    upper = np.triu(np.array(draw(st.lists(st.booleans(), min_size=n * n, max_size=n * n))).reshape(n, n), 1)
    return (upper | upper.T).astype(float), draw(st.integers(0, 2 ** 16))


def _layer(aggregation, rng, **options):
    layer = GCNConv(3, 2, aggregation=aggregation, dtype=np.float64, rng=rng, **options)
    layer.bias.data[...] = rng.standard_normal(2)
    if layer.eps is not None:
        layer.eps.data[...] = 0.7
    return layer


@pytest.mark.parametrize("aggregation", AGGREGATIONS)
@settings(max_examples=12)
@given(graph=graphs())
def test_gcn_is_the_books_column_form_transposed(aggregation, graph):
    a, seed = graph
    rng = np.random.default_rng(seed)
    layer = _layer(aggregation, rng)
    x = rng.standard_normal((a.shape[0], 3))
    expected = column_gcn(x.T, a, layer.weight.data, layer.bias.data, aggregation).T
    np.testing.assert_allclose(layer(Tensor(x), a).data, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("option", ["diagonal_enhancement", "self_transform"])
@pytest.mark.parametrize("aggregation", ["sum", "mean", "kipf"])
def test_section_13_8_variants(option, aggregation):
    rng = np.random.default_rng(1)
    a = np.array([[0, 1, 1, 0], [1, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]], dtype=float)  # node 3 is isolated
    layer = _layer(aggregation, rng, **{option: True})
    x = rng.standard_normal((4, 3))
    eps = 0.7 if option == "diagonal_enhancement" else None
    psi = layer.self_weight.data if option == "self_transform" else None
    expected = column_gcn(x.T, a, layer.weight.data, layer.bias.data, aggregation, eps, psi).T
    np.testing.assert_allclose(layer(Tensor(x), a).data, expected, rtol=1e-10)
    assert_module_grads(layer, x, a)


@pytest.mark.parametrize("aggregation", AGGREGATIONS)
def test_degree_zero_nodes_keep_their_self_term(aggregation):
    rng = np.random.default_rng(2)
    a = np.zeros((3, 3))
    a[0, 1] = a[1, 0] = 1.0  # node 2 has no neighbours
    layer = _layer(aggregation, rng)
    x = rng.standard_normal((3, 3))
    out = layer(Tensor(x), a).data
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out[2], x[2] @ layer.weight.data.T + layer.bias.data, rtol=1e-12)
    assert np.isfinite(propagation_matrix(np.zeros((2, 2)), aggregation)).all()


@pytest.mark.parametrize("aggregation", AGGREGATIONS + ["gat"])
@settings(max_examples=15)
@given(graph=graphs(min_nodes=2))
def test_permutation_equivariance(aggregation, graph):
    # Eq. 13.5 in rows: relabelling the nodes (X -> PX, A -> P A P^T) relabels the output (-> P out).
    a, seed = graph
    rng = np.random.default_rng(seed)
    layer = GraphAttention(3, 2, dtype=np.float64, rng=rng) if aggregation == "gat" else _layer(aggregation, rng)
    x = rng.standard_normal((a.shape[0], 3))
    p = permutation_matrix(rng, a.shape[0])
    out = layer(Tensor(x), a).data
    np.testing.assert_allclose(layer(Tensor(p @ x), p @ a @ p.T).data, p @ out, rtol=1e-10, atol=1e-12)
    # The mean-pooled graph output (eq. 13.2) is invariant.
    np.testing.assert_allclose(layer(Tensor(p @ x), p @ a @ p.T).data.mean(axis=0), out.mean(axis=0), rtol=1e-10)


def test_directed_adjacency_row_n_aggregates_over_a_n_m():
    a = np.array([[0.0, 1.0], [0.0, 0.0]])  # node 0 receives from node 1; node 1 from nobody
    layer = GCNConv(1, 1, bias=False, dtype=np.float64)
    layer.weight.data[...] = 1.0
    np.testing.assert_allclose(layer(Tensor(np.array([[1.0], [10.0]])), a).data, [[11.0], [10.0]])


@settings(max_examples=10)
@given(graph=graphs())
def test_graph_attention_is_eqs_13_22_to_13_24(graph):
    a, seed = graph
    rng = np.random.default_rng(seed)
    layer = GraphAttention(3, 2, dtype=np.float64, rng=rng)
    layer.bias.data[...] = rng.standard_normal(2)
    x = rng.standard_normal((a.shape[0], 3))
    expected = column_gat(x.T, a, layer.weight.data, layer.bias.data, layer.att.data).T
    np.testing.assert_allclose(layer(Tensor(x), a).data, expected, rtol=1e-10, atol=1e-12)


def test_graph_attention_options_gradients_and_batches():
    rng = np.random.default_rng(3)
    a = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=float)
    x = rng.standard_normal((3, 3))
    layer = GraphAttention(3, 2, score_activation=lambda s: s.tanh(), activation=relu, rng=rng)
    assert_module_grads(layer, x, a)
    assert_grads(lambda x: GraphAttention(3, 2, dtype=np.float64, rng=4)(x, a), x, order=2)
    # A batch of graphs as stacked arrays equals the graphs one by one.
    gat = GraphAttention(3, 2, dtype=np.float64, rng=5)
    xs, adj = rng.standard_normal((2, 3, 3)), np.stack([a, np.zeros((3, 3))])
    batched = gat(Tensor(xs), adj).data
    for b in range(2):
        np.testing.assert_allclose(batched[b], gat(Tensor(xs[b]), adj[b]).data, rtol=1e-12)
    gcn = GCNConv(3, 2, aggregation="kipf", dtype=np.float64, rng=6)
    np.testing.assert_allclose(gcn(Tensor(xs), adj).data[1], gcn(Tensor(xs[1]), adj[1]).data, rtol=1e-12)


def test_gcn_gradients_and_activation():
    rng = np.random.default_rng(7)
    a = np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]], dtype=float)
    x = rng.standard_normal((3, 3))
    for aggregation in AGGREGATIONS:
        assert_module_grads(GCNConv(3, 2, aggregation=aggregation, rng=rng), x, a)
    layer = GCNConv(3, 2, activation=relu, dtype=np.float64, rng=rng)
    pre_activation = gcn_conv(x, a, layer.weight, layer.bias).data
    np.testing.assert_array_equal(layer(Tensor(x), a).data, np.maximum(pre_activation, 0))


def test_gnn_errors():
    with pytest.raises(ValueError, match="not both"):
        GCNConv(2, 2, diagonal_enhancement=True, self_transform=True)
    with pytest.raises(ValueError, match="kipf_original"):
        GCNConv(2, 2, aggregation="kipf_original", self_transform=True)
    with pytest.raises(ValueError, match="aggregation"):
        GCNConv(2, 2, aggregation="max")
    with pytest.raises(ShapeError, match="adjacency"):
        GCNConv(2, 2)(Tensor(np.ones((3, 2))), np.ones((2, 2)))
    with pytest.raises(ValueError, match="non-negative"):
        GCNConv(2, 2)(Tensor(np.ones((2, 2))), -np.ones((2, 2)))
