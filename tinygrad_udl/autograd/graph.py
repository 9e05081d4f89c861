"""The graph core shared by `Value` and `Tensor`.

A node remembers the primitive that made it (`_rule`), its parent nodes (`_parents`) and the
non-differentiable arguments of the call (`_ctx`, e.g. an axis). Everything else here walks that
structure: the iterative topological order, the backward driver (the chain rule of section 7.3,
with gradients summed where a value has several consumers, eqs. 7.42-7.44) and the grad mode
(`no_grad`, `enable_grad`).

The driver runs each primitive's vector-Jacobian products from `rules.py` in one of two modes:

- *raw* (the usual case): on plain floats / numpy arrays, no nodes are made;
- *create_graph=True*: on the nodes themselves with recording on, so the gradients are nodes with
  graphs of their own and can be differentiated again (Hessians, WGAN-GP penalties).

The same rule serves both because every VJP is written against a namespace `o` of operations
(`o.cos`, `o.unbroadcast`, ...) that exists for floats, arrays, Values and Tensors.
"""
from __future__ import annotations

import contextlib
import gc
import threading

import numpy as np

# A node's `_ctx` after backward() has released it; a second backward through it is an error.
FREED = object()
# The `_ctx` of a Value computed under no_grad(): a constant, which backward() refuses to start
# from (every Value requires grad, so only this mark tells it from a leaf made on purpose).
UNRECORDED = object()

# Recording hook for `tinygrad_udl.compile` (tinygrad_udl/compile/): None except while a compiled
# function is being traced, when it is the tracer, which records `zero_grad` and runs backward
# itself (recording every VJP call). One `is not None` test per call of these two functions.
_recorder = None


class _GradMode(threading.local):
    enabled = True


_mode = _GradMode()


def is_grad_enabled() -> bool:
    """Whether operations are recorded for backward right now."""
    return _mode.enabled


class _SetGradMode(contextlib.ContextDecorator):
    """Context manager (and decorator) that sets the grad mode and restores the previous one."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __enter__(self):
        self.prev = _mode.enabled
        _mode.enabled = self.enabled

    def __exit__(self, *exc):
        _mode.enabled = self.prev
        return False


def no_grad():
    """Record nothing inside: results are constants (cheaper, and gradients cannot flow through)."""
    return _SetGradMode(False)


def enable_grad():
    """Record operations again, e.g. inside a `no_grad()` block."""
    return _SetGradMode(True)


class Node:
    """Bookkeeping common to `Value` and `Tensor` (subclasses add storage and maths).

    What the backward driver relies on, and every subclass provides:

    - `data`: the raw value (float or array); `requires_grad`: whether gradients flow into it;
    - `_parents`, `_rule`, `_ctx`: the inputs, primitive and parameters of the call that made it;
    - `_hooks` (functions applied to its gradient, or None) and `_run_hooks(g)`;
    - `_retains_grad` (a non-leaf keeps `.grad`) and `_accumulate_grad(g)`;
    - `_version` (bumped by each in-place write through the library) and `_saved_version` (the
      versions of its inputs and itself when it was recorded, or None: nothing to check);
    - `_raw_ops` / `_node_ops`: the namespaces its VJPs run on without / with create_graph.

    Code outside the engine (drawings, the gradient checker) reads a node through the public,
    read-only `op`, `rule`, `parents`, `params` and `is_leaf`.
    """

    __slots__ = ("_parents", "_rule", "_ctx")

    # Plain attributes, not methods, because the backward driver reads them once per node.
    _raw_ops = None
    _node_ops = None
    _version = 0
    _saved_version = None
    data: object
    requires_grad: bool
    _hooks: list | None
    _retains_grad: bool

    @property
    def is_leaf(self) -> bool:
        return self._rule is None

    @property
    def op(self) -> str:
        """Name of the primitive that produced this node ('' for a leaf)."""
        return "" if self._rule is None else self._rule.name

    @property
    def rule(self):
        """The primitive that produced this node (None for a leaf)."""
        return self._rule

    @property
    def parents(self) -> tuple:
        """The nodes this one was computed from (empty for a leaf)."""
        return tuple(self._parents)

    @property
    def params(self):
        """The non-differentiable arguments of the call that made this node (a dict; empty when
        there are none), or `FREED` once backward() has released the graph."""
        ctx = self._ctx
        return ctx if ctx is FREED else dict(ctx or {}) if ctx is not UNRECORDED else {}

    @property
    def freed(self) -> bool:
        """Whether backward() released this node's graph (a second backward through it fails)."""
        return self._ctx is FREED

    def recompute(self, *args):
        """This node's primitive run forward again on raw inputs `args`, with the node's parameters."""
        return self._rule.forward(self._raw_ops, *args, **(self._ctx or {}))

    def vjp(self, i, g, args=None):
        """The gradient that input `i` receives for an upstream gradient `g`, computed on raw values
        (nothing recorded) at the recorded inputs, or at raw inputs `args`."""
        if args is None:
            args = [p.data for p in self._parents]
        return input_gradient(self._rule, self._raw_ops, g, self.data, args, self._ctx, i)


