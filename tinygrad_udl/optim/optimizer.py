"""`Optimizer`: what every update rule of chapter 6 shares (PyTorch's `torch.optim.Optimizer` layout).

- **Parameter groups.** `param_groups` is a list of dicts, each holding `"params"` (a list of
  Tensors) and that group's hyperparameters (`lr`, `momentum`, ...), so that, e.g., biases can be
  exempted from weight decay (section 9.1: L2 "usually applied to weights, not biases").
- **Per-parameter state.** `state[p]` holds what a rule carries from step to step (momentum m,
  Adam's m and v, a step count). It is created at a parameter's first update.
- **In-place updates.** `step()` writes into `p.data` in place, so every module holding the
  parameter sees the new value. Gradient arrays are shared and read-only: they are never modified;
  a parameter whose `.grad` is None is skipped (and gets no state).
- **State dicts of plain numbers.** `state_dict()` is a nested dict of arrays and numbers only
  (`tinygrad_udl.save` writes it as .npz): hyperparameters per group, parameters referred to by
  their index in group order, state by that index. Each group also lists `with_state`, the
  parameters that have state, so that a state dict missing part of its state (an interrupted save)
  cannot pass for a fresh optimizer's. `load_state_dict()` checks everything (group count,
  parameter count, hyperparameter names, which state is present, state names and shapes) before
  changing anything, so a mismatch or a missing part is a clear error, never a partial load.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ..autograd.graph import enable_grad, zero_grad
from ..autograd.tensor import Tensor


def check_number(owner: str, name: str, value, *, minimum=None, maximum=None, below=None, note=""):
    """Raise a clear error unless `value` is a finite real number in the stated range.

    `maximum` is inclusive, `below` exclusive; `note` says where the constraint comes from.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a number, got {type(value).__name__} {value!r}")
    bounds = []
    if minimum is not None:
        bounds.append(f">= {minimum}")
    if maximum is not None:
        bounds.append(f"<= {maximum}")
    if below is not None:
        bounds.append(f"< {below}")
    if (not math.isfinite(value) or (minimum is not None and value < minimum)
            or (maximum is not None and value > maximum) or (below is not None and value >= below)):
        rule = " and ".join(["finite"] + bounds)
        raise ValueError(f"{owner}: {name} must be {rule}{note}, got {value!r}")


def add_l2(grad, p, weight_decay):
    """PyTorch's `weight_decay`: g + wd·φ, the gradient of the L2 penalty (wd/2)‖φ‖² added to g
    (a new array: gradients are read-only)."""
    return grad + weight_decay * p.data if weight_decay else grad


