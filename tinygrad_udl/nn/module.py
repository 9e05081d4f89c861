"""`Module` and `Parameter`: the containers every network of the book is built from.

A `Parameter` is a leaf `Tensor` that a `Module` registers when it is assigned as an attribute,
so that `model.parameters()` finds every weight Ω_k and bias β_k of eq. 4.15 without the user
listing them. The surface is PyTorch's (`parameters()`, `named_parameters()` with dotted names
such as `layers.1.weight`, `train()/eval()`, `state_dict()/load_state_dict()`), so a model can be
carried to PyTorch name for name and shape for shape.

Buffers (`register_buffer`) are arrays that belong to the model's state but are not trained,
such as BatchNorm's running statistics (section 11.4); they are saved in `state_dict()`.
"""
from __future__ import annotations

import collections

import numpy as np

from ..autograd.graph import no_grad
from ..autograd.tensor import Tensor, get_default_dtype
from ..serialization import MAX_BYTES
from ..serialization import load as _load_file
from ..serialization import save as _save_file


class Parameter(Tensor):
    """`Parameter(data, requires_grad=True, dtype=None)`: a trainable leaf tensor.

    Assigning one to an attribute of a `Module` registers it. The data is copied; Python data
    takes the default float dtype. Parameters are always leaves; optimizers update `.data` in
    place outside the graph. `.label` is set to the parameter's qualified name (e.g.
    `layers.0.weight`) the first time the module lists its parameters, for graph drawings.
    """

    __slots__ = ()  # Tensor uses __slots__; a Parameter is a Tensor with a different type only

    def __init__(self, data, requires_grad=True, dtype=None):
        if isinstance(data, Tensor):
            data = data.data  # a Parameter is always a leaf: drop any graph
        super().__init__(data, requires_grad=requires_grad, dtype=dtype)

    def __repr__(self):
        # Tensor's repr, renamed, with continuation lines re-aligned under the longer prefix.
        return "Parameter" + super().__repr__()[len("Tensor"):].replace("\n", "\n   ")


class StateDictError(ValueError):
    """A state dict that does not fit the model (missing or unexpected keys, shapes, dtypes)."""


IncompatibleKeys = collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def _check_name(name, what):
    if not isinstance(name, str) or not name or "." in name:
        raise KeyError(f"{what} name {name!r} must be a non-empty string without '.' "
                       "('.' separates the levels of qualified names such as 'layers.0.weight')")


def check_state_keys(state_dict, expected, strict):
    """`(missing, unexpected, problems)` of a state dict against the keys a model `expected`: what
    every `load_state_dict` checks first (with `strict`, missing or unexpected keys are problems)."""
    if not isinstance(state_dict, dict):
        raise StateDictError(f"load_state_dict: expected a dict of arrays, got {type(state_dict).__name__}")
    missing = sorted(expected - set(state_dict))
    unexpected = sorted(set(state_dict) - expected)
    problems = []
    if strict and missing:
        problems.append(f"missing keys: {', '.join(missing)}")
    if strict and unexpected:
        problems.append(f"unexpected keys: {', '.join(unexpected)}")
    return missing, unexpected, problems


