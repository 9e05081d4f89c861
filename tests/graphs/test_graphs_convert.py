"""from_networkx: the matrices of section 13.2 from a networkx graph."""
import subprocess
import sys

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_udl import ShapeError
from tinygrad_udl.graphs import from_networkx, karate_club

from graphs_testing import VARIANTS, adjacencies, library_matrix, permutation_matrix


def _labelled_path():
    g = nx.Graph()
    g.add_nodes_from([("c", {"kind": "x", "size": 1.5, "pos": (0.0, 1.0), "k": 2}),
                      ("a", {"kind": "y", "size": 2.5, "pos": (1.0, 0.0), "k": 0}),
                      ("b", {"kind": "x", "size": 3.5, "pos": (2.0, 2.0), "k": 5})])
    g.add_edge("c", "a", weight=2.0)
    g.add_edge("a", "b")
    return g


def test_matrices_follow_the_node_order_of_the_graph():
    adjacency, features, labels = from_networkx(_labelled_path(), label_attr="kind")
    np.testing.assert_array_equal(adjacency, [[0, 1, 0], [1, 0, 1], [0, 1, 0]])   # nodes c, a, b
    assert adjacency.dtype == np.float64
    np.testing.assert_array_equal(features, np.eye(3))
    np.testing.assert_array_equal(labels, [0, 1, 0])          # 'x' < 'y'
    assert labels.dtype == np.int64


def test_features_labels_and_weights_from_attributes():
    g = _labelled_path()
    adjacency, features, labels = from_networkx(g, node_features="size", label_attr="k", weight="weight")
    np.testing.assert_array_equal(adjacency, [[0, 2, 0], [2, 0, 1], [0, 1, 0]])  # the edge without weight counts 1
    np.testing.assert_array_equal(features, [[1.5], [2.5], [3.5]])
    np.testing.assert_array_equal(labels, [2, 0, 5])          # non-negative ints are kept
    _, features, labels = from_networkx(g, node_features="pos")
    np.testing.assert_array_equal(features, [[0, 1], [1, 0], [2, 2]])
    assert labels is None
    given_features = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(from_networkx(g, node_features=given_features)[1], given_features)


@pytest.mark.parametrize("variant", VARIANTS)
@settings(max_examples=15)
@given(a=adjacencies(min_nodes=2), seed=st.integers(0, 2 ** 16))
def test_relabelling_the_networkx_graph_permutes_everything(variant, a, seed):
    # The same graph with its nodes listed in another order: A -> P A Pᵀ, X -> P X, and every
    # normalised adjacency -> P Â Pᵀ (eq. 13.1 in rows).
    g = nx.from_numpy_array(a)
    nx.set_node_attributes(g, {n: float(n) ** 2 for n in g.nodes}, "f")
    order = np.random.default_rng(seed).permutation(a.shape[0])
    h = nx.Graph()
    h.add_nodes_from((int(n), g.nodes[int(n)]) for n in order)
    h.add_edges_from(g.edges)
    a_g, x_g, _ = from_networkx(g, node_features="f")
    a_h, x_h, _ = from_networkx(h, node_features="f")
    p = permutation_matrix(order)
    np.testing.assert_array_equal(a_h, p @ a_g @ p.T)
    np.testing.assert_array_equal(x_h, p @ x_g)
    np.testing.assert_allclose(library_matrix(a_h, variant, 0.2), p @ library_matrix(a_g, variant, 0.2) @ p.T,
                               rtol=1e-12, atol=1e-15)


def test_from_networkx_errors():
    g = _labelled_path()
    with pytest.raises(TypeError, match="from_networkx: expected a networkx Graph, got ndarray"):
        from_networkx(np.eye(3))
    with pytest.raises(ValueError, match="from_networkx: .*DiGraph"):
        from_networkx(nx.DiGraph(g))
    with pytest.raises(ValueError, match="from_networkx: .*MultiGraph"):
        from_networkx(nx.MultiGraph(g))
    with pytest.raises(ValueError, match="from_networkx: the graph has no nodes"):
        from_networkx(nx.Graph())
    with pytest.raises(ValueError, match="from_networkx: nodes \\['c', 'a', 'b'\\] have no attribute 'colour'"):
        from_networkx(g, label_attr="colour")
    with pytest.raises(ShapeError, match=r"from_networkx: node_features must be \(N, D\) with N = 3.*\(2, 2\)"):
        from_networkx(g, node_features=np.eye(2))
    g.nodes["a"]["pos"] = (1.0, 0.0, 5.0)
    with pytest.raises(ValueError, match="from_networkx: node attribute 'pos' must hold"):
        from_networkx(g, node_features="pos")
    g.nodes["a"]["kind"] = 3
    with pytest.raises(TypeError, match="from_networkx: the values of 'kind'"):
        from_networkx(g, label_attr="kind")
    g.add_edge("a", "b", weight=-1.0)
    with pytest.raises(ValueError, match="from_networkx: .*non-negative"):
        from_networkx(g, weight="weight")


def test_a_missing_networkx_is_named(monkeypatch):
    monkeypatch.setitem(sys.modules, "networkx", None)  # makes `import networkx` raise ImportError
    with pytest.raises(ImportError, match="from_networkx needs the `networkx` package.*pip install networkx"):
        from_networkx(None)
    with pytest.raises(ImportError, match="karate_club needs the `networkx` package"):
        karate_club()


def test_importing_the_package_does_not_import_networkx():
    code = "import sys, tinygrad_udl.graphs; assert 'networkx' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
