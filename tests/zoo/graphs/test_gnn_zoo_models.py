"""The chapter-13 zoo models: equivariance of the node models and invariance of the graph classifier
to relabelling the nodes (eqs. 13.5-13.7), parameter counts against formulas written here, gradient
checks of tiny instances against central finite differences (float64), and clear errors.

Oracles: permutation matrices (a relabelled graph must give relabelled node outputs and the same
graph output), the counting formulas of the docstrings re-derived below, finite differences
(tinygrad_udl.gradcheck and tests/support), and numpy re-implementations of the residual layer.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_udl import Tensor
from tinygrad_udl.gradcheck import check_module
from tinygrad_udl.graphs import batch_graphs, propagation_matrix
from tinygrad_udl.nn.loss import binary_cross_entropy_with_logits
from tinygrad_udl.zoo.graphs import (ConcatResidualGCN, DeepGCN, GraphGCN, NodeGAT, NodeGCN, Transductive,
                                     pack_graphs)
from tinygrad_udl.zoo.graphs.claw_trees import DEGREE_BUCKETS, degree_features
from tinygrad_udl.zoo.registry import get

from gnn_zoo_testing import graphs, layer_count, permutation_matrix, random_graph, random_tree
from support.finite_differences import numerical_grad

NODE_MODELS = {
    "gcn": lambda seed: NodeGCN(3, (4, 5), rng=seed, dtype=np.float64),
    "gcn-sum": lambda seed: NodeGCN(3, (4,), aggregation="sum", rng=seed, dtype=np.float64),
    "gat": lambda seed: NodeGAT(3, (4, 5), rng=seed, dtype=np.float64),
    "deep-plain": lambda seed: DeepGCN(3, 4, 3, "plain", rng=seed, dtype=np.float64),
    "deep-enhanced": lambda seed: DeepGCN(3, 4, 3, "enhanced", rng=seed, dtype=np.float64),
    "deep-residual": lambda seed: DeepGCN(3, 4, 3, "residual", rng=seed, dtype=np.float64),
}

# ---- relabelling the nodes (eqs. 13.1, 13.5-13.7) -----------------------------------------------------------


@pytest.mark.parametrize("name", list(NODE_MODELS))
@settings(max_examples=20)
@given(graph=graphs(), order_seed=st.integers(0, 2 ** 16))
def test_node_models_are_equivariant(name, graph, order_seed):
    a, x, seed = graph
    model = NODE_MODELS[name](seed)
    # distinct enhancement weights per layer, so that ε enters the check
    for layer in model.layers:
        if getattr(layer, "eps", None) is not None:
            layer.eps.data[...] = np.random.default_rng(seed).uniform(-0.5, 0.5)
    p = permutation_matrix(np.random.default_rng(order_seed).permutation(len(a)))
    states = model.hidden_states(Tensor(x), a)
    relabelled = model.hidden_states(Tensor(p @ x), p @ a @ p.T)
    for h, h_p in zip(states, relabelled):
        np.testing.assert_allclose(h_p.data, p @ h.data, atol=1e-10)
    np.testing.assert_allclose(model(Tensor(p @ x), p @ a @ p.T).data, p @ model(Tensor(x), a).data, atol=1e-10)


@settings(max_examples=20)
@given(first=graphs(min_nodes=1, features=DEGREE_BUCKETS), second=graphs(min_nodes=1, features=DEGREE_BUCKETS),
       order_seed=st.integers(0, 2 ** 16))
def test_graph_classifier_is_invariant_and_sees_each_graph_alone(first, second, order_seed):
    (a1, x1, seed), (a2, x2, _) = first, second
    model = GraphGCN(DEGREE_BUCKETS, (4, 3), rng=seed, dtype=np.float64)
    gen = np.random.default_rng(order_seed)
    p1, p2 = (permutation_matrix(gen.permutation(len(a))) for a in (a1, a2))

    def logits(graphs_):
        return model(Tensor(pack_graphs([g[0] for g in graphs_], [g[1] for g in graphs_], max_nodes=8))).data

    together = logits([(a1, x1), (a2, x2)])
    relabelled = logits([(p1 @ a1 @ p1.T, p1 @ x1), (p2 @ a2 @ p2.T, p2 @ x2)])
    swapped = logits([(a2, x2), (a1, x1)])
    apart = [logits([(a1, x1)])[0], logits([(a2, x2)])[0]]
    np.testing.assert_allclose(relabelled, together, atol=1e-10)          # invariance, eq. 13.7
    np.testing.assert_allclose(swapped, together[::-1], atol=1e-10)       # graphs stay separate
    np.testing.assert_allclose(together, apart, atol=1e-10)              # batching changes nothing


def test_graph_classifier_is_the_mean_pooled_gcn_of_eq_13_11():
    """A numpy forward pass: H_{k+1} = ReLU[(A + I) H Ωᵀ + β], f = ω·mean(H_K) + β_K per graph."""
    model = GraphGCN(DEGREE_BUCKETS, (4, 3), rng=3, dtype=np.float64)
    s = model.state_dict()
    trees = [random_tree(n, n) for n in (5, 8)]
    features = [degree_features(a) for a in trees]
    expected = []
    for a, h in zip(trees, features):
        for k in range(2):
            h = np.maximum((a + np.eye(len(a))) @ h @ s[f"layers.{k}.weight"].T + s[f"layers.{k}.bias"], 0)
        expected.append(h.mean(axis=0) @ s["head.weight"][0] + s["head.bias"][0])
    b = batch_graphs(trees, features)
    np.testing.assert_allclose(model.forward_graphs(Tensor(b.features), b.adjacency, b.batch).data, expected,
                               rtol=1e-12)
    np.testing.assert_allclose(model(Tensor(pack_graphs(trees, features))).data, expected, rtol=1e-12)


def test_residual_layer_is_eq_13_16():
    a, x, _ = random_graph(5, 5)
    layer = ConcatResidualGCN(3, 2, rng=0, dtype=np.float64)
    layer.bias.data[:] = [0.3, -0.2]
    w, b = layer.weight.data, layer.bias.data
    degree = a.sum(axis=1)
    d = np.diag([1 / np.sqrt(v) if v > 0 else 0.0 for v in degree])
    expected = np.concatenate([np.maximum(d @ a @ d @ x @ w.T + b, 0), x], axis=1)  # [a[β + ΩHÃ]; H], rows
    np.testing.assert_allclose(layer(Tensor(x), a).data, expected, rtol=1e-12, atol=1e-12)


def test_transductive_reads_the_whole_graph_forward_at_the_nodes_asked_for():
    a, x, _ = random_graph(6, 6)
    model = Transductive(NodeGCN(3, (4,), rng=1, dtype=np.float64), a, x)
    every = model.node_outputs().data
    np.testing.assert_allclose(every, NodeGCN(3, (4,), rng=1, dtype=np.float64)(Tensor(x), a).data)
    np.testing.assert_allclose(model(Tensor(np.array([4, 0, 4]))).data, every[[4, 0, 4]])


# ---- parameter counts -------------------------------------------------------------------------------------


@given(d_in=st.integers(1, 6), hidden=st.lists(st.integers(1, 6), min_size=1, max_size=3))
def test_node_and_graph_model_counts(d_in, hidden):
    widths = [d_in, *hidden]
    gcn_layers = layer_count(widths, lambda a, b: a * b + b)             # Ω_k (b × a), β_k
    gat_layers = layer_count(widths, lambda a, b: a * b + b + 2 * b)     # plus φ_k of length 2b
    head = hidden[-1] + 1                                                # ω_K, β_K (eqs. 13.2, 13.12)
    assert NodeGCN(d_in, hidden).num_parameters() == gcn_layers + head
    assert NodeGAT(d_in, hidden).num_parameters() == gat_layers + head
    assert GraphGCN(d_in, hidden).num_parameters() == gcn_layers + head


@given(d_in=st.integers(1, 5), width=st.integers(1, 5), depth=st.integers(1, 5))
def test_deep_gcn_counts(d_in, width, depth):
    plain = (d_in * width + width) + (depth - 1) * (width * width + width) + width + 1
    residual = sum((d_in + k * width) * width + width for k in range(depth)) + d_in + depth * width + 1
    assert DeepGCN(d_in, width, depth, "plain").num_parameters() == plain
    assert DeepGCN(d_in, width, depth, "enhanced").num_parameters() == plain + depth   # one ε per layer
    assert DeepGCN(d_in, width, depth, "residual").num_parameters() == residual


@pytest.mark.parametrize("name, count", [
    ("karate-gcn", 34 * 16 + 16 + 16 * 16 + 16 + 16 + 1),                 # 849
    ("karate-gat", 34 * 16 + 16 + 32 + 16 * 16 + 16 + 32 + 16 + 1),       # 913
    ("claw-trees-gcn", 6 * 32 + 32 + 32 * 32 + 32 + 32 + 1),              # 1,313
    ("gcn-oversmoothing", 8 * 16 + 16 + 16 * 16 + 16 + 16 + 1),           # plain, 2 layers: 433
])
def test_the_entries_models_have_the_documented_counts(name, count):
    assert get(name).build(rng=0).num_parameters() == count


# ---- gradients --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(NODE_MODELS))
def test_node_model_gradients_match_finite_differences(name):
    a, x, _ = random_graph(5, 5)
    model = NODE_MODELS[name](7)
    y = (np.arange(len(a)) % 2).astype(np.float64)
    report = check_module(model, [Tensor(x), a], loss_fn=lambda out: binary_cross_entropy_with_logits(out, y))
    assert report.ok, str(report)


def test_graph_classifier_gradient_matches_finite_differences():
    trees = [random_tree(n, n) for n in (4, 6, 7)]
    packed = pack_graphs(trees, [degree_features(a) for a in trees])
    model = GraphGCN(DEGREE_BUCKETS, (3, 2), rng=2, dtype=np.float64)
    y = np.array([1.0, 0.0, 1.0])
    report = check_module(model, [Tensor(packed)], loss_fn=lambda out: binary_cross_entropy_with_logits(out, y))
    assert report.ok, str(report)


def test_enhancement_weight_gradient_against_a_hand_rolled_difference():
    """dL/dε of the enhanced layer (eq. 13.14) against central differences of a numpy forward pass."""
    a, x, _ = random_graph(6, 6)
    model = DeepGCN(3, 4, 2, "enhanced", rng=4, dtype=np.float64)
    s = {k: v.copy() for k, v in model.state_dict().items()}
    y = np.array([0, 1, 1, 0, 1, 0], dtype=np.float64)
    norm_a = propagation_matrix(a, "kipf", self_loops=False)

    def loss(eps):
        h = x
        for k, e in enumerate(eps):
            enhanced = norm_a + (1 + e) * np.eye(len(a))                       # Ñ + (1 + ε_k) I
            h = np.maximum(enhanced @ h @ s[f"layers.{k}.weight"].T + s[f"layers.{k}.bias"], 0)
        f = h @ s["head.weight"][0] + s["head.bias"][0]
        return np.mean(np.logaddexp(0, f) - y * f)

    eps = np.array([0.3, -0.2])
    for k, e in enumerate(eps):
        model.layers[k].eps.data[...] = e
    binary_cross_entropy_with_logits(model(Tensor(x), a), y).backward()
    np.testing.assert_allclose([model.layers[k].eps.grad.data for k in range(2)], numerical_grad(loss, eps),
                               rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", ["claw-trees-gcn", "karate-gcn", "karate-gat", "gcn-oversmoothing"])
def test_tiny_entry_models_pass_the_gradient_check(name):
    entry = get(name)
    model = entry.build(rng=1, tiny=True)
    x, y = entry.example_inputs(n=3)
    report = check_module(model, [x], loss_fn=lambda out: entry.task.loss_fn(out, y))
    assert report.ok, str(report)


# ---- errors -----------------------------------------------------------------------------------------------


def test_bad_configurations_and_inputs_are_refused_clearly():
    with pytest.raises(ValueError, match="variant must be one of plain, enhanced, residual"):
        DeepGCN(3, 4, 2, "skip")
    with pytest.raises(ValueError, match="at least one hidden width"):
        NodeGCN(3, ())
    with pytest.raises(ValueError, match="at least one hidden width"):
        GraphGCN(3, (0,))
    a, x, _ = random_graph(4, 4)
    model = Transductive(NodeGCN(3, (2,)), a, x)
    with pytest.raises(ValueError, match=r"node indices in 0\.\.3"):
        model(Tensor(np.array([0, 4])))
    with pytest.raises(ValueError, match="node indices"):
        model(Tensor(np.array([0.0, 1.0])))
    with pytest.raises(Exception, match=r"features must be \(N, D\) for the 4 nodes"):
        Transductive(NodeGCN(3, (2,)), a, x[:3])