class Module:
    """Base class of every layer and model.

    Subclasses call `super().__init__()` first, assign `Parameter`s, sub-`Module`s and buffers as
    attributes, and define `forward(...)`; calling the module runs `forward`.

        class TwoLayer(Module):
            def __init__(self):
                super().__init__()
                self.fc1 = Linear(10, 40)
                self.fc2 = Linear(40, 5)

            def forward(self, x):
                return self.fc2(self.fc1(x).relu())
    """

    def __init__(self):
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_labelled", False)

    # ---- registration -----------------------------------------------------------------------------

    def _registry(self, what):
        try:
            return object.__getattribute__(self, what)
        except AttributeError:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() at the start of __init__, "
                                 "before assigning parameters or sub-modules") from None

    def __setattr__(self, name, value):
        params, buffers, modules = self._registry("_parameters"), self._buffers, self._modules
        if isinstance(value, Parameter):
            self._forget(name, keep=params)
            params[name] = value
        elif isinstance(value, Module):
            self._forget(name, keep=modules)
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(f"{type(self).__name__}.{name} is a Parameter; assign a Parameter (nn.Parameter(...)) "
                                f"or None, not {type(value).__name__}. To change its values, assign to .{name}.data")
            params[name] = None
        elif name in modules:
            if value is not None:
                raise TypeError(f"{type(self).__name__}.{name} is a sub-module; assign a Module or None, "
                                f"not {type(value).__name__}")
            modules[name] = None
        elif name in buffers:
            buffers[name] = self._buffer_array(name, value)
        else:
            object.__setattr__(self, name, value)
        if name in params or name in modules:
            object.__setattr__(self, "_labelled", False)

    def _forget(self, name, keep=None):
        """Drop `name` from every registry but `keep` (so a replaced entry keeps its place)."""
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        self._non_persistent.discard(name)
        self.__dict__.pop(name, None)

    def __getattr__(self, name):  # only called when normal lookup fails
        for registry in ("_parameters", "_buffers", "_modules"):
            entries = self.__dict__.get(registry)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))

    def register_parameter(self, name, param):
        """Register `param` (a Parameter or None) under `name`, as assigning `self.name = param` does."""
        _check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter('{name}'): expected a Parameter or None, got {type(param).__name__}")
        self._forget(name, keep=self._registry("_parameters"))
        self._parameters[name] = param
        object.__setattr__(self, "_labelled", False)

    def add_module(self, name, module):
        """Register `module` (a Module or None) under `name`."""
        _check_name(name, "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module('{name}'): expected a Module or None, got {type(module).__name__}")
        self._forget(name, keep=self._registry("_modules"))
        self._modules[name] = module
        object.__setattr__(self, "_labelled", False)

    def register_buffer(self, name, array, persistent=True):
        """Register a non-trained array (e.g. BatchNorm's running mean) under `name`.

        It is saved by `state_dict()` unless `persistent=False`, and converted by `to(dtype)` if it
        is a float array. Reassigning `self.name = new_array` later keeps it a buffer. Buffers are
        stored as numpy arrays (outside the graph); a Tensor given here is stored as its data.
        """
        _check_name(name, "buffer")
        self._forget(name, keep=self._registry("_buffers"))
        self._buffers[name] = self._buffer_array(name, array)
        if not persistent:
            self._non_persistent.add(name)

    def _buffer_array(self, name, value):
        if value is None:
            return None
        if isinstance(value, Tensor):
            value = value.data
        array = np.array(value)  # a copy: the module owns its state
        if array.dtype.kind not in "biuf":
            raise TypeError(f"buffer '{name}': expected numbers, got {array.dtype}")
        return array

    # ---- running ----------------------------------------------------------------------------------

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward(); subclasses of Module must")

    def __call__(self, *args, **kwargs):
        if not self._labelled:
            self._label_parameters()
        return self.forward(*args, **kwargs)

    def _label_parameters(self):
        """Give every parameter its qualified name as `.label` (shown by graph drawings).

        A label the user set is kept; a name found from higher up the tree (more qualified, e.g.
        `fc1.weight` over `weight`) replaces a shorter one this method set earlier.
        """
        for name, p in self._named_members("_parameters", "", True):
            if p.label is None or (name != p.label and name.endswith("." + p.label)):
                p.label = name
        object.__setattr__(self, "_labelled", True)

    def train(self, mode=True):
        """Training mode (dropout active, BatchNorm uses batch statistics), recursively; returns self."""
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self):
        """Evaluation mode (`train(False)`): dropout off, BatchNorm uses its running statistics."""
        return self.train(False)

    # ---- traversal --------------------------------------------------------------------------------

    def named_modules(self, prefix=""):
        """(qualified name, module) for this module ('' for itself) and every descendant, once each."""
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{n}" if name else n, m) for n, m in module._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_children(self):
        """(name, module) for the direct sub-modules."""
        return ((n, m) for n, m in self._modules.items() if m is not None)

    def children(self):
        return (m for _, m in self.named_children())

    def _named_members(self, registry, prefix, recurse):
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, member in getattr(module, registry).items():
                if member is None or id(member) in seen:
                    continue
                seen.add(id(member))  # a shared (tied) member is listed once, under its first name
                yield (f"{module_name}.{name}" if module_name else name), member

    def named_parameters(self, prefix="", recurse=True):
        """(qualified name, Parameter) pairs, e.g. ('layers.1.weight', W); shared parameters once."""
        if not self._labelled:
            self._label_parameters()
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse=True):
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix="", recurse=True):
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse=True):
        return (b for _, b in self.named_buffers(recurse=recurse))

    def apply(self, fn):
        """Call `fn(module)` on every sub-module and then on self (e.g. to initialise); returns self."""
        for module in list(self.modules())[::-1]:
            fn(module)
        return self

    # ---- parameters as a whole --------------------------------------------------------------------

    def num_parameters(self, trainable_only=False):
        """How many numbers the model learns (shared parameters counted once)."""
        return sum(p.size for p in self.parameters() if p.requires_grad or not trainable_only)

    def zero_grad(self):
        """Clear every parameter's gradient (set to None): leaf gradients accumulate across backward()."""
        for p in self.parameters():
            p.grad = None

    def requires_grad_(self, requires_grad=True):
        """Freeze (False) or unfreeze every parameter, e.g. a pretrained body (section 9.3.6); returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def to(self, dtype):
        """Convert every floating-point parameter and buffer to `dtype` (in place); returns self.

        `model.to(np.float64)` is what gradient checks and fig. 7.7's deep network need.
        """
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"to(): {dtype} is not a floating-point dtype; use float32 or float64")
        with no_grad():
            for p in self.parameters():
                if p.dtype != dtype:
                    p.data = p.data.astype(dtype)
                    p.grad = None
            for module in self.modules():
                for name, b in module._buffers.items():
                    if b is not None and b.dtype.kind == "f":
                        module._buffers[name] = b.astype(dtype)
        return self

    def double(self):
        return self.to(np.float64)

    def float(self):
        return self.to(np.float32)

    # ---- state ------------------------------------------------------------------------------------

    def _state_entries(self):
        """(name, owning module, local name, kind) for every parameter and persistent buffer."""
        entries = []
        seen = set()
        for module_name, module in self.named_modules():
            for kind, registry in (("parameter", module._parameters), ("buffer", module._buffers)):
                for name, value in registry.items():
                    if value is None or name in module._non_persistent or id(value) in seen:
                        continue
                    seen.add(id(value))
                    entries.append((f"{module_name}.{name}" if module_name else name, module, name, kind))
        return entries

    def state_dict(self):
        """A flat dict 'qualified.name' -> numpy array (a copy) of every parameter and persistent buffer."""
        out = {}
        for key, module, name, kind in self._state_entries():
            value = module._parameters[name] if kind == "parameter" else module._buffers[name]
            out[key] = np.array(value.data if isinstance(value, Tensor) else value, copy=True)
        return out

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays from `state_dict` into the parameters and buffers with the same names.

        Everything is checked before anything is assigned, so a failed load leaves the model
        unchanged: with `strict=True` every key must match; shapes and dtypes must always match.
        Returns `(missing_keys, unexpected_keys)` (useful with `strict=False`).
        """
        entries = self._state_entries()
        missing, unexpected, problems = check_state_keys(state_dict, {key for key, *_ in entries}, strict)
        updates = []
        for key, module, name, kind in entries:
            if key not in state_dict:
                continue
            current = module._parameters[name].data if kind == "parameter" else module._buffers[name]
            value = state_dict[key]
            array = value.data if isinstance(value, Tensor) else np.asarray(value)
            if array.shape != current.shape:
                problems.append(f"'{key}': shape {array.shape} in the state dict, {current.shape} in the model")
            elif array.dtype != current.dtype:
                problems.append(f"'{key}': dtype {array.dtype} in the state dict, {current.dtype} in the model "
                                f"(convert the model with .to(dtype) or the array with .astype)")
            else:
                updates.append((module, name, kind, np.array(array, copy=True)))
        if problems:
            raise StateDictError(f"load_state_dict into {type(self).__name__}: nothing was loaded, because\n  "
                                 + "\n  ".join(problems))
        for module, name, kind, array in updates:
            if kind == "parameter":
                module._parameters[name].data = array
                module._parameters[name]._bump_version()
            else:
                module._buffers[name] = array
        return IncompatibleKeys(missing, unexpected)

    def save(self, path):
        """Write `state_dict()` to `path` (.npz, atomically; see tinygrad_udl.save)."""
        _save_file(self.state_dict(), path)

    def load(self, path, strict=True, max_bytes=MAX_BYTES):
        """Load a file written by `save` into this model (pickled content, damaged files and files
        declaring more than `max_bytes` bytes are refused; see tinygrad_udl.load); returns self."""
        self.load_state_dict(_load_file(path, max_bytes=max_bytes), strict=strict)
        return self

    # ---- printing ---------------------------------------------------------------------------------

    def extra_repr(self):
        """One line of settings shown inside the module's repr (layers override it)."""
        return ""

    def __repr__(self):
        count = self.num_parameters()
        head = f"{type(self).__name__}({self.extra_repr()}"
        children = list(self.named_children())
        if not children:
            return head + ")" + (f"  # {count:,} parameter" + ("" if count == 1 else "s") if count else "")
        lines = [head + f"  # {count:,} parameter" + ("" if count == 1 else "s")]
        for name, child in children:
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        return "\n".join(lines) + "\n)"

    # ---- summary (text, and a table in notebooks) -------------------------------------------------

    SUMMARY_COLUMNS = ("module", "type", "settings", "parameter shapes", "parameters")

    def _summary_rows(self):
        """One row per module (self first): qualified name indented by depth, class, extra_repr,
        the shapes of its own parameters, and how many numbers they hold (a parameter shared by
        several modules is counted at its first one, so the column adds up to num_parameters())."""
        seen = set()
        rows = []
        for name, module in self.named_modules():
            shapes, count = [], 0
            for pname, p in module._parameters.items():
                if p is None:
                    continue
                shapes.append(f"{pname} {tuple(p.shape)}")
                if id(p) not in seen:
                    seen.add(id(p))
                    count += p.size
            depth = name.count(".") + 1 if name else 0
            rows.append(("  " * depth + (name or type(self).__name__), type(module).__name__, module.extra_repr(),
                         ", ".join(shapes), f"{count:,}" if shapes else ""))
        return rows

    def _summary_title(self):
        total, trainable = self.num_parameters(), self.num_parameters(trainable_only=True)
        frozen = "" if trainable == total else f", {total - trainable:,} frozen"
        return f"{type(self).__name__}: {total:,} parameter{'' if total == 1 else 's'}{frozen}"

    def summary(self) -> str:
        """A text table of the model: every sub-module with its class, settings, parameter shapes
        and parameter count, and the total (what a notebook shows as HTML)."""
        rows = [self.SUMMARY_COLUMNS] + self._summary_rows()
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = [self._summary_title()]
        for i, r in enumerate(rows):
            lines.append("  ".join(c.rjust(w) if k == 4 else c.ljust(w) for k, (c, w) in
                                   enumerate(zip(r, widths))).rstrip())
            if i == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)

    SUMMARY_HTML_ROWS = 200  # larger models are cut (with a note) in the notebook table

    def _repr_html_(self):
        from ..viz.display import esc, html_table

        rows = self._summary_rows()
        note = ""
        if len(rows) > self.SUMMARY_HTML_ROWS:
            note = f"<p>(first {self.SUMMARY_HTML_ROWS} of {len(rows)} modules; model.summary() lists all)</p>"
            rows = rows[:self.SUMMARY_HTML_ROWS]
        rows = [(r[0].replace("  ", "\u2003"),) + r[1:] for r in rows]  # indentation that HTML keeps
        return (f'<div class="tg-module"><p><b>{esc(self._summary_title())}</b></p>'
                + html_table(self.SUMMARY_COLUMNS, rows, numeric=(4,), css_class="tg-table tg-module-summary")
                + note + "</div>")


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: sub-modules named '0', '1', ... kept in order."""

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self._slice(list(self._modules.items())[index])
        modules = list(self._modules.values())
        return modules[_list_index(index, len(modules), type(self).__name__)]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self)), _as_module(module, len(self)))
        return self


class Sequential(_ModuleSequence):
    """`Sequential(m0, m1, ...)`: apply the modules in order (names '0', '1', ..., as PyTorch).

    Also accepts a dict of name -> module. `Sequential(Linear(10, 40), ReLU(), Linear(40, 5))`
    is the network of fig. 7.8.
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], dict):
            for name, module in modules[0].items():
                self.add_module(name, _as_module(module, name))
        else:
            for i, module in enumerate(modules):
                self.add_module(str(i), _as_module(module, i))

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x

    @staticmethod
    def _slice(items):
        return Sequential(dict(items))


