"""Module clusters (record_modules / parameter names) and collapsing whole modules (max_nodes).

The oracle for membership is the test model itself: each layer lists the nodes its forward
created (`models.py`), and node ids are positions in the engine's topological order.
"""
import gc

import numpy as np
import pytest

from tinygrad_udl import Tensor, nn
from tinygrad_udl.autograd.graph import toposort
from tinygrad_udl.viz import draw_graph, record_modules
from tinygrad_udl.viz import modules as viz_modules

from .dotparse import parse
from .models import Net, net_input


def recorded_net(seed=0):
    net = Net(seed)
    with record_modules(net):
        y = net(net_input(seed))
    return net, (y * y).sum()


def position(loss, node):
    """The node's position in the engine's topological order (by identity: Tensor == is elementwise)."""
    return next(i for i, n in enumerate(toposort([loss])) if n is node)


def ids(loss, nodes):
    return {f"n{position(loss, n)}" for n in nodes}


def test_each_module_cluster_holds_exactly_what_its_forward_created():
    net, loss = recorded_net()
    dot = parse(draw_graph(loss, modules=net).source)
    for name, module in net.named_modules():
        if not name:
            continue
        cls = type(module).__name__
        cluster = dot.cluster(f"{name} ({cls})")
        expected = ids(loss, module.created + list(module.params.values()))
        assert set(cluster.members) == expected, name
        assert sorted(c.label for c in cluster.children) == sorted(
            f"{name}.{child} ({type(m).__name__})" for child, m in module.children.items())


def test_parameters_are_named_by_the_module_tree():
    net, loss = recorded_net()
    dot = parse(draw_graph(loss, modules=net).source)
    weight = net.children["b1"].children["fc2"].params["weight"]
    assert dot.id_of("b1.fc2.weight") == f"n{position(loss, weight)}"
    assert dot.cluster("b1.fc2 (Lin)").members.count(dot.id_of("b1.fc2.weight")) == 1


def test_the_models_own_operations_stay_outside_the_clusters():
    net, loss = recorded_net()
    dot = parse(draw_graph(loss, modules=net).source)
    clustered = {m for c in dot.all_clusters() for m in c.members}
    assert dot.id_of("sum1") not in clustered and dot.id_of("mul1") not in clustered
    assert dot.id_of("const1") not in clustered  # the input


def test_without_a_recording_only_parameters_are_grouped():
    net = Net()
    loss = (net(net_input()) ** 2).sum()
    dot = parse(draw_graph(loss, modules=net).source)
    clustered = {m for c in dot.all_clusters() for m in c.members}
    names = {dot.nodes[i]["rows"][0] for i in clustered}
    assert names == {name for name, _ in net.named_parameters()}


def test_group_modules_false_draws_no_cluster():
    net, loss = recorded_net()
    assert "subgraph" not in draw_graph(loss, modules=net, group_modules=False).source


def test_forward_is_restored_after_the_block_even_on_error():
    net = Net()
    with pytest.raises(ZeroDivisionError):
        with record_modules(net):
            1 / 0
    assert all("forward" not in m.__dict__ for _, m in net.named_modules())
    recorded_net()  # and a normal recording
    assert all("forward" not in m.__dict__ for _, m in net.named_modules())


def test_tags_do_not_keep_nodes_alive():
    gc.collect()
    before = len(viz_modules._TAGS)
    net, loss = recorded_net()
    assert len(viz_modules._TAGS) > before
    del net, loss  # the test model itself keeps its nodes in `created`
    gc.collect()
    assert len(viz_modules._TAGS) == before


def test_recorded_drawing_is_deterministic():
    assert draw_graph(recorded_net(1)[1]).source == draw_graph(recorded_net(1)[1]).source


def test_real_nn_modules_are_clustered_and_parameters_labelled():
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    with record_modules(model):
        loss = (model(Tensor(rng.standard_normal((5, 2)))) ** 2).mean()
    dot = parse(draw_graph(loss).source)  # names from Parameter labels, clusters from the recording
    for name in ("0.weight", "0.bias", "2.weight", "2.bias"):
        assert dot.id_of(name) in dot.cluster(f"{name[0]} (Linear)").members
    assert dot.cluster("1 (ReLU)").members


# ---- collapsing ---------------------------------------------------------------------------------


def node_names(dot):
    return [n["rows"][0] for n in dot.nodes.values()]


def test_max_nodes_collapses_the_innermost_modules_first():
    net, loss = recorded_net()
    total = len(toposort([loss]))   # 37: 4 Lin x 5 nodes, 2 Block x 2 own nodes, input, mul, sum
    inner = 4 * 5                   # the nodes of b0.fc1, b0.fc2, b1.fc1, b1.fc2
    dot = parse(draw_graph(loss, modules=net, max_nodes=total - inner + 4).source)
    assert len(dot.nodes) == total - inner + 4
    boxes = {n["rows"][0]: n for i, n in dot.nodes.items() if i.startswith("m")}
    assert sorted(boxes) == ["b0.fc1", "b0.fc2", "b1.fc1", "b1.fc2"]
    assert boxes["b0.fc1"]["rows"][1:] == ["Lin", "3 operations, 2 parameters"]
    assert boxes["b0.fc1"]["attrs"]["shape"] == "box3d"
    assert dot.id_of("b0.fc1") in dot.cluster("b0 (Block)").members  # a box sits in its parent's cluster
    assert "inp.weight" in node_names(dot)                                # depth-1 modules stay open


def test_max_nodes_collapses_top_level_modules_when_needed():
    net, loss = recorded_net()
    dot = parse(draw_graph(loss, modules=net, max_nodes=20).source)
    assert sorted(n for n in node_names(dot) if "." not in n and n[0] in "iob") == ["b0", "b1", "inp", "out"]
    assert len(dot.nodes) == 7  # input, 4 modules, mul, sum (the output is never collapsed)
    name = {i: n["rows"][0] for i, n in dot.nodes.items()}
    edges = [(name[t], name[h]) for t, h in dot.edges]
    # the chain input -> inp -> b0 -> b1 -> out -> y*y, each edge once although b0's output feeds b1
    # twice (fc1 and the residual add) and out's output feeds y * y twice
    assert edges == [("const1", "inp"), ("inp", "b0"), ("b0", "b1"), ("b1", "out"), ("out", "mul1"),
                     ("mul1", "sum1")]
    assert dot.by_name("b0")["rows"][2] == "8 operations, 4 parameters"


def test_max_nodes_above_the_size_changes_nothing():
    net, loss = recorded_net()
    assert draw_graph(loss, modules=net, max_nodes=1000).source == draw_graph(loss, modules=net).source


def test_max_nodes_without_modules_says_why_nothing_was_collapsed():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = ((x * 2).exp() + 1).sum()
    source = draw_graph(y, max_nodes=2).source
    assert "no module to collapse" in source and "max_nodes=2" in source
    assert len(parse(source).nodes) == len(toposort([y]))
