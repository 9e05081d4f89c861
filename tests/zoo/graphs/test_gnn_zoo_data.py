"""The chapter-13 zoo's data: claw trees (labels and twins checked with networkx), the packed layout
(round trip against `batch_graphs`), and the two-community graph (its Bayes rate against scipy and
a Monte Carlo estimate)."""
import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from tinygrad_udl.graphs import batch_graphs
from tinygrad_udl.zoo.graphs import features_bayes_accuracy, make_claw_trees, make_two_communities, pack_graphs
from tinygrad_udl.zoo.graphs import unpack_graphs
from tinygrad_udl.zoo.graphs.claw_trees import DEGREE_BUCKETS
from tinygrad_udl.zoo.graphs.tasks import TASKS

from gnn_zoo_testing import graphs

# ---- claw trees -------------------------------------------------------------------------------------------


def networkx_label(adjacency):
    """Some node has at least 3 neighbours of degree 1, from networkx's own degree view."""
    g = nx.from_numpy_array(adjacency)
    return int(any(sum(g.degree[m] == 1 for m in g.neighbors(n)) >= 3 for n in g.nodes))


@pytest.fixture(scope="module")
def claws():
    return make_claw_trees(60, rng=11)


def test_claw_tree_labels_are_the_structure_seen_by_networkx(claws):
    assert len(claws) == 120 and claws.labels.sum() == 60
    for a, x, label in zip(claws.adjacencies, claws.features, claws.labels):
        g = nx.from_numpy_array(a)
        assert nx.is_tree(g) and 8 <= len(g) <= 16
        assert label == networkx_label(a)
        degrees = np.array([g.degree[n] for n in range(len(g))])
        np.testing.assert_array_equal(x, np.eye(DEGREE_BUCKETS)[np.minimum(degrees, DEGREE_BUCKETS) - 1])


def test_twins_share_their_degree_sequence_and_differ_in_label(claws):
    for i in range(0, len(claws), 2):
        a, b = claws.adjacencies[i:i + 2]
        assert sorted(a.sum(axis=1)) == sorted(b.sum(axis=1))
        assert claws.labels[i] != claws.labels[i + 1]


def test_every_degree_histogram_classifier_scores_exactly_one_half(claws):
    """A classifier that sees only the degree histogram (here: nearest class mean of the histograms of
    another seed's trees, and a lookup that memorises each test histogram's majority) cannot tell twins
    apart, so it is right on exactly one graph of each pair."""
    def histogram(a):
        return np.bincount(a.sum(axis=1).astype(int), minlength=20)

    train = make_claw_trees(40, rng=12)
    means = [np.mean([histogram(a) for a, y in zip(train.adjacencies, train.labels) if y == c], axis=0) for c in (0, 1)]
    nearest = [int(np.argmin([np.linalg.norm(histogram(a) - m) for m in means])) for a in claws.adjacencies]
    assert np.mean(np.array(nearest) == claws.labels) == 0.5
    lookup = {}
    for a, y in zip(claws.adjacencies, claws.labels):
        lookup.setdefault(histogram(a).tobytes(), []).append(y)
    memorised = [int(np.mean(lookup[histogram(a).tobytes()]) > 0.5) for a in claws.adjacencies]
    assert np.mean(np.array(memorised) == claws.labels) == 0.5


def test_claw_trees_are_seeded_and_checked():
    a, b = make_claw_trees(5, rng=3), make_claw_trees(5, rng=3)
    assert all((x == y).all() for x, y in zip(a.adjacencies, b.adjacencies))
    with pytest.raises(ValueError, match="min_nodes"):
        make_claw_trees(5, rng=0, min_nodes=4)


# ---- packing ----------------------------------------------------------------------------------------------


@settings(max_examples=30)
@given(batch=st.lists(graphs(min_nodes=1, max_nodes=6), min_size=1, max_size=4), extra=st.integers(0, 2))
def test_packing_round_trips_to_the_block_diagonal_batch(batch, extra):
    adjacencies, features = [g[0] for g in batch], [g[1] for g in batch]
    packed = pack_graphs(adjacencies, features, max_nodes=max(len(a) for a in adjacencies) + extra)
    expected, got = batch_graphs(adjacencies, features), unpack_graphs(packed)
    np.testing.assert_array_equal(got.adjacency, expected.adjacency)
    np.testing.assert_array_equal(got.features, expected.features)
    np.testing.assert_array_equal(got.batch, expected.batch)
    np.testing.assert_array_equal(unpack_graphs(packed[::-1]).features,
                                  batch_graphs(adjacencies[::-1], features[::-1]).features)


def test_packing_refuses_what_it_cannot_hold():
    a = np.ones((3, 3)) - np.eye(3)
    with pytest.raises(Exception, match="max_nodes=2 is smaller than the largest graph"):
        pack_graphs([a], [np.ones((3, 1))], max_nodes=2)
    packed = pack_graphs([a], [np.ones((3, 1))], max_nodes=4)
    packed[0, 1, 0] = 0.0   # a gap before the last real node
    with pytest.raises(ValueError, match="column 0 must flag each graph's nodes"):
        unpack_graphs(packed)
    with pytest.raises(Exception, match=r"\(num_graphs, M, 1 \+ M \+ D\)"):
        unpack_graphs(np.zeros((2, 3, 3)))


def test_the_claw_task_packs_200_training_and_100_test_twin_pairs():
    split = TASKS["claw-trees"].load()
    (x_train, y_train), (x_test, y_test) = split.train, split.test
    assert x_train.shape == (400, 16, 1 + 16 + DEGREE_BUCKETS) and x_test.shape[0] == 200
    assert y_train.mean() == 0.5 and y_test.mean() == 0.5
    first = unpack_graphs(x_test[:1])
    assert networkx_label(first.adjacency) == y_test[0]


# ---- two communities --------------------------------------------------------------------------------------


def test_bayes_rate_of_the_features_is_phi_of_half_the_separation():
    for separation in (0.0, 1.5, 3.0):
        assert features_bayes_accuracy(separation) == pytest.approx(norm.cdf(separation / 2), abs=1e-12)
    # Monte Carlo: the optimal rule (sign of the projection on the class direction) on many nodes
    g = make_two_communities(2000, rng=5, p_in=0.002, p_out=0.001, separation=1.5)
    direction = g.features[g.labels == 1].mean(axis=0) - g.features[g.labels == 0].mean(axis=0)
    centred = g.features @ direction - g.features.mean(axis=0) @ direction
    assert np.mean((centred > 0) == g.labels) == pytest.approx(norm.cdf(0.75), abs=0.02)


def test_two_communities_has_the_planted_densities_and_the_split():
    g = make_two_communities(100, rng=0, p_in=0.1, p_out=0.05)
    a, y = g.adjacency, g.labels
    assert (a == a.T).all() and (np.diag(a) == 0).all() and np.bincount(y).tolist() == [100, 100]
    same = y[:, None] == y[None, :]
    inside = a[same].sum() / (same.sum() - 200)          # pairs within a class, without the diagonal
    across = a[~same].sum() / (~same).sum()
    assert inside == pytest.approx(0.1, abs=0.01) and across == pytest.approx(0.05, abs=0.01)
    assert np.bincount(y[g.train_mask]).tolist() == [20, 20] and g.test_mask.sum() == 160
    with pytest.raises(ValueError, match="p_out < p_in"):
        make_two_communities(10, rng=0, p_in=0.05, p_out=0.1)
