"""The tracer: runs a training step eagerly and records it as a flat program on arrays.

While a `Recorder` is installed (`graph._recorder`, `tensor._recorder`), the engine reports to it:

- every primitive call of `tensor.apply` (the forward pass): `apply(rule, inputs, params, out)`;
- `backward()`: the recorder runs the sweep itself (`backward`), the same walk as `graph._sweep`
  in raw mode -- same topological order, same VJP calls, same order of gradient sums, so a replay
  is bit for bit the eager computation -- and records every VJP call, every gradient sum and
  every leaf accumulation (`_accumulate_grad`) as it goes;
- `graph.zero_grad(nodes)` and the optimizers' `step()` / `zero_grad()` (wrapped while tracing,
  see `patch_optimizers`): recorded as effects, "call this bound method";
- in-place writes through the library (`add_`, `_bump_version`) outside a recorded effect: refused
  (`Unsupported`), since they are numpy code the program would not see;
- `source(tensor, fn, *args)`: a leaf whose data must be made anew at every replay by `fn(*args)`
  (dropout's mask: a draw from a Generator, so the generator advances as in eager mode).

Everything that reaches the program from outside is classified once, at trace time: an array
argument of the compiled function (by identity, or equal to one after a copy as `Tensor(x)`
makes), a leaf that requires grad (a parameter: its `.data` is read at every replay), or a
constant (any other array: baked in).

Memory: a trace holds no more than the eager step it runs. The forward pass's arrays live as long
as the trace (the graph holds them in eager mode too); the backward pass's arrays are held weakly,
so they are freed when eager mode's sweep would free them. What the buffer pass needs to know of
the values (identities, views, shapes and layouts) it reads as each step is recorded
(`analysis`, optimize.TraceAnalysis), while that step's arrays are alive.
"""
from __future__ import annotations

import threading
import weakref

import numpy as np

from ..autograd import graph as _graph
from ..autograd import tensor as _tensor
from ..autograd.backends import ArrayMath
from ..autograd.graph import FREED, _check_versions, toposort


class Unsupported(Exception):
    """Something in the traced function that a replay could not reproduce (the reason is the message)."""


class Ref:
    """A reference to a slot of the program (an array computed or read at replay time)."""

    __slots__ = ("slot",)

    def __init__(self, slot):
        self.slot = slot

    def __eq__(self, other):
        return type(other) is Ref and other.slot == self.slot

    def __hash__(self):
        return hash(("ref", self.slot))

    def __repr__(self):
        return f"v{self.slot}"


class Instr:
    """One step of the program.

    kinds: "input" (slot <- argument `index`, converted to `dtype` if not None), "param" (slot <-
    tensor.data at replay), "const" (slot <- a baked array), "call" (slot <- fn(ArrayMath, *args,
    **kwargs), args/kwargs may hold Refs; `asarray`: wrap a non-ndarray result), "alias" (slot <-
    another slot, written by optimize.py; so is "kernel"), "add" (slot <-
    a + b), "unbroadcast", "source" (slot <- fn(*args)), "accum" (tensor._accumulate_grad(ref)),
    "hooks" (slot <- tensor._run_hooks(ref)), "effect" (fn(*args)).
    """

    __slots__ = ("kind", "fn", "args", "kwargs", "out", "extra", "tag")

    def __init__(self, kind, fn=None, args=(), kwargs=None, out=None, extra=None, tag=""):
        self.kind, self.fn, self.args, self.kwargs, self.out, self.extra, self.tag = \
            kind, fn, tuple(args), kwargs or {}, out, extra, tag

    def key(self):
        """What must be equal in two traces for them to be the same program (arrays by value,
        parameters and effects' objects by identity)."""
        args = tuple(("id", id(a)) if self.kind == "effect" and isinstance(a, np.ndarray) else _key(a)
                     for a in self.args)   # an effect's arrays are state it updates: the same object
        return (self.kind, id(self.fn) if self.fn is not None else None, args,
                tuple(sorted((k, _key(v)) for k, v in self.kwargs.items())), self.out, _key(self.extra))

    def __repr__(self):
        name = getattr(self.fn, "__qualname__", getattr(self.fn, "__name__", "")) if self.fn is not None else ""
        return f"<{self.kind} {self.tag or name} {self.args} -> {self.out}>"