def check_flag(owner: str, name: str, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be True or False, got {value!r}")


class Optimizer:
    """Base class: parameter groups, per-parameter state, `zero_grad()`, `step()`, state dicts.

    A subclass passes its hyperparameter defaults to `__init__` and implements
    `_check_group(group)` (validate one group's hyperparameters), `_init_state(p, group)` (the
    fresh state of one parameter: arrays and Python numbers) and `_update(p, grad, group)` (one
    parameter's update, in place, from the read-only gradient array `grad`).
    """

    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        self.state = {}
        self.param_groups = []
        self._scratch = {}   # dtype -> a flat array for `_scaled` (not state: never saved)
        for group in _as_groups(params, self._name()):
            self.add_param_group(group)

    def _name(self) -> str:
        return type(self).__name__

    # ---- parameter groups ------------------------------------------------------------------------

    def add_param_group(self, group: dict):
        """Add a group `{"params": [...], hyperparameter: value, ...}`; missing hyperparameters take
        the optimizer's defaults (e.g. fine-tune a new head with its own `lr`)."""
        name = self._name()
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{name}: a parameter group must be a dict with a 'params' entry, got {group!r:.80}")
        unknown = sorted(set(group) - set(self.defaults) - {"params"})
        if unknown:
            raise ValueError(f"{name}: unknown hyperparameter(s) {unknown} in a parameter group; "
                             f"{name} has {sorted(self.defaults)}")
        params = as_param_list(group["params"], name)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for p in params:
            if id(p) in seen:
                raise ValueError(f"{name}: a parameter appears in more than one place (shape {p.shape}, "
                                 f"label {p.label!r}); each parameter may belong to one group only, once")
            seen.add(id(p))
        full = {**self.defaults, **group, "params": params}
        self._check_group(full)
        self.param_groups.append(full)

    def _params(self):
        """All parameters, in group order (their index in a state dict)."""
        return [p for group in self.param_groups for p in group["params"]]

    # ---- the training-loop API -------------------------------------------------------------------

    def zero_grad(self, set_to_none: bool = True):
        """Clear the gradients (they accumulate across backward() calls, as in PyTorch).

        `set_to_none=False` replaces existing gradients by new zero arrays instead of None.
        """
        params = self._params()
        if set_to_none:
            zero_grad(params)
            return
        for p in params:
            if p.grad is not None:
                p.grad = Tensor(np.zeros_like(p.data))

    def step(self, closure=None):
        """Update every parameter that has a gradient. `closure`, if given, is called first (with
        grad mode on) and its result -- usually the loss -- is returned, as in PyTorch."""
        loss = self._evaluate(closure)
        self._update_all()
        return loss

    @staticmethod
    def _evaluate(closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def _update_all(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad.data
                if grad.shape != p.shape:
                    raise ValueError(f"{self._name()}.step(): a parameter of shape {p.shape} (label {p.label!r}) "
                                     f"has a gradient of shape {grad.shape}; they must match")
                self._update(p, grad, group)
                p._bump_version()   # a graph recorded with the old value must not run backward

    def _state(self, p, group):
        """`(state, is_new)`: the parameter's state, created by `_init_state` at its first update."""
        state = self.state.get(p)
        if state is None:
            state = self.state[p] = self._init_state(p, group)
            return state, True
        return state, False

    def _scaled(self, c, a):
        """`c * a` for an update such as `p.data -= lr * grad`: when `c` is a Python number, the
        same product numpy would make, written into a scratch array of this optimizer (one per
        dtype, as large as its largest parameter) instead of a new one, so a step allocates
        nothing. The result is only valid until the next call."""
        if type(c) not in (float, int) or a.dtype.kind != "f":
            return c * a
        flat = self._scratch.get(a.dtype)
        if flat is None or flat.size < a.size:
            flat = self._scratch[a.dtype] = np.empty(a.size, a.dtype)
        return np.multiply(a, c, out=flat[:a.size].reshape(a.shape))

    # ---- hooks for subclasses ----------------------------------------------------------------------

    def _check_group(self, group: dict):
        check_number(self._name(), "lr", group["lr"], minimum=0.0)

    def _init_state(self, p, group: dict) -> dict:
        return {}

    def _update(self, p, grad, group: dict):
        raise NotImplementedError

    def _options(self) -> dict:
        """Constructor-level conventions (e.g. SGD's style) that give the state its meaning. They are
        saved as numbers / flags and must match on load (they are not hyperparameters to overwrite)."""
        return {}

    # ---- state dicts -------------------------------------------------------------------------------

    def state_dict(self) -> dict:
        """A snapshot of the optimizer as nested dicts of arrays and numbers:
        `{"param_groups": {"0": {hyper: value, "params": int array, "with_state": int array}},
        "state": {"<index>": {...}}, "options": {...}}`; parameters are referred to by their index
        in group order, and `with_state` lists those of the group that have state."""
        index = {id(p): i for i, p in enumerate(self._params())}
        stateful = {id(p) for p, s in self.state.items() if s}
        groups = {}
        for g, group in enumerate(self.param_groups):
            entry = {k: v for k, v in group.items() if k != "params"}
            entry["params"] = np.array([index[id(p)] for p in group["params"]], dtype=np.int64)
            entry["with_state"] = np.array([index[id(p)] for p in group["params"] if id(p) in stateful], dtype=np.int64)
            groups[str(g)] = entry
        state = {str(index[id(p)]): {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()}
                 for p, s in self.state.items() if s}
        out = {"param_groups": groups, "state": state}
        if self._options():
            out["options"] = self._options()
        return out

    def load_state_dict(self, state_dict: dict):
        """Restore a `state_dict()` (nested, or flat with '.'-joined keys as `tinygrad_udl.load`
        returns it). Hyperparameters are taken from the state dict (so a learning-rate schedule
        resumes); everything is validated before anything changes."""
        name = f"{self._name()}.load_state_dict"
        if not isinstance(state_dict, dict):
            raise TypeError(f"{name}: expected a dict (from state_dict() or tinygrad_udl.load), got {type(state_dict).__name__}")
        tree = _nest(state_dict)
        unknown = sorted(set(tree) - {"param_groups", "state", "options"})
        if unknown or "param_groups" not in tree:
            raise ValueError(f"{name}: not an optimizer state dict (expected 'param_groups', 'state' and "
                             f"optionally 'options'; found {sorted(tree)})")
        self._check_options(tree.get("options", {}), name)
        params = self._params()
        groups, with_state = self._load_groups(tree["param_groups"], name)
        state = self._load_state(tree.get("state", {}), params, groups, with_state, name)
        for group, loaded in zip(self.param_groups, groups):
            group.clear()
            group.update(loaded)
        self.state = state

    def _check_options(self, saved: dict, name: str):
        mine = self._options()
        if set(saved) != set(mine):
            raise ValueError(f"{name}: the state dict has options {sorted(saved)} but {self._name()} has {sorted(mine)}; "
                             "it was saved from a different optimizer")
        for key, value in mine.items():
            if _plain(saved[key]) != value:
                raise ValueError(f"{name}: the state dict was saved with {key}={_plain(saved[key])!r} but this "
                                 f"optimizer has {key}={value!r}; construct it with the same convention "
                                 "(e.g. the same style=) before loading")

    def _load_groups(self, saved: dict, name: str) -> tuple[list, set]:
        """The validated groups, and the indices of the parameters whose state the state dict holds."""
        if not isinstance(saved, dict) or sorted(saved, key=_int_key) != [str(i) for i in range(len(saved))]:
            raise ValueError(f"{name}: param_groups must be numbered '0', '1', ...; got {sorted(saved) if isinstance(saved, dict) else saved!r}")
        if len(saved) != len(self.param_groups):
            raise ValueError(f"{name}: the state dict has {len(saved)} parameter group(s), this optimizer has "
                             f"{len(self.param_groups)}; build the optimizer with the same groups")
        first = 0
        loaded_groups, with_state = [], set()
        for g, group in enumerate(self.param_groups):
            entry = saved[str(g)]
            if not isinstance(entry, dict):
                raise ValueError(f"{name}: param_groups.{g} must be a dict of hyperparameters, got {type(entry).__name__}")
            missing = sorted((set(self.defaults) | {"params", "with_state"}) - set(entry))
            if missing:
                hint = _OLD_FORMAT if missing == ["with_state"] else ""
                raise ValueError(f"{name}: group {g} of the state dict is incomplete (missing keys: "
                                 f"{', '.join(f'param_groups.{g}.{k}' for k in missing)}); it was cut short or saved "
                                 f"from another optimizer (it has {sorted(entry)}){hint}")
            expected = np.arange(first, first + len(group["params"]))
            first += len(group["params"])
            indices = np.asarray(entry["params"])
            if indices.shape != expected.shape or not np.array_equal(indices, expected):
                raise ValueError(f"{name}: group {g} of the state dict has {indices.size} parameter(s), this "
                                 f"optimizer's group {g} has {len(group['params'])} parameter(s); the models do not match")
            with_state |= _with_state(entry["with_state"], expected, f"{name}: param_groups.{g}.with_state")
            loaded = {"params": group["params"]}
            for key, value in entry.items():
                if key not in ("params", "with_state"):
                    loaded[key] = _restore_hyper(value, group.get(key), f"{name}: group {g} '{key}'")
            self._check_group(loaded)
            loaded_groups.append(loaded)
        return loaded_groups, with_state

    def _load_state(self, saved: dict, params: list, groups: list, with_state: set, name: str) -> dict:
        if not isinstance(saved, dict):
            raise ValueError(f"{name}: 'state' must be a dict of per-parameter states, got {type(saved).__name__}")
        group_of = {id(p): group for group in groups for p in group["params"]}
        group_number = [g for g, group in enumerate(groups) for _ in group["params"]]
        for key in saved:
            i = _int_key(key)
            if not 0 <= i < len(params) or str(i) != key:
                raise ValueError(f"{name}: state for parameter '{key}', but the optimizer has parameters 0..{len(params) - 1}")
            if i not in with_state:
                raise ValueError(f"{name}: the state dict has state for parameter {i}, which "
                                 f"param_groups.{group_number[i]}.with_state does not list; it was edited or mixed "
                                 "from two checkpoints")
        self._check_state_present(saved, params, group_of, with_state, name)
        state = {}
        for key, entry in saved.items():
            i = int(key)
            p = params[i]
            template = self._init_state(p, group_of[id(p)])
            if not isinstance(entry, dict) or set(entry) != set(template):
                found = sorted(entry) if isinstance(entry, dict) else entry
                raise ValueError(f"{name}: parameter {i} has state {found} in the state dict but {self._name()} "
                                 f"keeps {sorted(template)} with these hyperparameters")
            restored = {}
            for k, fresh in template.items():
                value = np.asarray(entry[k])
                if isinstance(fresh, np.ndarray):
                    if value.shape != fresh.shape:
                        raise ValueError(f"{name}: state '{k}' of parameter {i} has shape {value.shape} but the "
                                         f"parameter has shape {fresh.shape}; the models do not match")
                    restored[k] = value.astype(fresh.dtype, copy=True)
                else:
                    if value.shape != ():
                        raise ValueError(f"{name}: state '{k}' of parameter {i} must be a single number, got shape {value.shape}")
                    restored[k] = type(fresh)(value.item())
            state[p] = restored
        return state

    def _check_state_present(self, saved: dict, params: list, group_of: dict, with_state: set, name: str):
        """Every parameter listed in `with_state` has all its state: otherwise an interrupted save
        (the state is written last) would load as a silently restarted optimizer."""
        missing = []
        for i in sorted(with_state):
            entry = saved.get(str(i), {})
            present = entry if isinstance(entry, dict) else {}
            template = self._init_state(params[i], group_of[id(params[i])])
            missing += [f"state.{i}.{k}" for k in sorted(template) if k not in present]
        if missing:
            raise ValueError(f"{name}: the state dict is incomplete (missing keys: {', '.join(missing)}); it was cut "
                             "short (an interrupted save?) or edited. Load a complete checkpoint, or do not load this one "
                             "(the optimizer then starts afresh)")

    def __repr__(self):
        options = ", ".join(f"{k}={v!r}" for k, v in self._options().items())
        lines = [f"{self._name()}({options})"]
        for g, group in enumerate(self.param_groups):
            hyper = ", ".join(f"{k}={v!r}" for k, v in group.items() if k != "params")
            lines.append(f"  group {g}: {len(group['params'])} parameter(s), {hyper}")
        return "\n".join(lines)


# ---- helpers ------------------------------------------------------------------------------------


def _as_groups(params, owner: str) -> list:
    if isinstance(params, Tensor):
        raise TypeError(f"{owner}: params must be an iterable of Tensors or of group dicts, got a single Tensor; "
                        "pass [tensor] or model.parameters()")
    if isinstance(params, dict):
        raise TypeError(f"{owner}: params must be an iterable of Tensors or of group dicts, got one dict; pass [group]")
    try:
        params = list(params)
    except TypeError:
        raise TypeError(f"{owner}: params must be an iterable of Tensors or of group dicts, got {type(params).__name__}") from None
    if not params:
        raise ValueError(f"{owner}: got an empty parameter list (did the model register its parameters?)")
    if all(isinstance(p, dict) for p in params):
        return params
    if any(isinstance(p, dict) for p in params):
        raise TypeError(f"{owner}: params mixes Tensors and group dicts; use either a list of Tensors or a list of groups")
    return [{"params": params}]


def as_tensor_list(params, owner: str) -> list:
    """`params` (a Tensor or an iterable of Tensors) as a list, with a clear error otherwise."""
    if isinstance(params, Tensor):
        return [params]
    try:
        params = list(params)
    except TypeError:
        raise TypeError(f"{owner}: parameters must be a Tensor or an iterable of Tensors, got {type(params).__name__}") from None
    for p in params:
        if not isinstance(p, Tensor):
            hint = " (named_parameters() yields (name, tensor) pairs; use parameters())" if isinstance(p, tuple) else ""
            raise TypeError(f"{owner}: expected Tensors, got {type(p).__name__}{hint}")
    return params


def as_param_list(params, owner: str) -> list:
    """The Tensors of an optimizer group: leaves that require grad."""
    params = as_tensor_list(params, owner)
    for p in params:
        if not p.is_leaf:
            raise ValueError(f"{owner}: can only optimize leaf Tensors; this one is the result of '{p.op}'. "
                             "Optimize the tensor it was computed from, or use .detach().requires_grad_()")
        if not p.requires_grad:
            raise ValueError(f"{owner}: a Tensor of shape {p.shape} (label {p.label!r}) does not require grad; "
                             "create it with requires_grad=True (nn.Parameter does) or leave it out")
        if not p.data.flags.writeable:
            raise ValueError(f"{owner}: a Tensor of shape {p.shape} has read-only data; optimizers update "
                             "parameters in place. Give it its own array (Tensor(np.array(...)))")
    return params


_OLD_FORMAT = (". State dicts saved before tinygrad_udl recorded with_state lack it: if you know this one is "
               "complete, set each group's 'with_state' to the indices (as in its 'params') of its parameters that "
               "have an entry in 'state'")


def _with_state(value, indices, where: str) -> set:
    """A group's `with_state` entry, checked: distinct indices among the group's parameters."""
    listed = np.asarray(value)
    valid = listed.ndim == 1 and (listed.size == 0 or listed.dtype.kind in "iu")
    chosen = listed.tolist() if valid else []
    if not valid or len(set(chosen)) != len(chosen) or not set(chosen) <= set(indices.tolist()):
        raise ValueError(f"{where} must list distinct indices of the group's parameters {indices.tolist()}, "
                         f"got {value!r:.80}")
    return set(chosen)


def _nest(tree: dict) -> dict:
    """Turn flat '.'-joined keys (as `tinygrad_udl.load` returns them) into nested dicts."""
    out = {}
    for key, value in tree.items():
        node = out
        *parents, leaf = str(key).split(".")
        for part in parents:
            node = node.setdefault(part, {})
        if isinstance(value, dict):
            nested = _nest(value)
            node.setdefault(leaf, {}).update(nested)
        else:
            node[leaf] = value
    return out


def _int_key(key) -> int:
    try:
        return int(key)
    except (TypeError, ValueError):
        return -1


def _plain(value):
    """A saved scalar (0-d array or number) as a Python number / bool."""
    return np.asarray(value).item() if np.ndim(value) == 0 else value


def _restore_hyper(value, current, where: str):
    """A saved hyperparameter in the Python type of the current one (tuples such as Adam's betas
    come back from .npz as arrays)."""
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{where} must be a number, got {value!r:.60}")
    if isinstance(current, tuple) or array.ndim == 1:
        expected = len(current) if isinstance(current, tuple) else array.size
        if array.shape != (expected,):
            raise ValueError(f"{where} must have {expected} entries, got shape {array.shape}")
        return tuple(float(x) for x in array)
    if array.ndim != 0:
        raise ValueError(f"{where} must be a single number, got shape {array.shape}")
    if isinstance(current, bool):
        if array.dtype.kind != "b":
            raise ValueError(f"{where} must be True or False, got {value!r}")
        return bool(array)
    return array.item()
