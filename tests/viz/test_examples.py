"""write_toy_outputs (for `make demo`) and the scalar MLP (parameters named, grouped by layer)."""
from tinygrad_udl import Value
from tinygrad_udl.commands.examples import write_toy_outputs
from tinygrad_udl.viz import draw_graph
from tinygrad_udl.zoo import ScalarMLP

from .dotparse import parse
from .test_draw_toy import SNAPSHOTS
from .toy_closed_form import toy_closed_form


def test_write_toy_outputs(tmp_path):
    paths = write_toy_outputs(tmp_path / "demo")
    assert [p.name for p in paths] == ["toy_graph.dot", "toy_backward.md", "toy_graph.svg"]
    assert paths[0].read_text(encoding="utf-8") == (SNAPSHOTS / "toy_graph.dot").read_text(encoding="utf-8")
    markdown = paths[1].read_text(encoding="utf-8")
    _, d = toy_closed_form()
    assert "### Backward pass #1" in markdown and f"| {d['omega0']:.6g} |" in markdown
    assert "<svg" in paths[2].read_text(encoding="utf-8")


def test_scalar_mlp_parameters_are_named_and_grouped_by_layer():
    model = ScalarMLP(2, [3, 1])
    out = model([Value(0.5), Value(-1.0)])
    dot = parse(draw_graph(out, modules=model).source)
    assert [c.label for c in dot.clusters] == ["layers"]
    layers = dot.clusters[0]
    assert sorted(c.label for c in layers.children) == ["layers.0", "layers.1"]
    names = {dot.nodes[i]["rows"][0] for i in dot.cluster("layers.0").members}
    assert names == {f"layers.0.omega[{i}][{j}]" for i in range(3) for j in range(2)} | {
        f"layers.0.beta[{i}]" for i in range(3)}
