"""Ready-made graphs for the command line to draw and trace: the book's toy example (section 7.3,
figs. 7.3-7.5). Here, not in `viz`, because it builds a zoo model: drawing code does not depend on the zoo.

`write_toy_outputs(out_dir)` is what `make demo` shows: the toy model's graph with every forward
value and gradient (svg and dot) and its backward pass, step by step (Markdown).
"""
from __future__ import annotations

import pathlib

from ..zoo.supervised.toy import toy_model
from ..viz import draw_graph, save, trace_backward


def toy_example():
    """(loss node, {parameter name: node}) of the toy model of eq. 7.8 at the book's values."""
    g = toy_model()
    return g.loss, g.params


EXAMPLES = {"toy": toy_example}


def write_toy_outputs(out_dir) -> list[pathlib.Path]:
    """Write toy_graph.dot, toy_backward.md and toy_graph.svg to `out_dir`; return their paths.

    The svg needs graphviz's `dot` program (a clear `GraphvizNotFoundError` otherwise); it is
    written last, so the dot and Markdown files exist either way.
    """
    out_dir = pathlib.Path(out_dir)
    loss, params = toy_example()
    graph = draw_graph(loss, params=params)
    trace_path = out_dir / "toy_backward.md"
    paths = [save(graph, out_dir / "toy_graph.dot")]
    trace_path.write_text("# Backward pass of the toy model (section 7.3)\n\n"
                          + trace_backward(loss, params=params).to_markdown(), encoding="utf-8")
    paths.append(trace_path)
    paths.append(save(graph, out_dir / "toy_graph.svg"))
    return paths