def _key(v):
    if isinstance(v, np.ndarray):
        return ("array", v.shape, v.dtype.str, v.tobytes())
    if isinstance(v, np.generic):
        return ("scalar", v.dtype.str, v.tobytes())
    if isinstance(v, (list, tuple)):
        return (type(v).__name__,) + tuple(_key(x) for x in v)
    if isinstance(v, dict):
        return ("dict",) + tuple(sorted((k, _key(x)) for k, x in v.items()))
    if isinstance(v, (int, float, str, bool, type(None), Ref, slice, type(Ellipsis))):
        return v
    return ("id", id(v))


class Recorder:
    """Records one call of the traced function. `inputs` are the arrays of its arguments, in
    signature order; `input_tensors` the Tensor arguments (their `.data` is the input);
    `analysis`, if given, is told of every step as it is recorded (`analysis.step`)."""

    def __init__(self, inputs, input_tensors, analysis=None):
        self.thread = threading.get_ident()
        self.program = []
        self.analysis = analysis
        self.slots = {}        # id(tensor) -> slot
        self.keep = []         # every tensor and array seen, so that ids stay unique while tracing
        self._values = []      # slot -> the value it held in this trace, or a weak reference to it (see value)
        self.inputs = inputs
        self.input_ids = {id(a): i for i, a in enumerate(inputs)}
        self.input_tensors = {id(t): i for i, t in input_tensors.items()}
        self.made = set()      # ids of tensors produced by recorded calls in this trace
        self.depth = 0         # > 0 while a recorded effect runs (its own work is not recorded)
        self.failure = None
        self.params = {}       # id(tensor) -> slot for leaves read at replay
        self.const_ids = {}
        self.created_ids = set()   # ids of tensors made while tracing
        self.array_slots = {}  # id(array) -> the latest slot holding that very array (see slot_of)
        self.packed = {}       # id(index tuple) -> the slot of its `_pack` (see _param)
        self.grads = {}        # id(leaf) -> (leaf, the .grad tensor its recorded accumulation left)

    # ---- slots ---------------------------------------------------------------------------------

    def _new(self, value, weak):
        is_array = isinstance(value, np.ndarray)
        self._values.append(weakref.ref(value) if weak and is_array else value)
        if is_array:
            self.array_slots[id(value)] = len(self._values) - 1
        return len(self._values) - 1

    def _emit(self, instr, value, weak=False):
        """Append `instr`, which made `value`; `weak`: the trace does not keep `value` alive (a
        backward-pass array: eager mode frees it as soon as the sweep has used it)."""
        instr.out = self._new(value, weak) if instr.out is None else instr.out
        self.program.append(instr)
        if self.analysis is not None:
            self.analysis.step(len(self.program) - 1, instr, value, self.value)
        return instr.out

    def value(self, slot):
        """The value `slot` held in this trace; None for a backward-pass array already freed."""
        v = self._values[slot]
        return v() if type(v) is weakref.ref else v

    def live_values(self):
        """(slot, value) for every slot whose value still exists, the newest first."""
        for slot in range(len(self._values) - 1, -1, -1):
            v = self.value(slot)
            if v is not None:
                yield slot, v

    def array_ref(self, a):
        """A Ref (or constant) for a raw array met in parameters or as leaf data."""
        i = self.input_ids.get(id(a))
        if i is not None:
            return Ref(self._input_slot(i, None))
        slot = self.array_slots.get(id(a))
        if slot is not None and self.value(slot) is a:   # the very array a step made (e.g. a recorded mask)
            return Ref(slot)
        if isinstance(a, np.ndarray):
            for j, inp in enumerate(self.inputs):
                if inp.size and np.shares_memory(a, inp):
                    raise Unsupported("an array derived from an input outside the library's operations (a numpy view "
                                      "or slice of an argument) reaches the program; do it with Tensor operations")
        return a

    def _input_slot(self, i, dtype):
        if dtype is not None and dtype == self.inputs[i].dtype:
            dtype = None
        key = ("input", i, dtype)
        slot = self.params.get(key)
        if slot is None:
            inp = self.inputs[i]
            value = inp if dtype is None or dtype == inp.dtype else inp.astype(dtype)
            slot = self.params[key] = self._emit(Instr("input", args=(i,), extra=dtype), value)
        return slot

    def slot_of(self, t):
        slot = self.slots.get(id(t))
        if slot is not None:
            return slot
        if t._rule is not None and id(t) not in self.made:
            if t.requires_grad:
                raise Unsupported("a tensor computed outside the compiled function (with a graph of its own) is used "
                                  "inside it; pass its data, or compute it inside")
        i = self.input_tensors.get(id(t))
        data = t.data
        if i is not None:
            slot = self._input_slot(i, None)
        elif t.requires_grad:
            slot = self._emit(Instr("param", args=(t,)), data)
        elif id(data) in self.array_slots and self.value(self.array_slots[id(data)]) is data:
            # a new leaf on the very array of a slot: `x.detach()` (Tensor._wrap(x.data)) of a tensor
            # computed in the program reads that slot, so the value is not baked in as a constant
            slot = self.array_slots[id(data)]
        else:
            ref = self.array_ref(data)
            if type(ref) is Ref:
                slot = ref.slot
            else:
                slot = self._match_input(data)
                if slot is None:
                    slot = self._emit(Instr("const", extra=data), data)
        self.slots[id(t)] = slot
        self.keep.append(t)
        return slot

    def _match_input(self, data):
        """An array equal to an argument after a copy or dtype conversion (`Tensor(x)` copies): that input."""
        if not isinstance(data, np.ndarray) or data.ndim == 0:
            return None
        for i, inp in enumerate(self.inputs):
            if inp.shape == data.shape and inp.size > 1:
                with np.errstate(all="ignore"):
                    same = np.array_equal(inp.astype(data.dtype, copy=False), data)
                if same:
                    return self._input_slot(i, data.dtype)
        return None

    def created(self, tensor, source):
        """`Tensor(source)` ran while tracing. From an argument (the copy `Tensor(x)` makes), the
        tensor reads that argument at every replay."""
        if not self._ours():
            return
        self.created_ids.add(id(tensor))
        self.keep.append(tensor)
        i = self.input_ids.get(id(source))
        if i is not None:
            self.slots[id(tensor)] = self._input_slot(i, tensor.data.dtype)

    def _ours(self):
        return threading.get_ident() == self.thread and self.depth == 0

    # ---- the engine's hooks ----------------------------------------------------------------------

    def apply(self, rule, inputs, params, out, data):
        if not self._ours():
            return
        try:
            args = [Ref(self.slot_of(t)) for t in inputs]
            kwargs = {k: self._param(v) for k, v in params.items()} if params else {}
        except Unsupported as e:
            self.fail(str(e))
            return
        instr = Instr("call", rule.forward, args, kwargs, extra=type(data) is not np.ndarray, tag=rule.name)
        slot = self._emit(instr, out.data)
        self.slots[id(out)] = slot
        self.made.add(id(out))
        self.keep.append(out)

    def _param(self, v):
        if isinstance(v, np.ndarray):
            return self.array_ref(v)
        if isinstance(v, (list, tuple)) and any(isinstance(x, np.ndarray) for x in v):
            refs = [self.array_ref(x) if isinstance(x, np.ndarray) else x for x in v]
            if not any(type(r) is Ref for r in refs):
                return v
            if type(v) is not tuple:
                raise Unsupported("a list of argument arrays as an operation's parameter")
            # an index tuple holding an argument, `q[np.arange(n), actions]`: the tuple is built
            # at replay by a step of its own (`_pack`), once per tuple (getitem's VJP reuses it)
            slot = self.packed.get(id(v))
            if slot is None:
                slot = self.packed[id(v)] = self._emit(Instr("call", _pack, refs, extra=False, tag="index tuple"), v)
                self.keep.append(v)
            return Ref(slot)
        if isinstance(v, _tensor.Tensor):
            raise Unsupported("a Tensor as an operation's parameter")
        return v

    def zero_grad(self, nodes):
        if self._ours():
            nodes = list(nodes)
            self.program.append(Instr("effect", _zero_grad_raw, (nodes,), tag="zero_grad"))

    def effect(self, fn, *args, tag=""):
        self.program.append(Instr("effect", fn, args, tag=tag))

    def in_place(self, tensor, op):
        if self._ours():
            self.fail(f"{op} on a tensor inside the compiled function (numpy code on .data that the program "
                      "cannot replay); do it outside, or through the optimizer's step()")

    def no_grad_op(self, tensor, fn, args, params):
        """`tensor` is `fn(*data of args, **params)`, a result without gradient (tensor.no_grad_op):
        made again at every replay from the slots of its arguments."""
        if not self._ours():
            return
        try:
            refs = [Ref(self.slot_of(a)) if isinstance(a, _tensor.Tensor) else self._param(a) for a in args]
            kwargs = {k: self._param(v) for k, v in params.items()}
        except Unsupported as e:
            self.fail(str(e))
            return
        slot = self._emit(Instr("call", _numpy_call, [fn] + refs, kwargs, extra=True,
                                tag=getattr(fn, "__name__", "no-gradient op")), tensor.data)
        self.slots[id(tensor)] = slot
        self.keep.append(tensor)

    def source(self, tensor, fn, *args):
        """`tensor`'s data is `fn(*args)`, to be made anew at each replay (e.g. a random draw)."""
        if not self._ours():
            return
        slot = self._emit(Instr("source", fn, args, tag=getattr(fn, "__name__", "")), tensor.data)
        self.slots[id(tensor)] = slot
        self.keep.append(tensor)

    def fail(self, reason):
        if self.failure is None:
            self.failure = reason

    def check_grads(self):
        """Before an optimizer step: every gradient is the one the recorded backward left (or was
        cleared). One replaced by plain Python or numpy code in between (`clip_grad_norm_` assigns
        new `.grad` tensors) would be missing from the replay, which would step on the unclipped
        gradient without a word: refused instead."""
        for node, grad in self.grads.values():
            if node.grad is not None and node.grad is not grad:
                self.fail("a gradient was replaced between backward() and the optimizer's step by code the program "
                          "cannot replay (e.g. clip_grad_norm_); clip outside the compiled function, after it")
                return

    # ---- backward --------------------------------------------------------------------------------

    def backward(self, roots, seeds, retain_graph, create_graph, inputs):
        if threading.get_ident() != self.thread:
            return None
        if self.depth:
            self.fail("backward() inside an effect")
            return None
        if create_graph or inputs is not None:
            self.fail("backward with create_graph=True or inputs= (higher-order or functional gradients)")
            return None
        if not all(isinstance(r, _tensor.Tensor) for r in roots):
            self.fail("backward() on Values")
            return None
        order = toposort(roots)
        for node in order:   # checked before anything runs: on refusal the eager sweep does the work
            reason = None
            if node._rule is not None:
                if node._hooks:
                    reason = "a hook on an intermediate tensor (register_hook); hooks on parameters are supported"
                elif node._retains_grad:
                    reason = "retain_grad() on an intermediate tensor"
                elif id(node) not in self.made:
                    reason = "backward() reaches a tensor computed outside the compiled function"
            elif id(node) in self.created_ids and node.requires_grad:
                reason = ("a tensor that requires grad is made inside the compiled function (its gradient would go "
                          "to the tensor of the first call); make it outside, as a parameter")
            if reason is not None:
                self.fail(reason)
                return None
        self._sweep(order, roots, seeds, retain_graph)
        return []

    def _sweep(self, order, roots, seeds, retain_graph):
        # node -> (slot, array) of its gradient so far: held here until its node is reached, as eager
        # mode's sweep holds it; the trace itself keeps the backward pass's arrays only weakly
        grads = {}
        for root, seed in zip(roots, seeds):
            seed = np.asarray(seed)
            s = self._emit(Instr("const", extra=seed), seed)
            if root in grads:
                prev, prev_value = grads[root]
                total = prev_value + seed
                grads[root] = self._emit(Instr("add", args=(Ref(prev), Ref(s))), total, weak=True), total
            else:
                grads[root] = s, seed
        for node in reversed(order):
            gs, g = grads.pop(node, (None, None))
            if gs is None:
                continue
            if node._hooks:
                if node._rule is not None:
                    raise Unsupported("a hook on an intermediate tensor (register_hook); hooks on parameters are "
                                      "supported")
                self.depth += 1   # the hooks run again at every replay: their own operations are not recorded
                try:
                    hooked = node._run_hooks(g)
                finally:
                    self.depth -= 1
                gs, g = self._emit(Instr("hooks", args=(node, Ref(gs))), hooked, weak=True), hooked
            rule = node._rule
            if rule is None or node._retains_grad:
                if node._rule is not None:
                    raise Unsupported("retain_grad() on an intermediate tensor")
                if id(node) not in self.slots and node.requires_grad:
                    self.slot_of(node)
                node._accumulate_grad(g)
                self.grads[id(node)] = (node, node.grad)
                self.program.append(Instr("accum", args=(node, Ref(gs))))
            if rule is None:
                continue
            if id(node) not in self.made:
                raise Unsupported("backward() reaches a tensor computed outside the compiled function")
            ctx = node._ctx
            if ctx is FREED:
                raise _graph.GraphFreedError(f"backward() through '{rule.name}' a second time: its graph was freed")
            if node._saved_version is not None:
                _check_versions(node, rule)
            parents = node._parents
            arg_slots = [self.slots[id(p)] for p in parents]
            args = [self.value(s) for s in arg_slots]   # the forward's values: alive while the trace runs
            out_slot = self.slots[id(node)]
            out = node.data
            kw = {k: self._param(v) for k, v in (ctx or {}).items()}
            for i, parent in enumerate(parents):
                if not parent.requires_grad:
                    continue
                if rule.variadic:
                    vjp = rule.vjps[0]
                    contrib = vjp(ArrayMath, g, out, args, index=i, **(ctx or {}))
                    instr = Instr("call", vjp, (Ref(gs), Ref(out_slot), [Ref(s) for s in arg_slots]),
                                  {**kw, "index": i}, tag=f"{rule.name}.vjp{i}", extra="variadic")
                else:
                    vjp = rule.vjps[i]
                    contrib = vjp(ArrayMath, g, out, *args) if ctx is None else vjp(ArrayMath, g, out, *args, **ctx)
                    instr = Instr("call", vjp, [Ref(gs), Ref(out_slot)] + [Ref(s) for s in arg_slots], kw,
                                  tag=f"{rule.name}.vjp{i}")
                cs = self._emit(instr, contrib, weak=True)
                if rule.broadcasting and np.shape(contrib) != np.shape(args[i]):
                    # made while contrib is still alive: the analysis reads both
                    summed = ArrayMath.unbroadcast(contrib, args[i])
                    cs = self._emit(Instr("unbroadcast", args=(Ref(cs), Ref(arg_slots[i]))), summed, weak=True)
                    contrib = summed
                prev, prev_value = grads.get(parent, (None, None))
                if prev is None:
                    grads[parent] = cs, contrib
                else:
                    total = prev_value + contrib
                    grads[parent] = self._emit(Instr("add", args=(Ref(prev), Ref(cs))), total, weak=True), total
                if id(parent) not in self.slots:
                    self.slot_of(parent)
            if not retain_graph:
                node._ctx = FREED


