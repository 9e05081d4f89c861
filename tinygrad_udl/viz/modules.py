"""Which `nn.Module` made which node: parameter names, and a recording of forward calls.

The engine does not know about modules (autograd sits below nn), so a drawing learns module
membership in one of two ways:

- parameters, from their qualified names (`fc1.weight` belongs to `fc1`): the names come from
  `modules=` / `params=` or from the `.label` that `Module` gives each parameter;
- operations, only from a recording: inside `with record_modules(model): out = model(x)` every
  sub-module's `forward` is wrapped, and when it returns, the nodes it created are tagged with the
  module's qualified name in a side table (weak references, so nothing is kept alive). Without a
  recording, operations belong to no module.

Everything here is duck-typed: a "module" is anything with `named_parameters()` (and, for nested
clusters and class names, `named_modules()`), so `nn.Module` and the zoo's `ScalarMLP` both work.
"""
from __future__ import annotations

import contextlib
import weakref
from collections.abc import Mapping

from ..autograd.graph import Node

# id(node) -> (weak reference to the node, qualified module name, {module name: class name}).
# Keyed by id because Tensor overrides ==; the weak reference both checks that the id still
# names the same node and removes the entry when the node dies. Values cannot be weakly
# referenced and are never tagged (nn.Module works on Tensors).
_TAGS: dict[int, tuple] = {}


def module_tag(node):
    """(module name, class names) recorded for `node` by `record_modules`, or None."""
    entry = _TAGS.get(id(node))
    if entry is None or entry[0]() is not node:
        return None
    return entry[1], entry[2]


def _set_tag(node, name, classes):
    key = id(node)

    def forget(ref, key=key):
        if _TAGS.get(key, (None,))[0] is ref:
            del _TAGS[key]

    try:
        ref = weakref.ref(node, forget)
    except TypeError:  # a Value: no weak references
        return
    _TAGS[key] = (ref, name, classes)


def _nodes_in(obj):
    """The graph nodes in a forward call's arguments or result (nested tuples, lists, dicts)."""
    if isinstance(obj, Node):
        yield obj
    elif isinstance(obj, Mapping):
        for v in obj.values():
            yield from _nodes_in(v)
    elif isinstance(obj, tuple | list):
        for v in obj:
            yield from _nodes_in(v)


def _tag_call(name, classes, inputs, outputs):
    """Tag the nodes that one call of module `name` created: everything reachable backwards from
    its outputs, stopping at its inputs and at nodes another module (not a sub-module) already owns.

    A sub-module's forward returns first, so its nodes already carry its (longer) name; the walk
    goes through them to reach what this module computed before calling it. A node tagged with
    this very name comes from an earlier call of the same module and ends the walk too.
    """
    stop = {id(n) for n in inputs}
    seen = set()
    stack = list(outputs)
    while stack:
        node = stack.pop()
        if id(node) in seen or id(node) in stop:
            continue
        seen.add(id(node))
        tag = module_tag(node)
        if tag is None:
            _set_tag(node, name, classes)
        elif not tag[0].startswith(name + "."):
            continue  # created before this call
        stack.extend(node.parents)


@contextlib.contextmanager
def record_modules(model):
    """Tag the nodes each sub-module of `model` creates while the block runs (for `draw_graph`).

        with record_modules(model):
            loss = loss_fn(model(x), y)
        draw_graph(loss)            # operations clustered by module, parameters by name

    Each sub-module's `forward` is wrapped for the duration of the block (calling the module calls
    `forward`, as in PyTorch) and restored afterwards, also on error. Nodes made by the model's own
    top-level `forward` stay outside every cluster: the whole graph is the model.
    """
    if not hasattr(model, "named_modules"):
        raise TypeError(f"record_modules: expected a module with named_modules() (an nn.Module), "
                        f"got {type(model).__name__}")
    named = [(name, m) for name, m in model.named_modules() if name]
    classes = {name: type(m).__name__ for name, m in named}
    wrapped = []
    try:
        for name, module in named:
            own = module.__dict__.get("forward")  # an instance attribute to put back, if any
            original = module.forward

            def forward(*args, _name=name, _original=original, **kwargs):
                out = _original(*args, **kwargs)
                _tag_call(_name, classes, _nodes_in((args, kwargs)), _nodes_in(out))
                return out

            object.__setattr__(module, "forward", forward)  # bypass Module.__setattr__'s registries
            wrapped.append((module, own))
        yield model
    finally:
        for module, own in reversed(wrapped):  # last wrapped first: a module listed twice ends unwrapped
            if own is None:
                del module.__dict__["forward"]
            else:
                module.__dict__["forward"] = own


def parameter_names(modules=None, params=None) -> dict:
    """{node: qualified name} from a module (`named_parameters()`) and/or `params` (a mapping
    name -> node or an iterable of (name, node) pairs, e.g. the toy model's `params`)."""
    names = {}
    if modules is not None:
        if not hasattr(modules, "named_parameters"):
            raise TypeError(f"modules= expects a module with named_parameters() (an nn.Module or a zoo model), "
                            f"got {type(modules).__name__}")
        names.update((p, n) for n, p in modules.named_parameters())
    if params is not None:
        pairs = params.items() if isinstance(params, Mapping) else params
        for pair in pairs:
            try:
                name, node = pair
            except (TypeError, ValueError):
                raise TypeError("params= expects a mapping name -> node or (name, node) pairs, got an item "
                                f"{pair!r:.60}") from None
            if not isinstance(node, Node):
                raise TypeError(f"params=: '{name}' is a {type(node).__name__}, not a Value or Tensor")
            names[node] = name
    return names


def module_classes(modules=None) -> dict:
    """{qualified module name: class name} of a module tree (empty without `named_modules()`)."""
    if modules is None or not hasattr(modules, "named_modules"):
        return {}
    return {name: type(m).__name__ for name, m in modules.named_modules() if name}
