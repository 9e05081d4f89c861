"""Where in the user's code each node was created (the engine does not record it: it would cost
every node a stack walk).

`record_creation_sites()` is a context manager used only for the checker's own run of the
function. It installs a profile hook (`sys.setprofile`, restored on exit) that watches the return
of the engine's node factories -- `tensor.apply` for every Tensor operation, `value._make` and
`value._binary` for Values. A profile hook sees these by their code objects, so it also catches
factories that other modules imported by name (`from ...tensor import apply`), which patching
the module attributes would miss. For each new node it walks the stack outwards to

- the first frame outside the engine (`tinygrad_udl/autograd`, `tinygrad_udl/ops.py`, this
  package): the line that asked for the operation, e.g. a layer's forward; and, if that frame is
  itself inside tinygrad_udl (nn, zoo), the first frame outside the library too;
- the node whose VJP was running, when the node was made by a backward pass with
  create_graph=True (order-2 checks): such nodes have no line of their own in the user's code.
"""
from __future__ import annotations

import contextlib
import linecache
import os
import sys
from dataclasses import dataclass

from ..autograd import graph, tensor, value
from ..autograd.graph import Node

_LIBRARY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_ENGINE = (os.path.join(_LIBRARY, "autograd") + os.sep, os.path.join(_LIBRARY, "ops.py"),
           os.path.dirname(os.path.abspath(__file__)) + os.sep)
_FACTORIES = {tensor.apply.__code__, value._make.__code__, value._binary.__code__}
_BACKWARD = graph._sweep.__code__  # the frame whose local `node` is the one being differentiated


@dataclass
class Site:
    file: str
    line: int
    function: str
    outer: Site | None = None      # first frame outside tinygrad_udl, when `file` is inside it
    vjp_of: Node | None = None     # made while running this node's VJP (create_graph=True)

    def describe(self, sites=None):
        text = f"{_short(self.file)}:{self.line} in {self.function}"
        source = linecache.getline(self.file, self.line).strip()
        if source:
            text += f": `{source}`"
        if self.outer is not None:
            text += f" (called from {_short(self.outer.file)}:{self.outer.line} in {self.outer.function})"
        if self.vjp_of is not None:
            parent = (sites or {}).get(self.vjp_of)
            origin = f", the node created at {parent.describe()}" if parent else ""
            return f"the backward pass (create_graph=True), in the VJP of '{self.vjp_of.op}'{origin}"
        return text


def _short(path):
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith(".." + os.sep + "..") else rel


def _in_engine(filename):
    return filename.startswith(_ENGINE)


def _site_of(frame):
    vjp_of = None
    while frame is not None and _in_engine(frame.f_code.co_filename):
        if frame.f_code is _BACKWARD and vjp_of is None:
            vjp_of = frame.f_locals.get("node")
        frame = frame.f_back
    if frame is None:
        return None
    site = Site(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name, vjp_of=vjp_of)
    if frame.f_code.co_filename.startswith(_LIBRARY + os.sep):
        outer = frame.f_back
        while outer is not None and outer.f_code.co_filename.startswith(_LIBRARY + os.sep):
            outer = outer.f_back
        if outer is not None:
            site.outer = Site(outer.f_code.co_filename, outer.f_lineno, outer.f_code.co_name)
    return site


@contextlib.contextmanager
def record_creation_sites():
    """Yield a dict {node: Site} filled in for every node created inside the block."""
    sites = {}

    def hook(frame, event, arg):
        if event == "return" and frame.f_code in _FACTORIES and isinstance(arg, Node) and arg not in sites:
            site = _site_of(frame.f_back)
            if site is not None:
                sites[arg] = site

    previous = sys.getprofile()
    sys.setprofile(hook)
    try:
        yield sites
    finally:
        sys.setprofile(previous)
