"""`draw_graph`: the computational graph as a graphviz drawing, like the book's figs. 7.3-7.5.

One box per node of the graph (every `Value`, every `Tensor`), with its name, the operation and
arguments that made it, its shape and dtype, its forward value and its gradient d(output)/d(node);
an edge from each input to the operation that consumes it. Kinds are told apart by shape and
colour (the legend is in docs/visualisation.md):

    leaf        grey ellipse          inputs, data, constants
    parameter   blue rounded box      leaves that gradients are taken for (weights, biases)
    operation   yellow box            the result of a primitive
    output      red double box        the node drawn from (the loss)
    module      purple 3-d box        a whole nn.Module collapsed into one box (max_nodes)

With a gradient-check report (`check=`), the border says what the check found at each node:
green = ok, red = mismatch, orange = kink (a non-differentiable point).
"""
from __future__ import annotations

import html
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from ..autograd.functional import grad
from ..autograd.graph import GraphFreedError, Node
from ..autograd.value import Value
from . import format as fmt
from .view import LEAF, OPERATION, OUTPUT, PARAMETER, GraphView, as_roots

if TYPE_CHECKING:   # imported on first use (graphviz loads slowly); named here for the annotations
    import graphviz

DIGITS = 4  # significant digits of the numbers in a drawing

NODE_STYLE = {
    LEAF: {"shape": "ellipse", "style": "filled", "fillcolor": "#eeeeee"},
    PARAMETER: {"shape": "box", "style": "filled,rounded", "fillcolor": "#dae8fc"},
    OPERATION: {"shape": "box", "style": "filled", "fillcolor": "#fff2cc"},
    OUTPUT: {"shape": "box", "style": "filled", "fillcolor": "#f8cecc", "peripheries": "2"},
}
MODULE_STYLE = {"shape": "box3d", "style": "filled", "fillcolor": "#e1d5e7"}
CLUSTER_STYLE = {"style": "rounded,dashed", "color": "#7f7f7f", "fontcolor": "#4f4f4f"}
STATUS_COLOURS = {"ok": "#2e7d32", "kink": "#ef6c00", "mismatch": "#c62828"}  # in increasing severity
GRAD_COLOUR = "#a0302c"
RANKDIRS = ("LR", "RL", "TB", "BT")


def draw_graph(root, *, values=True, grads=True, rankdir="LR", max_nodes=None, group_modules=True, check=None,
               modules=None, params=None) -> graphviz.Digraph:
    """The graph that computed `root` (a Value or Tensor, or a list of them) as a `graphviz.Digraph`.

    values:  show each node's forward value (scalars in full, arrays of <= 9 elements element by
             element, larger ones as min / mean / max and norm).
    grads:   show d(root)/d(node) at every node, computed here with the engine's `grad()` (no
             `.grad` is touched), so interior tensors show theirs too; for a non-scalar root, the
             gradients of root.sum(). If backward() has already freed the graph, the stored
             `.grad` is shown instead (interior tensors keep it only after `retain_grad()`).
    rankdir: graphviz layout direction, "LR" (left to right, as the book's figures), "TB", ...
    max_nodes: if the graph has more nodes, whole modules are collapsed into one box each, the
             innermost modules first, until it fits (module membership: see `record_modules`).
    group_modules: draw a dashed cluster around the nodes of each module.
    check:   a gradient-check report with `node_status` ({node, id(node) or node name:
             "ok" | "mismatch" | "kink"}): colours the nodes' borders.
    modules: the model (anything with `named_parameters()`): names its parameters (`fc1.weight`)
             and marks them as parameters; `named_modules()` gives the clusters' class names.
    params:  {name: node} (or (name, node) pairs) for models that are not modules, e.g. the toy
             model's `params`.

    The same computation gives the same DOT source, byte for byte: node ids are positions in the
    topological order.
    """
    roots = as_roots(root, "draw_graph")
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw_graph: rankdir={rankdir!r}; use one of {', '.join(RANKDIRS)}")
    if max_nodes is not None and (not isinstance(max_nodes, int) or max_nodes < 1):
        raise ValueError(f"draw_graph: max_nodes={max_nodes!r}; use a positive integer or None")
    view = GraphView(roots, modules, params)
    notes = []
    gradients = _gradients(view, notes) if grads else {}
    status = _statuses(check, view) if check is not None else {}
    groups = _collapse(view, max_nodes, notes)

    import graphviz   # imported on first use: the engine needs no drawing to load

    dot = graphviz.Digraph(graph_attr={"rankdir": rankdir, "fontname": "Helvetica", "fontsize": "11",
                                       "labelloc": "t", **({"label": "\\n".join(notes)} if notes else {})},
                           node_attr={"fontname": "Helvetica", "fontsize": "10"},
                           edge_attr={"color": "#555555", "arrowsize": "0.7"})
    clusters = _Clusters(view) if group_modules else None
    group_ids, members = {}, {}
    for node, group in groups.items():
        members.setdefault(group, []).append(node)
    for node in view.nodes:
        group = groups.get(node)
        if group is None:
            node_id = view.node_id(node)
            dot.node(node_id, _label(view, node, values, grads, gradients, status.get(node)),
                     **NODE_STYLE[view.kinds[node]], **_status_style(status.get(node)))
            if clusters is not None:
                clusters.place(view.module_of[node], node_id)
        elif group not in group_ids:
            group_ids[group] = node_id = f"m{len(group_ids)}"
            inside = members[group]
            worst = max((status[n] for n in inside if n in status), key=list(STATUS_COLOURS).index, default=None)
            dot.node(node_id, _module_label(view, group, inside, worst), **MODULE_STYLE, **_status_style(worst))
            if clusters is not None:
                clusters.place(group.rpartition(".")[0], node_id)
    if clusters is not None:
        clusters.emit(dot)
    _edges(dot, view, groups, group_ids)
    return dot