def toposort(roots) -> list:
    """All nodes reachable from `roots`, every node after its parents (iterative post-order DFS).

    Iterative so that a chain of a million nodes needs no recursion (micrograd's RecursionError).
    A node is pushed, then on its first pop pushed again under a marker (`None`) and followed by
    its parents: when the marker comes off the stack all its parents are out, so the node goes
    next (the order of a recursive DFS that visits parents first to last). Nodes hash by identity,
    so they serve directly as set members and dict keys here.
    """
    order, seen = [], set()
    emit, mark = order.append, seen.add
    for root in roots:
        stack = [root]
        push, pop = stack.append, stack.pop
        while stack:
            node = pop()
            if node is None:       # the marker: the node under it has all its parents placed
                emit(pop())
            elif node not in seen:
                mark(node)
                push(node)
                push(None)
                for p in reversed(node._parents):   # the first parent comes off first
                    if p not in seen:
                        push(p)
    return order


class GraphFreedError(RuntimeError):
    """backward() through a graph that an earlier backward() released."""


class ModifiedInPlaceError(RuntimeError):
    """backward() through a node whose inputs or output were changed in place after the forward pass."""


def version_sum(nodes):
    """The sum of the nodes' version counters. Counters only grow, so the sum over a node's inputs
    changes exactly when one of them was written in place: one number per node records all of them."""
    if len(nodes) == 1:
        return nodes[0]._version
    if len(nodes) == 2:
        return nodes[0]._version + nodes[1]._version
    return sum(t._version for t in nodes)


def _check_versions(node, rule):
    if node._version + version_sum(node._parents) != node._saved_version:
        names = ", ".join(repr(p.label) if p.label else f"input {i}" for i, p in enumerate(node._parents))
        raise ModifiedInPlaceError(
            f"backward() through '{rule.name}': one of its inputs ({names}) or its output was changed in place "
            "(add_, zero_, copy_, an optimizer step, load_state_dict, ...) after the forward pass, so the "
            "gradient would be computed from the new values. Run the forward pass again after the change, or make "
            "the change after backward(). (Writes to `.data` itself are not tracked: see docs/reliability.md.)")


def zero_grad(nodes):
    """Clear the gradients of `nodes` (Values to 0.0, Tensors to None): leaf gradients accumulate
    across backward() calls, as in PyTorch, so a training loop clears them before each step."""
    if _recorder is not None:   # compile: tracing records this as an effect of the step
        _recorder.zero_grad(nodes)
    for node in nodes:
        node.grad = node._cleared_grad


def input_gradient(rule, ops, g, out, args, ctx, i):
    """The gradient that input `i` of a node receives: its primitive's VJP for that input, with
    the node's non-differentiable arguments `ctx`; variadic rules are told the index, and results
    of broadcasting rules are summed back to the input's shape. (Also used by gradcheck and viz.)"""
    if rule.variadic:
        contrib = rule.vjps[0](ops, g, out, args, index=i, **(ctx or {}))
    elif ctx is None:
        contrib = rule.vjps[i](ops, g, out, *args)
    else:
        contrib = rule.vjps[i](ops, g, out, *args, **ctx)
    if rule.broadcasting and ops.unbroadcast is not None:
        contrib = ops.unbroadcast(contrib, args[i])
    return contrib


def _ieee_gradient(rule, g, out, args, ctx, i):
    """A scalar VJP that divided by zero (d sqrt(x)/dx at x = 0, d log(x)/dx at 0), recomputed in
    IEEE arithmetic: inf or nan, as the tensor engine gives, instead of Python's ZeroDivisionError.
    One policy for both engines: at the edge of a domain the gradient is IEEE's answer."""
    from .backends import ArrayMath
    with np.errstate(all="ignore"):
        contrib = input_gradient(rule, ArrayMath, np.float64(g), np.float64(out), [np.float64(a) for a in args],
                                 ctx, i)
    return float(contrib)


