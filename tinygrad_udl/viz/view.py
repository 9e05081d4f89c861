"""A graph prepared for display: nodes in a fixed order, each with a name, a kind and a module.

The order is the engine's topological order from the roots (`graph.toposort`, parents first,
parents visited in argument order), so it depends only on how the computation was written, never
on memory addresses: node ids `n0, n1, ...` are positions in it, and the same computation always
gives the same drawing and the same trace.
"""
from __future__ import annotations

from collections import Counter

from ..autograd.graph import Node, toposort
from ..autograd.value import Value
from .format import number
from .modules import module_classes, module_tag, parameter_names

# Node kinds, in the legend's order (docs/visualisation.md).
LEAF, PARAMETER, OPERATION, OUTPUT = "leaf", "parameter", "operation", "output"


def as_roots(root, caller) -> list:
    """`root` (a Value or Tensor, or a list/tuple of them) as a list, or a clear TypeError."""
    roots = list(root) if isinstance(root, list | tuple) else [root]
    for r in roots:
        if not isinstance(r, Node):
            raise TypeError(f"{caller}: expected a Value or a Tensor (the result of a computation), "
                            f"got {type(r).__name__}")
    if not roots:
        raise ValueError(f"{caller}: no output given")
    return roots


class GraphView:
    """`nodes` (topological order), `names`, `kinds` and `module_of` for the graph behind `roots`.

    Names: the node's own `.label`; else its parameter name (from `modules=` / `params=`); else, for
    an unlabelled Value leaf, its number (e.g. `Value(2.0)`); else the op name with a counter
    in topological order (`mul1`, `mul2`, ...), and `leaf1`, ... for tensor leaves that require
    grad, `const1`, ... for those that do not.
    """

    def __init__(self, roots, modules=None, params=None):
        self.roots = roots
        self.nodes = toposort(roots)
        self.index = {node: i for i, node in enumerate(self.nodes)}
        self.param_names = parameter_names(modules, params)
        self.module_classes = module_classes(modules)
        self.names = self._names()
        self.kinds = {node: self._kind(node) for node in self.nodes}
        self.module_of = {node: self._module(node) for node in self.nodes}

    def node_id(self, node) -> str:
        return f"n{self.index[node]}"

    def _names(self):
        counters = Counter()
        names = {}
        for node in self.nodes:
            name = node.label or self.param_names.get(node)
            if not name and node.is_leaf and isinstance(node, Value):
                name = number(node.data, 4)  # e.g. Value(2.0) (a plain 2 in 2 * x is no node)
            if not name:
                base = node.op or ("leaf" if node.requires_grad else "const")
                counters[base] += 1
                name = f"{base}{counters[base]}"
            names[node] = name
        return names

    def _kind(self, node):
        if any(node is r for r in self.roots):
            return OUTPUT
        if not node.is_leaf:
            return OPERATION
        # A leaf that gradients are taken for. Every Value carries a gradient, so Values count as
        # parameters only when named by params= / modules=.
        named = node in self.param_names
        if named or (node.requires_grad and not isinstance(node, Value)):
            return PARAMETER
        return LEAF

    def _module(self, node):
        """Qualified name of the module that owns `node` ('' for none)."""
        name = self.param_names.get(node)
        if name is None and self.kinds[node] == PARAMETER and node.label and "." in node.label:
            name = node.label  # nn.Module labels its parameters with their qualified names
        if name is not None:
            return name.rpartition(".")[0]
        tag = module_tag(node)
        if tag is None:
            return ""
        module, classes = tag
        if module not in self.module_classes:  # class names of the recorded model, once
            self.module_classes = {**classes, **self.module_classes}
        return module

    def class_of(self, module) -> str:
        return self.module_classes.get(module, "")