def drawn(draw, *args):
    """A leaf Tensor on the array `draw(*args)`, a random draw (e.g. `rng.standard_normal(shape)`
    with the Generator among `args`). While a compiled function is traced the draw is recorded as
    a step of the program (`Recorder.source`), made anew at every replay as dropout's mask is, so
    the generator advances exactly as in eager mode; a draw made in numpy and wrapped by hand
    would be baked in as a constant instead. Outside a trace it is `Tensor._wrap(draw(*args))`."""
    t = _tensor.Tensor._wrap(draw(*args))
    if _tensor._recorder is not None:
        _tensor._recorder.source(t, draw, *args)
    return t


def _numpy_call(_array_math, fn, *args, **params):
    """A numpy function on arrays as a "call" step (the first argument is ArrayMath)."""
    return fn(*args, **params)


def _pack(_array_math, *items):
    """An index tuple made at replay time (a "call" step: the first argument is ArrayMath)."""
    return items


def _zero_grad_raw(nodes):
    for node in nodes:
        node.grad = node._cleared_grad


# ---- optimizers: step() and zero_grad() are recorded as effects while a trace runs ----------------

_local = threading.local()
_patch_lock = threading.Lock()
_patched = {}   # (class, name) -> original function
_patch_users = 0


def active():
    return getattr(_local, "recorder", None)


