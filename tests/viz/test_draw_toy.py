"""draw_graph on the book's toy example (section 7.3, figs. 7.3-7.5): every value and gradient in
the drawing against the closed form, node kinds, and byte-identical DOT (snapshot)."""
import os
import pathlib
import re
import subprocess
import sys

import pytest

from tinygrad_udl.viz import draw_graph
from tinygrad_udl.zoo import toy_model

from .dotparse import parse
from .toy_closed_form import BACKWARD_1, PARAMETERS, toy_closed_form

SNAPSHOTS = pathlib.Path(__file__).parent / "snapshots"
# Set to 1 to rewrite the snapshots after an intended change of the drawing (then review the diff).
UPDATE = os.environ.get("TINYGRAD_UDL_UPDATE_SNAPSHOTS") == "1"


def toy_dot(**options):
    g = toy_model()
    return draw_graph(g.loss, params=g.params, **options).source


def check_snapshot(name, text):
    path = SNAPSHOTS / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_toy_dot_is_deterministic_and_matches_the_snapshot():
    first, second = toy_dot(), toy_dot()
    assert first == second
    check_snapshot("toy_graph.dot", first)


def test_toy_dot_does_not_depend_on_the_process():
    """Another interpreter with another hash seed (and other memory addresses) draws the same bytes."""
    code = ("import sys; from tinygrad_udl.viz import draw_graph; from tinygrad_udl.zoo import toy_model; "
            "g = toy_model(); sys.stdout.write(draw_graph(g.loss, params=g.params).source)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONHASHSEED": "12345"}).stdout
    assert out == toy_dot()


def test_toy_labels_show_the_closed_form_values_and_gradients():
    values, grads = toy_closed_form()
    dot = parse(toy_dot())
    for name in BACKWARD_1 + PARAMETERS + ["x", "y", "l"]:
        assert float(dot.row(name, "data")) == pytest.approx(values[name], rel=5e-4, abs=1e-12), name
        assert float(dot.row(name, "grad")) == pytest.approx(grads[name], rel=5e-4, abs=1e-12), name


def test_toy_labels_equal_the_engines_gradients_after_backward():
    g = toy_model()
    g.loss.backward()
    engine = {name: v.grad for name, v in g.params.items()}
    engine.update({name: getattr(g, name).grad for name in BACKWARD_1})
    dot = parse(toy_dot())
    for name, grad in engine.items():
        assert dot.row(name, "grad") == f"{grad:.4g}", name


def test_toy_node_kinds_are_distinct():
    dot = parse(toy_dot())
    shapes = {name: (dot.by_name(name)["attrs"]["shape"], dot.by_name(name)["attrs"]["fillcolor"])
              for name in PARAMETERS + BACKWARD_1 + ["x", "y", "l"]}
    parameter, operation, leaf, output = shapes["beta0"], shapes["f0"], shapes["x"], shapes["l"]
    assert len({parameter, operation, leaf, output}) == 4
    assert all(shapes[p] == parameter for p in PARAMETERS)
    assert all(shapes[f] == operation for f in BACKWARD_1)
    assert shapes["y"] == leaf and leaf[0] == "ellipse"
    assert dot.by_name("l")["attrs"]["peripheries"] == "2"
    assert "rounded" in dot.by_name("omega2")["attrs"]["style"]


def test_toy_nodes_show_the_operation_and_its_arguments():
    dot = parse(toy_dot())
    assert dot.by_name("h1")["rows"][1] == "sin(f0)"
    assert dot.by_name("h3")["rows"][1] == "cos(f2)"
    assert re.fullmatch(r"add\(beta2, mul\d\)", dot.by_name("f2")["rows"][1])
    assert re.fullmatch(r"pow_const\(sub\d, c=2\)", dot.by_name("l")["rows"][1])


def test_toy_edges_follow_eq_7_8():
    dot = parse(toy_dot())
    edges = {(dot.nodes[t]["rows"][0], dot.nodes[h]["rows"][0]) for t, h in dot.edges}
    for a, b in [("f0", "h1"), ("h1", "mul2"), ("f1", "h2"), ("f2", "h3"), ("beta3", "f3"), ("f3", "sub1"),
                 ("y", "sub1"), ("sub1", "l"), ("omega0", "mul1"), ("x", "mul1")]:
        assert (a, b) in edges
    assert len(dot.edges) == 22  # one per argument: 4 mul, 4 add and sub take 2; sin, exp, cos, pow_const 1
    assert [n for n in dot.nodes] == [f"n{i}" for i in range(len(dot.nodes))]  # ids = topological positions


def test_values_and_grads_can_be_left_out():
    dot = parse(toy_dot(values=False, grads=False))
    rows = [r for node in dot.nodes.values() for r in node["rows"]]
    assert not [r for r in rows if r.startswith(("data ", "grad "))]
    dot = parse(toy_dot(grads=False))
    assert dot.row("f2", "data") and not [r for r in dot.by_name("f2")["rows"] if r.startswith("grad")]


def test_after_backward_the_stored_gradients_are_shown_and_said_so():
    g = toy_model()
    g.loss.backward()  # frees the graph: draw_graph cannot recompute, it shows .grad
    source = draw_graph(g.loss, params=g.params).source
    _, grads = toy_closed_form()
    dot = parse(source)
    assert float(dot.row("omega0", "grad")) == pytest.approx(grads["omega0"], rel=5e-4)
    assert "stored .grad" in source


def test_drawing_leaves_the_gradients_alone():
    g = toy_model()
    draw_graph(g.loss)
    assert all(v.grad == 0.0 for v in g.params.values())
    g.loss.backward()  # the graph was not freed by the drawing
    _, grads = toy_closed_form()
    assert g.params["omega1"].grad == pytest.approx(grads["omega1"], rel=1e-12)


def test_rankdir_is_passed_to_graphviz():
    assert "rankdir=TB" in toy_dot(rankdir="TB")


@pytest.mark.parametrize("kwargs, error", [({"rankdir": "up"}, ValueError), ({"max_nodes": 0}, ValueError),
                                           ({"max_nodes": 2.5}, ValueError)])
def test_bad_options_are_explained(kwargs, error):
    with pytest.raises(error, match="draw_graph"):
        toy_dot(**kwargs)


def test_a_non_node_root_is_explained():
    with pytest.raises(TypeError, match="expected a Value or a Tensor"):
        draw_graph([1.0, 2.0])
