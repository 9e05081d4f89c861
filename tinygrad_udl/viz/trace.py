"""`trace_backward`: the backward pass written out step by step, as section 7.3 does by hand.

For every edge of the graph, in the order the engine's backward pass takes them (reverse
topological order), one step: the node whose gradient grows, the consumer it feeds and that
consumer's op, the upstream gradient dl/d(consumer), the local derivative d(consumer)/d(node), the
contribution (the chain rule, eq. 7.11) and the gradient accumulated so far (sums over several
consumers, eqs. 7.42-7.44). For the toy model the steps whose node is an intermediate quantity are
backward pass #1 (eqs. 7.9-7.12), those whose node is a parameter or input backward pass #2
(eqs. 7.13-7.15); the trace prints them in these two groups, each in the order they were taken.

All numbers come from the engine's own derivative table (`rules.py`): the local derivative is the
op's VJP applied to a unit upstream gradient, the contribution is the VJP applied to the actual
upstream gradient. For an elementwise op on tensors the local derivative is the elementwise
derivative; for others (matmul, sum, ...) it is the VJP of an all-ones gradient, i.e. the
Jacobian's column sums. Gradient hooks (`register_hook`) are not run.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ..autograd.graph import GraphFreedError
from ..autograd.value import Value
from . import format as fmt
from .view import GraphView, as_roots

DIGITS = 6  # significant digits in the printed trace


@dataclass(frozen=True)
class TraceStep:
    """One edge of the backward pass: d(loss)/d(node) += upstream . d(consumer)/d(node)."""

    step: int
    node: str          # name of the node whose gradient this step adds to
    consumer: str      # name of the node the gradient comes back from
    op: str            # the consumer's primitive
    upstream: object   # d(loss)/d(consumer): float or array
    local: object      # d(consumer)/d(node): the VJP of a unit upstream gradient
    contribution: object  # the VJP of `upstream`: upstream * local for scalars
    accumulated: object   # d(loss)/d(node) after this step
    is_leaf: bool      # True for parameters and inputs (backward pass #2)
    target: object = field(repr=False, compare=False, default=None)  # the node itself
    source: object = field(repr=False, compare=False, default=None)  # the consumer node


class BackwardTrace:
    """The steps of a backward pass; `str(trace)` is a text table, `to_markdown()` a Markdown one."""

    def __init__(self, root_name, seed, steps):
        self.root_name = root_name
        self.seed = seed
        self.steps = steps

    def __iter__(self):
        return iter(self.steps)

    def __len__(self):
        return len(self.steps)

    def gradients(self) -> dict:
        """{node name: final accumulated gradient} of every node the pass reached (last step wins)."""
        return {s.node: s.accumulated for s in self.steps}

    def sections(self):
        """(title, steps) for backward pass #1 (intermediate nodes) and #2 (leaves)."""
        return [("Backward pass #1: gradients of the intermediate quantities (cf. eqs. 7.9-7.12)",
                 [s for s in self.steps if not s.is_leaf]),
                ("Backward pass #2: gradients of the parameters and inputs (cf. eqs. 7.13-7.15)",
                 [s for s in self.steps if s.is_leaf])]

    @property
    def _short_root(self):
        """The output's name in formulas: itself if it is a plain name, else 'out'."""
        return self.root_name if re.fullmatch(r"\w{1,12}", self.root_name) else "out"

    def _header(self, d, newline):
        r = self._short_root
        called = "" if r == self.root_name else f" (called {r} below)"
        return newline.join([
            f"Backward pass from {self.root_name}{called}, seeded with {d}{r}/{d}{r} = "
            f"{fmt.one_line(self.seed, DIGITS)}.",
            "Each step sends the gradient from a consumer ('from', made by 'op') back to one of its inputs ('node'):",
            f"upstream = {d}{r}/{d}(from), local = {d}(from)/{d}(node), contribution = upstream x local "
            f"(the op's VJP), {d}{r}/{d}(node) = the sum of the contributions so far."])

    def _columns(self, d):
        r = self._short_root
        return ["step", "node", "from", "op", "upstream", "local", "contribution", f"{d}{r}/{d}(node)"]

    @staticmethod
    def _cells(s):
        numbers = (s.upstream, s.local, s.contribution, s.accumulated)
        return [str(s.step), s.node, s.consumer, s.op] + [fmt.one_line(x, DIGITS) for x in numbers]

    def __str__(self):
        out = [self._header("d", "\n")]
        columns = self._columns("d")
        for title, steps in self.sections():
            rows = [columns] + [self._cells(s) for s in steps]
            widths = [max(len(r[i]) for r in rows) for i in range(len(columns))]
            out += ["", title]
            out += ["  ".join(c.rjust(w) if i in (0,) or i >= 4 else c.ljust(w) for i, (c, w) in
                              enumerate(zip(r, widths))).rstrip() for r in rows]
            if not steps:
                out.append("(none)")
        return "\n".join(out)

    def to_markdown(self) -> str:
        out = [self._header("∂", "  \n")]
        columns = self._columns("∂")
        for title, steps in self.sections():
            out += ["", f"### {title}", ""]
            if not steps:
                out.append("(none)")
                continue
            out.append("| " + " | ".join(columns) + " |")
            out.append("|" + "|".join("---:" if i == 0 or i >= 4 else "---" for i in range(len(columns))) + "|")
            for s in steps:
                cells = self._cells(s)
                cells[1:4] = [f"`{c}`" for c in cells[1:4]]
                out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        return "\n".join(out) + "\n"

    # ---- notebooks ------------------------------------------------------------------------------

    def _repr_markdown_(self):
        return self.to_markdown()

    def _repr_html_(self):
        """Two HTML tables (backward passes #1 and #2); on the step that completes a node's gradient
        (its last contribution) the gradient is in bold."""
        from .display import esc, html_table

        last = {s.node: s.step for s in self.steps}
        columns = self._columns("∂")
        header = "<br/>".join(esc(line) for line in self._header("∂", "\n").splitlines())
        out = [f'<div class="tg-trace"><p>{header}</p>']
        for title, steps in self.sections():
            out.append(f"<h4>{esc(title)}</h4>")
            if not steps:
                out.append("<p>(none)</p>")
                continue
            rows = [self._cells(s) for s in steps]
            final = ["final" if last[s.node] == s.step else None for s in steps]
            bold = {(r, len(columns) - 1): "final" for r, f in enumerate(final) if f}
            out.append(html_table(columns, rows, numeric=(0, 4, 5, 6, 7), cell_status=bold,
                                  css_class="tg-table tg-trace-steps"))
        return "".join(out) + "</div>"


