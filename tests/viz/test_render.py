"""save(): DOT needs nothing; svg/png/pdf use graphviz's `dot`, and its absence is explained."""
import pytest

from tinygrad_udl.viz import GraphvizNotFoundError, draw_graph, save
from tinygrad_udl.zoo import toy_model


@pytest.fixture
def toy():
    g = toy_model()
    return g, draw_graph(g.loss, params=g.params)


def test_dot_is_the_source(tmp_path, toy):
    _, graph = toy
    path = save(graph, tmp_path / "sub" / "toy.dot")  # folders are created
    assert path.read_text(encoding="utf-8") == graph.source


def test_dot_needs_no_graphviz_binary(tmp_path, toy, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    _, graph = toy
    assert save(graph, tmp_path / "toy.gv").read_text(encoding="utf-8") == graph.source


@pytest.mark.parametrize("suffix, magic", [(".svg", b"<svg"), (".png", b"\x89PNG"), (".pdf", b"%PDF")])
def test_images_are_rendered_by_dot(tmp_path, toy, suffix, magic):
    _, graph = toy
    data = save(graph, tmp_path / f"toy{suffix}").read_bytes()
    assert magic in data[:400]
    if suffix == ".svg":
        text = data.decode("utf-8")
        assert "omega0" in text and "grad 5.246" in text  # labels reach the picture


def test_missing_dot_binary_says_how_to_install_it(tmp_path, toy, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    _, graph = toy
    with pytest.raises(GraphvizNotFoundError) as info:
        save(graph, tmp_path / "toy.svg")
    message = str(info.value)
    assert "apt-get install graphviz" in message and "brew install graphviz" in message and ".dot" in message
    assert info.value.__suppress_context__  # no chained ExecutableNotFound traceback
    assert not (tmp_path / "toy.svg").exists()


def test_format_argument_and_unknown_extensions(tmp_path, toy):
    _, graph = toy
    assert save(graph, tmp_path / "graph.txt", format="dot").read_text(encoding="utf-8") == graph.source
    with pytest.raises(ValueError, match="cannot tell the format"):
        save(graph, tmp_path / "graph.jpg")


def test_a_node_is_drawn_with_the_given_options(tmp_path, toy):
    g, _ = toy
    text = save(g.loss, tmp_path / "toy.dot", params=g.params, grads=False).read_text(encoding="utf-8")
    assert text == draw_graph(g.loss, params=g.params, grads=False).source


def test_drawing_options_with_a_finished_drawing_are_refused(tmp_path, toy):
    _, graph = toy
    with pytest.raises(TypeError, match="draw_graph"):
        save(graph, tmp_path / "toy.dot", grads=False)