def run_backward(roots, seeds, *, retain_graph=False, create_graph=False, inputs=None):
    """Reverse-mode sweep from `roots` (seeded with `seeds`, the upstream gradients).

    With `inputs=None` the gradients are accumulated into `.grad` of every node that keeps one
    (leaves; all Values; tensors after `retain_grad()`), as PyTorch does. With `inputs`
    (a sequence of nodes) nothing is accumulated and their gradients are returned in order
    (None for an input the roots do not depend on) -- the functional `grad()`.
    """
    # The sweep makes no reference cycles, so the cyclic garbage collector has nothing to find in
    # it; left on, its collections (triggered by the many small allocations) walk the whole graph
    # again and again -- about a third of a scalar MLP step (docs/performance.md). The collector
    # is one switch for the whole process: with several threads in backward() at once, the first
    # to start turns it off and the last to finish restores it (a count under a lock).
    if _recorder is not None:   # compile: the tracer's sweep records the VJP calls as it runs them
        handled = _recorder.backward(roots, seeds, retain_graph, create_graph, inputs)
        if handled is not None:
            return handled
    _pause_collector()
    try:
        return _sweep(roots, seeds, retain_graph, create_graph, inputs)
    finally:
        _resume_collector()


class _Collector:
    lock = threading.Lock()
    sweeps = 0            # backward sweeps running now, in all threads
    was_enabled = False   # the collector's state before the first of them started


def _pause_collector():
    with _Collector.lock:
        if _Collector.sweeps == 0:
            _Collector.was_enabled = gc.isenabled()
            gc.disable()
        _Collector.sweeps += 1


def _resume_collector():
    with _Collector.lock:
        _Collector.sweeps -= 1
        if _Collector.sweeps == 0 and _Collector.was_enabled:
            gc.enable()


def _sweep(roots, seeds, retain_graph, create_graph, inputs):
    order = toposort(roots)
    grads = {}
    for root, seed in zip(roots, seeds):
        grads[root] = seed if root not in grads else grads[root] + seed
    wanted = None if inputs is None else {x: i for i, x in enumerate(inputs)}
    results = [None] * (0 if inputs is None else len(inputs))
    take, look = grads.pop, grads.get
    previous_mode, _mode.enabled = _mode.enabled, create_graph
    try:
        for node in reversed(order):
            g = take(node, None)
            if g is None:
                continue
            if node._hooks:
                g = node._run_hooks(g)
            rule = node._rule
            if wanted is None:
                if rule is None or node._retains_grad:
                    node._accumulate_grad(g)
            elif node in wanted:
                results[wanted[node]] = g
            if rule is None:
                continue
            ctx = node._ctx
            if ctx is FREED:
                raise GraphFreedError(
                    f"backward() through '{rule.name}' a second time: its graph was freed by the first "
                    "backward(). Pass retain_graph=True to the first call if you need to go through the "
                    "graph again, or recompute the forward pass.")
            parents = node._parents
            if node._saved_version is not None:
                _check_versions(node, rule)
            if create_graph:
                ops, out, args = node._node_ops, node, parents
            else:
                ops, out = node._raw_ops, node.data
                # (one- and two-input nodes spelled out: a comprehension is a function call in CPython 3.11)
                if len(parents) == 1:
                    args = [parents[0].data]
                elif len(parents) == 2:
                    args = [parents[0].data, parents[1].data]
                else:
                    args = [p.data for p in parents]
            # Every edge but those of variadic rules is computed here directly, as `input_gradient`
            # would: this loop runs once per edge, and one function call less shows.
            vjps = None if rule.variadic else rule.vjps
            unbroadcast = ops.unbroadcast if rule.broadcasting else None
            for i, parent in enumerate(parents):
                if not parent.requires_grad:
                    continue
                try:
                    if vjps is None:
                        contrib = input_gradient(rule, ops, g, out, args, ctx, i)
                    else:
                        contrib = vjps[i](ops, g, out, *args) if ctx is None else vjps[i](ops, g, out, *args, **ctx)
                        if unbroadcast is not None:
                            contrib = unbroadcast(contrib, args[i])
                except ZeroDivisionError:   # Python floats (the scalar engine) at a domain edge
                    contrib = _ieee_gradient(rule, g, out, args, ctx, i)
                prev = look(parent)
                grads[parent] = contrib if prev is None else prev + contrib
            if not retain_graph:
                node._ctx = FREED
    finally:
        _mode.enabled = previous_mode
    return results
