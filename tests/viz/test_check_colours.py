"""check=: a gradient-check report's per-node status colours the drawing.

The report is hand-built with the agreed duck-typed interface: `node_status`, a mapping from
nodes (or id(node), or node names) to "ok" | "mismatch" | "kink"."""
from types import SimpleNamespace

import pytest

from tinygrad_udl.viz import draw_graph
from tinygrad_udl.zoo import toy_model

from .dotparse import parse
from .test_modules import recorded_net

GREEN, ORANGE, RED = "#2e7d32", "#ef6c00", "#c62828"


def test_statuses_colour_the_nodes_keyed_by_node_id_or_name():
    g = toy_model()
    report = SimpleNamespace(node_status={g.f2: "mismatch", id(g.h2): "kink", "f3": "ok"})
    dot = parse(draw_graph(g.loss, params=g.params, check=report).source)
    for name, colour, status in [("f2", RED, "mismatch"), ("h2", ORANGE, "kink"), ("f3", GREEN, "ok")]:
        node = dot.by_name(name)
        assert node["attrs"]["color"] == colour and node["attrs"]["penwidth"] == "3"
        assert node["rows"][-1] == f"check: {status}"
    assert "color" not in dot.by_name("f1")["attrs"]
    assert not [r for r in dot.by_name("f1")["rows"] if r.startswith("check")]


def test_a_collapsed_module_shows_its_worst_status():
    net, loss = recorded_net()
    fc1 = net.children["b0"].children["fc1"]
    report = SimpleNamespace(node_status={fc1.created[0]: "ok", fc1.created[1]: "mismatch",
                                          fc1.params["bias"]: "kink"})
    dot = parse(draw_graph(loss, modules=net, max_nodes=20, check=report).source)
    assert dot.by_name("b0")["attrs"]["color"] == RED
    assert "color" not in dot.by_name("b1")["attrs"]


def test_a_report_about_another_graph_is_refused():
    g, other = toy_model(), toy_model()
    with pytest.raises(ValueError, match="none of the report's nodes"):
        draw_graph(g.loss, check=SimpleNamespace(node_status={other.f1: "ok"}))


@pytest.mark.parametrize("report, error", [
    (object(), TypeError),
    (SimpleNamespace(node_status={"f1": "wrong"}), ValueError),
    (SimpleNamespace(node_status={1.5: "ok"}), TypeError),
])
def test_malformed_reports_are_explained(report, error):
    with pytest.raises(error, match="check="):
        draw_graph(toy_model().loss, check=report)
