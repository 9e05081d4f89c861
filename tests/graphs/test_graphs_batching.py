"""Block-diagonal batches (section 13.5.1) and per-graph pooling (eq. 13.2)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_udl import ShapeError, Tensor
from tinygrad_udl.graphs import batch_graphs, mean_pool, sum_pool
from tinygrad_udl.nn.gnn import GCNConv

from graphs_testing import VARIANTS, adjacencies, library_matrix
from support.finite_differences import numerical_grad


@st.composite
def graph_lists(draw, max_graphs=4, features=2):
    """1..max_graphs graphs with random float64 features (N_g, features), and a seed."""
    graphs = draw(st.lists(adjacencies(), min_size=1, max_size=max_graphs))
    seed = draw(st.integers(0, 2 ** 16))
    rng = np.random.default_rng(seed)
    return graphs, [rng.standard_normal((a.shape[0], features)) for a in graphs], seed


@settings(max_examples=40)
@given(data=graph_lists())
def test_the_batch_is_block_diagonal(data):
    graphs, xs, _ = data
    b = batch_graphs(graphs, xs)
    sizes = [a.shape[0] for a in graphs]
    starts = np.cumsum([0] + sizes)
    assert b.num_graphs == len(graphs) and b.adjacency.shape == (starts[-1],) * 2
    np.testing.assert_array_equal(b.features, np.concatenate(xs))
    np.testing.assert_array_equal(b.batch, np.repeat(np.arange(len(graphs)), sizes))
    assert b.batch.dtype == np.int64
    expected = np.zeros_like(b.adjacency)
    for a, s in zip(graphs, starts):
        expected[s:s + a.shape[0], s:s + a.shape[0]] = a
    np.testing.assert_array_equal(b.adjacency, expected)


@pytest.mark.parametrize("variant", VARIANTS)
@settings(max_examples=25)
@given(data=graph_lists())
def test_propagation_on_the_batch_is_propagation_on_each_graph(variant, data):
    # No edge joins two graphs and degrees are per node, so Â X on the batch is Â_g X_g stacked.
    graphs, xs, _ = data
    b = batch_graphs(graphs, xs)
    separate = np.concatenate([library_matrix(a, variant, 0.5) @ x for a, x in zip(graphs, xs)])
    np.testing.assert_allclose(library_matrix(b.adjacency, variant, 0.5) @ b.features, separate, rtol=1e-12,
                               atol=1e-12)


@settings(max_examples=20)
@given(data=graph_lists(features=3))
def test_a_gcn_layer_on_the_batch_is_the_layer_on_each_graph(data):
    graphs, xs, seed = data
    layer = GCNConv(3, 2, aggregation="kipf", dtype=np.float64, rng=seed)
    b = batch_graphs(graphs, xs)
    separate = np.concatenate([layer(Tensor(x), a).data for a, x in zip(graphs, xs)])
    np.testing.assert_allclose(layer(Tensor(b.features), b.adjacency).data, separate, rtol=1e-12, atol=1e-12)


@settings(max_examples=40)
@given(data=graph_lists())
def test_pooling_per_graph_is_pooling_each_graph(data):
    graphs, xs, _ = data
    b = batch_graphs(graphs, xs)
    np.testing.assert_allclose(mean_pool(b.features, b.batch).data, np.stack([x.mean(axis=0) for x in xs]),
                               rtol=1e-12)
    np.testing.assert_allclose(sum_pool(b.features, b.batch).data, np.stack([x.sum(axis=0) for x in xs]),
                               rtol=1e-12, atol=1e-12)


@settings(max_examples=20)
@given(data=graph_lists(), order_seed=st.integers(0, 2 ** 16))
def test_pooling_is_invariant_to_node_order(data, order_seed):
    # Eq. 13.7: relabelling the nodes (features and batch vector together) leaves each pooled row unchanged.
    graphs, xs, _ = data
    b = batch_graphs(graphs, xs)
    order = np.random.default_rng(order_seed).permutation(b.batch.size)
    for pool in (mean_pool, sum_pool):
        np.testing.assert_allclose(pool(b.features[order], b.batch[order]).data, pool(b.features, b.batch).data,
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("pool", [mean_pool, sum_pool])
@settings(max_examples=10)
@given(data=graph_lists())
def test_pooling_gradients_match_finite_differences(pool, data):
    graphs, xs, seed = data
    b = batch_graphs(graphs, xs)
    w = np.random.default_rng(seed + 1).standard_normal((b.num_graphs, 2))

    def loss(x):
        return (pool(x, b.batch) * Tensor(w)).sum()

    x = Tensor(b.features, requires_grad=True)
    loss(x).backward()
    np.testing.assert_allclose(x.grad.data, numerical_grad(lambda arr: loss(Tensor(arr)).data, b.features),
                               rtol=1e-6, atol=1e-8)


def test_gradients_flow_through_a_layer_and_the_pooling_of_a_batch():
    # A graph-level head (eq. 13.2) on a batch: each graph's output depends only on its own nodes.
    rng = np.random.default_rng(3)
    graphs = [np.array([[0, 1], [1, 0]], float), np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]], float)]
    b = batch_graphs(graphs, [rng.standard_normal((2, 3)), rng.standard_normal((3, 3))])
    layer = GCNConv(3, 4, aggregation="mean", dtype=np.float64, rng=rng)

    def first_graph_output(x):
        return mean_pool(layer(x, b.adjacency).tanh(), b.batch)[0].sum()

    x = Tensor(b.features, requires_grad=True)
    first_graph_output(x).backward()
    expected = numerical_grad(lambda arr: first_graph_output(Tensor(arr)).data, b.features)
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-6, atol=1e-9)
    assert (x.grad.data[2:] == 0).all() and (x.grad.data[:2] != 0).any()


def test_pooling_keeps_the_feature_dtype():
    x = np.ones((3, 2), dtype=np.float32)
    assert mean_pool(x, np.array([0, 0, 1])).dtype == np.float32
    np.testing.assert_allclose(sum_pool(x, np.array([1, 1, 1])).data, [[0, 0], [3, 3]])


def test_batching_errors():
    a2, x2 = np.zeros((2, 2)), np.zeros((2, 3))
    with pytest.raises(ValueError, match="batch_graphs.*1 adjacencies and 2 feature"):
        batch_graphs([a2], [x2, x2])
    with pytest.raises(ValueError, match="batch_graphs.*at least one graph"):
        batch_graphs([], [])
    with pytest.raises(ShapeError, match=r"batch_graphs: graph 1 .*\(2, 2\) and features \(3, 3\)"):
        batch_graphs([a2, a2], [x2, np.zeros((3, 3))])
    with pytest.raises(ShapeError, match=r"batch_graphs: graph 1 .*features \(2, 4\)"):
        batch_graphs([a2, a2], [x2, np.zeros((2, 4))])
    with pytest.raises(ShapeError, match=r"batch_graphs \(graph 1\).*\(2, 3\)"):
        batch_graphs([a2, np.zeros((2, 3))], [x2, x2])
    with pytest.raises(ShapeError, match=r"graph 0 has adjacency \(0, 0\)"):
        batch_graphs([np.zeros((0, 0))], [np.zeros((0, 3))])
    with pytest.raises(TypeError, match="batch_graphs.*tinygrad_udl.cat"):
        batch_graphs([a2], [Tensor(x2, requires_grad=True)])


def test_pooling_errors():
    x = np.ones((3, 2))
    with pytest.raises(ShapeError, match=r"mean_pool.*features \(3, 2\) and batch \(2,\)"):
        mean_pool(x, np.array([0, 1]))
    with pytest.raises(ShapeError, match=r"sum_pool.*features \(3,\)"):
        sum_pool(np.ones(3), np.array([0, 0, 0]))
    with pytest.raises(ShapeError, match="sum_pool.*float64"):
        sum_pool(x, np.array([0.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match="mean_pool: graph indices must be >= 0"):
        mean_pool(x, np.array([0, -1, 1]))
    with pytest.raises(ValueError, match=r"mean_pool: graphs \[1\] have no nodes"):
        mean_pool(x, np.array([0, 2, 2]))
    with pytest.raises(TypeError, match="mean_pool: node features must be floating point"):
        mean_pool(np.ones((3, 2), dtype=np.int64), np.array([0, 0, 0]))