# ---- labels -------------------------------------------------------------------------------------


def _label(view, node, values, grads, gradients, status):
    """An HTML-like label: name (bold), formula, shape and dtype, value, gradient, check status."""
    rows = [f"<B>{_esc(view.names[node])}</B>"]
    if not node.is_leaf:
        rows.append(_esc(_formula(view, node)))
    shape = fmt.shape_and_dtype(node.data)
    if shape:
        rows.append(_esc(shape))
    if values:
        rows += _rows("data", fmt.lines(node.data, DIGITS))
    if grads and node.requires_grad:
        g = gradients.get(node)
        text = ["not kept (retain_grad())"] if g is None else fmt.lines(g, DIGITS)
        rows += [f'<FONT COLOR="{GRAD_COLOUR}">{row}</FONT>' for row in _rows("grad", text)]
    if status is not None:
        rows.append(f'<FONT COLOR="{STATUS_COLOURS[status]}"><I>check: {status}</I></FONT>')
    return "<" + "<BR/>".join(rows) + ">"


def _rows(title, lines):
    return [_esc(f"{title} {lines[0]}")] + [_esc(line) for line in lines[1:]]


def _formula(view, node):
    """'mul(omega0, x)', with the op's non-tensor arguments: 'pow_const(sub1, c=2)'."""
    args = [view.names[p] for p in node.parents]
    if not node.freed:  # backward() releases the parameters with the graph
        args += [f"{k}={_short(v)}" for k, v in node.params.items()]
    return f"{node.op}({', '.join(args)})"


