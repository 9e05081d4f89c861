"""The karate club, the triangle set (checked by networkx, independently of the generator) and
the node masks."""
import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_udl.graphs import karate_club, make_triangle_graphs, node_masks, split_nodes


def test_karate_club():
    data = karate_club()
    a = data.adjacency
    assert a.shape == (34, 34) and a.dtype == np.float64
    assert set(np.unique(a)) == {0.0, 1.0} and (a == a.T).all() and not a.diagonal().any()
    assert a.sum() / 2 == 78
    np.testing.assert_array_equal(data.features, np.eye(34))
    assert data.label_names == ("Mr. Hi", "Officer")
    assert np.bincount(data.labels).tolist() == [17, 17]
    clubs = nx.get_node_attributes(nx.karate_club_graph(), "club")
    assert [data.label_names[k] for k in data.labels] == [clubs[n] for n in range(34)]
    # The classic split: one labelled node per faction (the two leaders), all the others test.
    assert np.flatnonzero(data.train_mask).tolist() == [0, 33]
    assert data.labels[0] != data.labels[33]
    assert not data.val_mask.any() and data.test_mask.sum() == 32
    assert not (data.train_mask & data.test_mask).any()


def _check_triangle_graph(a, label, min_nodes, max_nodes, max_cycle):
    g = nx.from_numpy_array(a)
    n = g.number_of_nodes()
    assert min_nodes <= n <= max_nodes
    assert (a == a.T).all() and not a.diagonal().any() and set(np.unique(a)) <= {0.0, 1.0}
    # Both classes: connected, N edges, one cycle (so mean degree is exactly 2).
    assert nx.is_connected(g) and g.number_of_edges() == n
    (cycle,) = nx.cycle_basis(g)
    # The label is "contains a triangle", by networkx's own triangle count.
    assert label == int(sum(nx.triangles(g).values()) > 0)
    assert (len(cycle) == 3) == bool(label) and len(cycle) <= max(3, max_cycle)


@settings(max_examples=25)
@given(seed=st.integers(0, 2 ** 32 - 1), n_graphs=st.integers(2, 30), min_nodes=st.integers(4, 8),
       extra=st.integers(0, 6), max_cycle=st.integers(4, 9))
def test_triangle_labels_agree_with_networkx(seed, n_graphs, min_nodes, extra, max_cycle):
    data = make_triangle_graphs(n_graphs, rng=seed, min_nodes=min_nodes, max_nodes=min_nodes + extra,
                                max_cycle=max_cycle)
    assert len(data) == n_graphs and data.labels.dtype == np.int64
    assert abs(int(data.labels.sum()) * 2 - n_graphs) <= 1          # balanced
    for a, x, label in zip(data.adjacencies, data.features, data.labels):
        _check_triangle_graph(a, label, min_nodes, min_nodes + extra, max_cycle)
        np.testing.assert_array_equal(x, np.ones((a.shape[0], 1)))


def test_the_default_triangle_set():
    data = make_triangle_graphs(rng=0)
    assert len(data) == 200 and data.labels.sum() == 100
    for a, label in zip(data.adjacencies, data.labels):
        _check_triangle_graph(a, label, 6, 12, 5)
    lengths = {len(nx.cycle_basis(nx.from_numpy_array(a))[0]) for a in data.adjacencies}
    assert lengths == {3, 4, 5}


def test_the_triangle_set_is_reproducible():
    first, again = make_triangle_graphs(40, rng=7), make_triangle_graphs(40, rng=np.random.default_rng(7))
    other = make_triangle_graphs(40, rng=8)
    np.testing.assert_array_equal(first.labels, again.labels)
    assert all((a == b).all() for a, b in zip(first.adjacencies, again.adjacencies))
    assert any(a.shape != b.shape or (a != b).any() for a, b in zip(first.adjacencies, other.adjacencies))


def test_counting_is_not_enough():
    # Node and edge counts carry no signal (equal distributions in both classes, N edges), and a
    # linear classifier on the degree histogram stays far from perfect.
    def histogram(data):
        return np.array([[1.0, a.shape[0]] + [np.mean(a.sum(axis=1) == k) for k in range(1, 6)]
                         for a in data.adjacencies])

    train, test = make_triangle_graphs(1000, rng=1), make_triangle_graphs(1000, rng=2)
    w = np.linalg.lstsq(histogram(train), 2.0 * train.labels - 1, rcond=None)[0]
    accuracy = np.mean((histogram(test) @ w > 0) == test.labels)
    assert 0.5 < accuracy < 0.8


def test_triangle_set_errors():
    with pytest.raises(ValueError, match="make_triangle_graphs: min_nodes must be >= 4"):
        make_triangle_graphs(10, rng=0, min_nodes=3)
    with pytest.raises(ValueError, match="make_triangle_graphs: max_nodes must be >= 8"):
        make_triangle_graphs(10, rng=0, min_nodes=8, max_nodes=6)
    with pytest.raises(ValueError, match="make_triangle_graphs: n_graphs must be >= 2"):
        make_triangle_graphs(1, rng=0)
    with pytest.raises(TypeError, match="make_triangle_graphs: rng"):
        make_triangle_graphs(10, rng="seed")


def test_node_masks():
    train, val, test = node_masks(6, train=[0, 5], val=np.array([2]))
    assert train.tolist() == [True, False, False, False, False, True]
    assert val.tolist() == [False, False, True, False, False, False]
    assert test.tolist() == [False, True, False, True, True, False]
    assert node_masks(3, train=[1])[1].tolist() == [False] * 3
    with pytest.raises(ValueError, match=r"node_masks: nodes \[2\] are in both"):
        node_masks(4, train=[1, 2], val=[2])
    with pytest.raises(ValueError, match=r"node_masks: val indices must lie in 0..3, got 1..4"):
        node_masks(4, train=[0], val=[1, 4])
    with pytest.raises(TypeError, match="node_masks: train must be node indices"):
        node_masks(4, train=[0.5])


@settings(max_examples=20)
@given(seed=st.integers(0, 2 ** 16), train=st.integers(1, 3), val=st.integers(0, 3))
def test_split_nodes_is_stratified_and_reproducible(seed, train, val):
    labels = np.random.default_rng(seed).permutation(np.repeat([0, 1, 2], [6, 7, 8]))
    masks = split_nodes(labels, train, val, rng=seed)
    train_mask, val_mask, test_mask = masks
    assert np.bincount(labels[train_mask], minlength=3).tolist() == [train] * 3
    assert np.bincount(labels[val_mask], minlength=3).tolist() == [val] * 3
    assert (train_mask.astype(int) + val_mask + test_mask == 1).all()
    again = split_nodes(labels, train, val, rng=seed)
    assert all((m == n).all() for m, n in zip(masks, again))


def test_split_nodes_errors():
    labels = np.array([0, 0, 1, 1, 1])
    with pytest.raises(ValueError, match="split_nodes: class 0 has 2 nodes, fewer than .* = 3"):
        split_nodes(labels, 2, 1, rng=0)
    with pytest.raises(ValueError, match=r"split_nodes: labels must be a 1-D integer array, got shape \(5,\) of float"):
        split_nodes(labels.astype(float), 1, rng=0)
    with pytest.raises(ValueError, match="split_nodes: train_per_class must be >= 1"):
        split_nodes(labels, 0, rng=0)
