"""Which node is wrong: check every primitive of a failing graph on its own.

When the whole function's gradient disagrees with finite differences, walk its graph in
topological order (parents first) and, at each non-leaf node, compare that primitive's VJP with
finite differences of that primitive's forward function, at the inputs the node recorded, with a
random upstream gradient g:

    VJP_i(g) = d/dx_i <g, forward(x_1, ..., x_n)>    (checked element by element of x_i)

A primitive can only be checked this way while its graph is alive, so the checker builds the
graph with retain_graph=True. The first node that fails is the one reported: nodes earlier in
topological order feed it, and a wrong derivative does not change any forward value, so later
nodes are checked at correct inputs too -- the first failing node is the culprit, not a victim.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..autograd.graph import toposort
from . import numerics
from .report import WrongNode

# Inputs with more elements than this are checked on a random sample of that many elements: the
# forward of one primitive is cheap, but not free (two forwards per element).
MAX_ELEMENTS_PER_INPUT = 4096


def _params_text(ctx):
    if not ctx:
        return ""
    parts = []
    for k, v in ctx.items():
        text = f"shape {v.shape} array" if isinstance(v, np.ndarray) else repr(v)
        parts.append(f"{k}={text[:40]}")
    return ", ".join(parts)


def compare_inputs(node, rng, *, atol, rtol):
    """Yield (input index, ElementComparison) for each input of `node` that requires grad: its
    primitive's VJP at the recorded inputs (random upstream gradient) against finite differences of
    the primitive's forward. Nothing for a node whose graph was freed by backward()."""
    if node.freed:
        return
    args = [p.data for p in node.parents]
    out = node.data
    scalar = not isinstance(out, np.ndarray)
    g = float(rng.standard_normal()) if scalar else rng.standard_normal(np.shape(out))
    for i, parent in enumerate(node.parents):
        if not parent.requires_grad:
            continue
        analytic = node.vjp(i, g, args)
        x = np.array(args[i], dtype=np.float64).reshape(-1)
        shape = np.shape(args[i])
        trial = list(args)

        def evaluate():
            trial[i] = float(x[0]) if scalar else x.reshape(shape)
            return np.sum(g * node.recompute(*trial))

        elements = None
        if x.size > MAX_ELEMENTS_PER_INPUT:
            elements = rng.choice(x.size, MAX_ELEMENTS_PER_INPUT, replace=False)
        try:
            yield i, numerics.compare_elements(evaluate, x, analytic, float(evaluate()), atol=atol, rtol=rtol,
                                               elements=elements)
        except numerics.EvaluationError:
            continue  # the forward is not defined one step away: this input cannot be judged here


def check_node(node, rng, *, atol, rtol):
    """(input index, ElementComparison) for the first input whose VJP is wrong, else None."""
    for i, cmp in compare_inputs(node, rng, atol=atol, rtol=rtol):
        if cmp.failed.any():
            return i, cmp
    return None


@dataclass
class NodeCheck:
    """Every primitive node of a graph checked on its own (`check_nodes`): `node_status[node]` is
    "ok", "mismatch" (its VJP disagrees with finite differences of its forward) or "kink" (it sits
    at a non-differentiable point, or near a singularity or where finite differences cannot decide:
    not wrong, not confirmed either). `draw_graph(root, check=...)` colours the nodes by it."""

    node_status: dict

    @property
    def ok(self):
        return "mismatch" not in self.node_status.values()


def check_nodes(root, *, atol=None, rtol=None, seed=0) -> NodeCheck:
    """Check the VJP of every node of root's graph at the inputs it recorded (call it before
    backward(), or after backward(retain_graph=True): a freed node cannot be re-checked)."""
    atol = numerics.DEFAULT_ATOL if atol is None else atol
    rtol = numerics.DEFAULT_RTOL if rtol is None else rtol
    rng = np.random.default_rng(seed)
    status = {}
    for node in toposort([root]):
        if node.is_leaf or node.freed:
            continue
        comparisons = [cmp for _, cmp in compare_inputs(node, rng, atol=atol, rtol=rtol)]
        if any(cmp.failed.any() for cmp in comparisons):
            status[node] = "mismatch"
        elif any(cmp.kink.any() or cmp.unresolved.any() for cmp in comparisons):
            status[node] = "kink"
        else:
            status[node] = "ok"
    return NodeCheck(status)


def find_wrong_node(root, sites, rng, *, atol, rtol):
    """The first node of root's graph (topological order) with a wrong VJP, as a WrongNode."""
    for node in toposort([root]):
        if node.is_leaf:
            continue
        found = check_node(node, rng, atol=atol, rtol=rtol)
        if found is None:
            continue
        i, cmp = found
        w = cmp.worst()
        shape = np.shape(node.parents[i].data)
        site = sites.get(node)
        return WrongNode(
            op=node.op, label=node.label, input_index=i,
            input_shapes=[np.shape(p.data) for p in node.parents],
            params=_params_text(node.params), site=site.describe(sites) if site else "unknown (not recorded)",
            max_abs_err=float(np.nanmax(cmp.abs_err)), max_rel_err=float(np.nanmax(cmp.rel_err)),
            worst_index=tuple(int(k) for k in np.unravel_index(w, shape)) if shape else (),
            autodiff=float(cmp.analytic[w]), numerical=float(cmp.numerical[w]))
    return None