def _short(v, width=24):
    text = fmt.number(v, DIGITS) if isinstance(v, float) else " ".join(repr(v).split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _module_label(view, module, members, status):
    n_params = sum(view.kinds[n] == PARAMETER for n in members)
    cls = view.class_of(module)
    rows = [f"<B>{_esc(module)}</B>"] + ([_esc(cls)] if cls else [])
    rows.append(f"{len(members) - n_params} operations, {n_params} parameters")
    if status is not None:
        rows.append(f'<FONT COLOR="{STATUS_COLOURS[status]}"><I>check: {status}</I></FONT>')
    return "<" + "<BR/>".join(rows) + ">"


def _esc(text):
    return html.escape(text, quote=False)


def _status_style(status):
    return {} if status is None else {"color": STATUS_COLOURS[status], "penwidth": "3"}


# ---- gradients and check statuses ---------------------------------------------------------------


def _gradients(view, notes):
    """{node: d(roots)/d(node) as a float or array (None: no gradient)} for the drawing."""
    roots = [r for r in view.roots if r.requires_grad]
    wanted = [n for n in view.nodes if n.requires_grad]
    if not roots:
        return {}
    seeds = [None if isinstance(r, Value) or r.size == 1 else np.ones_like(r.data) for r in roots]
    try:
        results = grad(roots, wanted, grad_outputs=seeds, retain_graph=True, allow_unused=True)
    except GraphFreedError:
        notes.append("gradients: the stored .grad (backward() has freed the graph)")
        return {n: (n.grad.data if isinstance(n.grad, Node) else n.grad) for n in wanted}  # Tensor, float or None
    return {n: (None if g is None else g.data) for n, g in zip(wanted, results)}


def _statuses(check, view):
    """{node: status} from `check.node_status`, whose keys are nodes, id(node)s or node names."""
    table = getattr(check, "node_status", None)
    if not isinstance(table, Mapping):
        raise TypeError("draw_graph(check=...): expected a gradient-check report with a `node_status` mapping "
                        f"(node -> 'ok' | 'mismatch' | 'kink'), got {type(check).__name__}")
    by_id, by_name = {}, {}
    for key, status in table.items():
        if status not in STATUS_COLOURS:
            raise ValueError(f"draw_graph(check=...): node status {status!r}; expected one of "
                             f"{', '.join(STATUS_COLOURS)}")
        if isinstance(key, Node):
            by_id[id(key)] = status
        elif isinstance(key, int):
            by_id[key] = status
        elif isinstance(key, str):
            by_name[key] = status
        else:
            raise TypeError(f"draw_graph(check=...): node_status key {key!r:.40}; expected a node, id(node) or a name")
    found = {}
    for node in view.nodes:
        status = by_id.get(id(node)) or by_name.get(view.names[node])
        if status is not None:
            found[node] = status
    if table and not found:
        raise ValueError("draw_graph(check=...): none of the report's nodes is in this graph; draw the graph the "
                         "check evaluated (or key node_status by node names)")
    return found


# ---- modules: collapsing and clusters -----------------------------------------------------------


def _collapse(view, max_nodes, notes):
    """{node: module name} for the nodes to draw as one box per module, or {} when all fit.

    Modules are collapsed level by level, the deepest first (a ResNet's convolutions before its
    blocks), and the finest level that fits `max_nodes` is kept. The output is never collapsed.
    """
    if max_nodes is None or len(view.nodes) <= max_nodes:
        return {}
    depth = max((m.count(".") + 1 for m in view.module_of.values() if m), default=0)
    groups, boxes = {}, len(view.nodes)
    for level in range(depth, 0, -1):
        groups = {}
        for node in view.nodes:
            parts = view.module_of[node].split(".") if view.module_of[node] else []
            if len(parts) >= level and view.kinds[node] != OUTPUT:
                groups[node] = ".".join(parts[:level])
        boxes = len(view.nodes) - len(groups) + len(set(groups.values()))
        if boxes <= max_nodes:
            return groups
    if depth == 0:
        notes.append(f"{len(view.nodes)} nodes, more than max_nodes={max_nodes}, but no module to collapse "
                     "(pass modules= or build the graph inside record_modules(model))")
    else:
        notes.append(f"{boxes} boxes with every top-level module collapsed: more than max_nodes={max_nodes}")
    return groups


class _Clusters:
    """Nested dashed clusters, one per module (named by its qualified name and class)."""

    def __init__(self, view):
        self.view = view
        self.members = {}  # module name -> node ids, modules in order of first appearance

    def place(self, module, node_id):
        if not module:
            return
        parts = module.split(".")
        for k in range(1, len(parts) + 1):
            self.members.setdefault(".".join(parts[:k]), [])
        self.members[module].append(node_id)

    def emit(self, dot):
        index = {name: i for i, name in enumerate(self.members)}
        for name in self.members:
            if "." not in name:
                self._emit(dot, name, index)

    def _emit(self, parent, name, index):
        cls = self.view.class_of(name)
        with parent.subgraph(name=f"cluster_{index[name]}") as sub:
            sub.attr(label=f"{name} ({cls})" if cls else name, **CLUSTER_STYLE)
            for node_id in self.members[name]:
                sub.node(node_id)
            for child in self.members:
                if child.rpartition(".")[0] == name:
                    self._emit(sub, child, index)


def _edges(dot, view, groups, group_ids):
    """input -> consumer for every argument (twice for x * x); edges into, out of or between
    collapsed modules drawn once each, edges inside one dropped."""
    seen = set()
    for node in view.nodes:
        head = group_ids[groups[node]] if node in groups else view.node_id(node)
        for parent in node.parents:
            tail = group_ids[groups[parent]] if parent in groups else view.node_id(parent)
            if tail == head:
                continue
            if node in groups or parent in groups:
                if (tail, head) in seen:
                    continue
                seen.add((tail, head))
            dot.edge(tail, head)
