"""`save`: write a drawing to .dot, .svg, .png or .pdf.

DOT is graphviz's text format: it is written as is and needs nothing else (render it later, or
paste it into an online viewer). The image formats are made by graphviz's `dot` program; when it
is missing the error says how to install it instead of ending in a traceback.
"""
from __future__ import annotations

import pathlib
import subprocess


from ..files import atomic_write
from .draw import draw_graph

FORMATS = ("dot", "svg", "png", "pdf")
_EXTENSIONS = {".dot": "dot", ".gv": "dot", ".svg": "svg", ".png": "png", ".pdf": "pdf"}


class GraphvizNotFoundError(RuntimeError):
    """graphviz's `dot` program is not installed (or not on PATH)."""


def save(graph_or_root, path, *, format=None, **draw_options) -> pathlib.Path:
    """Write a drawing to `path` and return the path.

    `graph_or_root` is a `graphviz.Digraph` from `draw_graph`, or a Value / Tensor to draw with
    `draw_options` (the keyword arguments of `draw_graph`). The format comes from `format=`
    ("dot", "svg", "png", "pdf") or else from the file's extension. Missing folders are created.
    """
    import graphviz   # imported on first use: the engine needs no drawing to load

    path = pathlib.Path(path)
    format = format or _EXTENSIONS.get(path.suffix.lower())
    if format not in FORMATS:
        raise ValueError(f"save: cannot tell the format of '{path}'; use a file ending in "
                         f"{', '.join(_EXTENSIONS)} or pass format= (one of {', '.join(FORMATS)})")
    if isinstance(graph_or_root, graphviz.Graph | graphviz.Digraph):
        if draw_options:
            raise TypeError(f"save: {', '.join(draw_options)} apply when drawing a Value or Tensor, not to a "
                            "finished drawing; pass them to draw_graph()")
        graph = graph_or_root
    else:
        graph = draw_graph(graph_or_root, **draw_options)
    if format == "dot":
        data = graph.source.encode("utf-8")
    else:
        data = _render(graph, format, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as f:   # a failed render or a full disk leaves an old drawing whole
        f.write(data)
    return path


def _render(graph, format, path):
    import graphviz

    try:
        return graph.pipe(format=format)
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFoundError(
            f"saving '{path}' needs graphviz's `dot` program to make {format}, and it was not found on PATH. "
            "Install it with `apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
            "`conda install graphviz` or from https://graphviz.org/download/ -- or save as .dot, which needs "
            "no program.") from None
    except subprocess.CalledProcessError as e:
        stderr = (e.stderr or b"").decode("utf-8", "replace").strip()
        raise RuntimeError(f"graphviz's `dot` failed to make '{path}': {stderr or e}") from None