def trace_backward(root, *, modules=None, params=None) -> BackwardTrace:
    """The backward pass from the scalar `root` (a Value, or a one-element Tensor), step by step.

    Nothing is changed: no `.grad` is written and the graph is not freed. Nodes are named as in
    `draw_graph` (labels, then parameter names from `modules=` / `params=`, then `mul1`, ...).
    Call it before `backward()`, which frees the graph (or after `backward(retain_graph=True)`).
    """
    (root,) = as_roots(root, "trace_backward")
    if not isinstance(root, Value):
        if root.size != 1:
            raise ValueError(f"trace_backward: the output has shape {root.shape}; trace a single number "
                             "(e.g. out.sum())")
        if not root.requires_grad:
            raise ValueError("trace_backward: the output does not require grad, so there is no backward pass "
                             "(create the inputs with requires_grad=True)")
    view = GraphView([root], modules, params)
    seed = _unit(root.data)
    grads = {root: seed}
    steps = []
    for node in reversed(view.nodes):
        g = grads.get(node)
        if g is None or node.is_leaf:
            continue
        if node.freed:
            raise GraphFreedError(f"trace_backward: the graph through '{view.names[node]}' was freed by backward(); "
                                  "trace before calling backward(), or call backward(retain_graph=True)")
        out = node.data
        args = [p.data for p in node.parents]
        for i, parent in enumerate(node.parents):
            if not parent.requires_grad:
                continue
            local = node.vjp(i, _unit(out), args)
            contribution = node.vjp(i, g, args)
            previous = grads.get(parent)
            grads[parent] = contribution if previous is None else previous + contribution
            steps.append(TraceStep(len(steps) + 1, view.names[parent], view.names[node], node.op, g, local,
                                   contribution, grads[parent], parent.is_leaf, parent, node))
    return BackwardTrace(view.names[root], seed, steps)


def _unit(out):
    """A unit upstream gradient shaped like `out` (1.0 for a Value)."""
    return 1.0 if isinstance(out, float) else np.ones_like(out)