class ModuleList(_ModuleSequence):
    """A list of modules that are registered (so their parameters are found); no forward."""

    def __init__(self, modules=()):
        super().__init__()
        self.extend(modules)

    @staticmethod
    def _slice(items):
        return ModuleList([module for _, module in items])

    def __setitem__(self, index, module):
        index = _list_index(index, len(self), "ModuleList")
        self.add_module(str(index), _as_module(module, index))

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleList has no forward(): iterate over it in the parent's forward")


class ModuleDict(Module):
    """A dict of name -> module that are registered (so their parameters are found); no forward."""

    def __init__(self, modules=None):
        super().__init__()
        for name, module in dict(modules or {}).items():
            self[name] = module

    def __getitem__(self, name):
        if name not in self._modules:
            raise KeyError(f"ModuleDict has no module '{name}' (it has: {', '.join(self._modules) or 'none'})")
        return self._modules[name]

    def __setitem__(self, name, module):
        self.add_module(name, _as_module(module, name))

    def __delitem__(self, name):
        del self._modules[name]

    def __contains__(self, name):
        return name in self._modules

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleDict has no forward(): look modules up by name in the parent's forward")


def _as_module(module, where):
    if not isinstance(module, Module):
        raise TypeError(f"entry {where!r}: expected a Module, got {type(module).__name__}"
                        + (" (wrap a function with nn.Lambda(fn))" if callable(module) else ""))
    return module


def _list_index(index, length, owner):
    if not isinstance(index, int | np.integer):
        raise TypeError(f"{owner} indices must be integers or slices, not {type(index).__name__}")
    if not -length <= index < length:
        raise IndexError(f"{owner} index {index} is out of range for {length} module(s)")
    return int(index) % length


def default_float_dtype(dtype):
    """The dtype a layer's parameters get: `dtype` if given, else the library's default float dtype."""
    return get_default_dtype() if dtype is None else np.dtype(dtype)