def _wrap(orig, name):
    def wrapper(self, *args, **kwargs):
        rec = active()
        if rec is None or rec.depth or rec.thread != threading.get_ident():
            return orig(self, *args, **kwargs)
        if args or kwargs:
            rec.fail(f"{type(self).__name__}.{name}() with arguments (a closure, set_to_none=...)")
            return orig(self, *args, **kwargs)
        if name == "step":
            rec.check_grads()
        rec.effect(orig, self, tag=f"{type(self).__name__}.{name}")
        rec.depth += 1
        try:
            return orig(self)
        finally:
            rec.depth -= 1
    wrapper.__wrapped__ = orig
    wrapper.__name__ = getattr(orig, "__name__", name)
    wrapper.__qualname__ = getattr(orig, "__qualname__", name)
    wrapper.__doc__ = getattr(orig, "__doc__", None)
    return wrapper


def _optimizer_classes():
    from ..optim.optimizer import Optimizer

    out, stack = [], [Optimizer]
    while stack:
        cls = stack.pop()
        out.append(cls)
        stack.extend(cls.__subclasses__())
    return out


def _update_running(running_mean, running_var, mean, var, momentum, c, correction):
    """batch_norm's running-statistics update, the same numpy operations in the same order."""
    if running_mean is not None:
        running_mean *= 1 - momentum
        running_mean += momentum * mean.reshape(c)
    if running_var is not None:
        running_var *= 1 - momentum
        running_var += momentum * var.reshape(c) * correction


