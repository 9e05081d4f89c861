"""Seeing the computation: graph drawings (figs. 7.3-7.5) and the backward pass step by step.

    draw_graph(root)                      -> graphviz.Digraph (values, gradients, modules)
    save(graph_or_root, "graph.svg")      -> .dot (always), .svg / .png / .pdf (graphviz's `dot`)
    trace_backward(root)                  -> BackwardTrace: str(trace), trace.to_markdown()
    with record_modules(model): ...       -> operations clustered by the module that made them

See docs/visualisation.md.
"""
from .draw import draw_graph
from .modules import record_modules
from .render import GraphvizNotFoundError, save
from .trace import BackwardTrace, TraceStep, trace_backward

__all__ = ["draw_graph", "save", "trace_backward", "record_modules", "BackwardTrace", "TraceStep",
           "GraphvizNotFoundError"]