def _traced_batch_norm(orig, module):
    """batch_norm while tracing: the running statistics' in-place update (numpy code the engine does
    not see) becomes an effect of the program on the batch mean and variance slots."""
    def batch_norm(x, running_mean=None, running_var=None, weight=None, bias=None, training=False, momentum=0.1,
                   eps=1e-5, eps_mode="torch"):
        rec = active()
        if rec is None or not training or (running_mean is None and running_var is None) or not rec._ours():
            return orig(x, running_mean, running_var, weight, bias, training, momentum, eps, eps_mode)
        captured = []
        standardize = module._standardize

        def capture(*a, **k):
            result = standardize(*a, **k)
            captured.append(result)
            return result
        module._standardize = capture
        try:
            out = orig(x, running_mean, running_var, weight, bias, training, momentum, eps, eps_mode)
        finally:
            module._standardize = standardize
        _, mean, var = captured[-1]
        c = np.shape(x)[1]
        count = int(np.prod(np.shape(x))) // c
        try:
            refs = (Ref(rec.slot_of(mean)), Ref(rec.slot_of(var)))
        except Unsupported as e:
            rec.fail(str(e))
            return out
        rec.program.append(Instr("effect", _update_running, (running_mean, running_var) + refs +
                                 (momentum, c, count / (count - 1)), tag="batch_norm running statistics"))
        return out
    return batch_norm


def _count_batch(module):
    """_BatchNorm.forward's `num_batches_tracked += 1` (a Python attribute the engine does not see)."""
    module.num_batches_tracked = module.num_batches_tracked + 1


def _traced_batchnorm_forward(orig):
    def forward(self, x):
        rec = active()
        if rec is not None and rec._ours() and self.training and self.track_running_stats \
                and self._stat_mode is None:
            if self._collector is not None:
                rec.fail("calibrate_batchnorm's statistics collection")
            rec.program.append(Instr("effect", _count_batch, (self,), tag="num_batches_tracked"))
        return orig(self, x)
    return forward


class installed:
    """Context manager: `rec` receives the engine's reports in this thread (and the optimizer
    classes' step/zero_grad are wrapped while any trace runs)."""

    def __init__(self, rec):
        self.rec = rec

    def __enter__(self):
        global _patch_users
        if _graph._recorder is not None or _tensor._recorder is not None:
            raise Unsupported("a compiled function called while another one is being traced (nested or in "
                              "another thread)")
        with _patch_lock:
            if _patch_users == 0:
                for cls in _optimizer_classes():
                    for name in ("step", "zero_grad"):
                        if name in cls.__dict__ and (cls, name) not in _patched:
                            orig = cls.__dict__[name]
                            _patched[(cls, name)] = orig
                            setattr(cls, name, _wrap(orig, name))
                from ..nn import normalization
                _patched[(normalization, "batch_norm")] = normalization.batch_norm
                normalization.batch_norm = _traced_batch_norm(normalization.batch_norm, normalization)
                bn = normalization._BatchNorm
                _patched[(bn, "forward")] = bn.__dict__["forward"]
                bn.forward = _traced_batchnorm_forward(bn.__dict__["forward"])
            _patch_users += 1
        _local.recorder = self.rec
        _graph._recorder = self.rec
        _tensor._recorder = self.rec
        return self.rec

    def __exit__(self, *exc):
        global _patch_users
        _graph._recorder = None
        _tensor._recorder = None
        _local.recorder = None
        with _patch_lock:
            _patch_users -= 1
            if _patch_users == 0:
                for (cls, name), orig in _patched.items():
                    setattr(cls, name, orig)
                _patched.clear()
        return False
