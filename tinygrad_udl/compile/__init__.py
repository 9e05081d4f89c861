"""`tinygrad_udl.compile(fn)`: record a training step once, replay it on arrays.

    @tg.compile
    def train_step(x, y):
        loss = F.cross_entropy(model(tg.Tensor(x)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

The first two calls with a given signature (shapes and dtypes of the array and Tensor arguments;
other arguments by equality) run `fn` eagerly under a tracer (`recorder.py`) that records the
primitive calls of the forward pass, the VJP calls of the backward pass (with the gradient slots
they read and sum into, and the leaves whose `.grad` they set) and the optimizer's `zero_grad()` /
`step()` as effects. If the two recordings are the same program, later calls replay it
(`codegen.py`): straight-line numpy code, the same calls in the same order, so the results are
bit for bit those of eager mode. A new signature traces again (each signature keeps its own
program; at most `cache_size` of them).

**What cannot be replayed** falls back to eager mode, with one warning (`CompileWarning`) per
signature: Python control flow that depends on the data (the two traces differ), numpy code on
`.data` / `.grad` inside the function (an in-place write through the library is refused; a
value computed in numpy from a tensor becomes a constant, which the second trace catches when
the data change), hooks on intermediate tensors, `retain_grad()`, `backward(create_graph=True)`,
`step(closure)`, a result computed in numpy from the program's values (`int(q.numpy().argmax())`:
return the array and finish outside). The rule, as for `jax.jit` and tinygrad's `TinyJit`:
arrays reach the program through the function's arguments or as parameters (tensors that require
grad, whose `.data` is read at every replay); any other array met while tracing is a constant of
the program (comparisons, `sign` and `argmax` on tensors are recorded, so masks made with them
are not). Random draws are recorded as draws (dropout's mask is drawn from its Generator at every
replay, so the generator advances exactly as in eager mode). Replays write into buffers the
program owns (`optimize.py`, `kernels.py`) and fuse SGD/Adam steps across parameters
(`fused.py`), with the same numbers. See docs/performance.md, "Compiled steps".
"""
from __future__ import annotations

import functools
import keyword
import warnings

import numpy as np

from .codegen import generate
from .optimize import TraceAnalysis, optimize
from .recorder import Recorder, Unsupported, installed

__all__ = ["compile", "CompileWarning", "Compiled"]


class CompileWarning(UserWarning):
    """A compiled function fell back to eager mode (the message says why)."""


_MISSING = object()


class _Entry:
    __slots__ = ("traces", "replay", "source", "eager", "program", "calls")

    def __init__(self):
        self.traces, self.replay, self.source, self.eager, self.program, self.calls = [], None, None, False, None, 0


class Compiled:
    """The compiled form of `fn` (see the module docstring); call it as `fn`.

    `stats()` tells per signature whether it replays, traces or fell back; `source(*args)` shows
    the generated code of a signature."""

    def __init__(self, fn, *, traces=2, cache_size=8, warn=True, optimize=True):
        functools.update_wrapper(self, fn)
        self.fn, self.n_traces, self.cache_size, self.warn, self.optimize = fn, traces, cache_size, warn, optimize
        self._cache = {}

    def __get__(self, obj, objtype=None):   # as a method decorator
        return self if obj is None else functools.partial(self, obj)

    def __call__(self, *args, **kwargs):
        try:
            sig, arrays, tensors = _signature(args, kwargs)
        except TypeError:   # an unhashable non-array argument: nothing to key a program on
            return self.fn(*args, **kwargs)
        entry = self._cache.get(sig)
        if entry is None:
            if len(self._cache) >= self.cache_size:
                self._cache.pop(next(iter(self._cache)))
            entry = self._cache[sig] = _Entry()
        entry.calls += 1
        if entry.replay is not None:
            return entry.replay(arrays)
        if entry.eager:
            return self.fn(*args, **kwargs)
        return self._trace(entry, args, kwargs, arrays, tensors)

    def _trace(self, entry, args, kwargs, arrays, tensors):
        last = len(entry.traces) + 1 >= self.n_traces   # the trace the program is built from
        rec = Recorder(arrays, tensors, TraceAnalysis() if last and self.optimize else None)
        try:
            with installed(rec):
                result = self.fn(*args, **kwargs)
        except Unsupported as e:   # raised before fn ran (e.g. a trace already under way)
            self._fallback(entry, str(e))
            return self.fn(*args, **kwargs)
        if rec.failure is None:
            try:
                spec = _output_spec(result, rec)
            except Unsupported as e:
                rec.fail(str(e))
        if rec.failure is not None:
            self._fallback(entry, rec.failure)
            return result
        key = ([instr.key() for instr in rec.program], _spec_key(spec))
        if entry.traces and entry.traces[-1] != key:
            self._fallback(entry, "the traced program changed between calls with the same shapes (Python control "
                                  "flow on the data, or a value computed outside the library's operations)")
            return result
        entry.traces.append(key)   # only the key: a trace's arrays are not kept past its call
        if last:
            program, analysis = rec.program, rec.analysis
            del rec   # its tensors hold the traced arrays: freed before the program's own arrays are made
            buffers = ()
            if analysis is not None:
                program, buffers = optimize(program, spec, analysis)
            entry.replay, entry.source = generate(program, spec, _name(self.fn), buffers)
            entry.program = program
            entry.traces = []
        return result

    def _fallback(self, entry, reason):
        entry.eager, entry.traces = True, []
        if self.warn:
            warnings.warn(f"compile({_name(self.fn)}): running eagerly: {reason}", CompileWarning, stacklevel=4)

    # ---- inspection --------------------------------------------------------------------------------

    def stats(self):
        """{signature: "replay" | "eager" | "tracing"} for the signatures seen so far."""
        return {sig: ("replay" if e.replay else "eager" if e.eager else "tracing") for sig, e in self._cache.items()}

    def source(self, *args, **kwargs):
        """The generated code of the signature of these arguments (None until it replays)."""
        entry = self._cache.get(_signature(args, kwargs)[0])
        return None if entry is None else entry.source


def compile(fn=None, **options):
    """Compile a training step (decorator or function): `compile(fn)`, `@compile`,
    `@compile(traces=2, cache_size=8, warn=True)`. See the module docstring."""
    if fn is None:
        return lambda f: Compiled(f, **options)
    return Compiled(fn, **options)


def _name(fn):
    """The generated function's name: fn's, made an identifier (a lambda's "<lambda>" is "lambda_")."""
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in getattr(fn, "__name__", "fn")).strip("_") or "fn"
    return name + "_" if keyword.iskeyword(name) or name[0].isdigit() else name


def _signature(args, kwargs):
    from ..autograd.tensor import Tensor

    arrays, tensors, parts = [], {}, []
    names = tuple(sorted(kwargs)) if kwargs else ()
    for v in (args + tuple(kwargs[k] for k in names)) if kwargs else args:
        if type(v) is np.ndarray or isinstance(v, np.ndarray):
            parts.append(("a", v.shape, v.dtype.str))
            arrays.append(v)
        elif isinstance(v, Tensor):
            parts.append(("t", v.shape, v.dtype.str, v.requires_grad, v._rule is None))
            tensors[len(arrays)] = v
            arrays.append(v.data)
        else:
            hash(v)
            parts.append(("o", type(v), v) if isinstance(v, (int, float, str, bool, type(None), tuple)) else
                         ("id", id(v)))
    return (names, tuple(parts)), arrays, tensors


_OUTSIDE = ("the function returns {what} computed outside the library's operations (numpy on a tensor's "
            "data, e.g. `.numpy().argmax()`): a replay would return the first call's value. Return the tensor "
            "(or its `.item()` / `.numpy()`) and compute the rest outside the compiled function")


def _output_spec(result, rec):
    """How a replay rebuilds the function's result from the program's slots. Anything the program
    did not compute must be a constant of the function (None, strings, its parameters), never a
    value derived from the data outside the library's operations: that is refused (eager
    fallback), since a replay would return the traced value again."""
    from ..autograd.tensor import Tensor

    if isinstance(result, Tensor):
        slot = rec.slots.get(id(result))
        if slot is not None:
            return ("tensor", slot)
        for slot, v in rec.live_values():   # a new wrapper of a slot's array, e.g. p.grad
            if v is result.data:
                return ("tensor", slot)
        if result._rule is None and result.requires_grad:   # a parameter: the same object every call
            return ("const", result)
        raise Unsupported(_OUTSIDE.format(what="a tensor"))
    if isinstance(result, np.ndarray):
        for slot, v in rec.live_values():
            if v is result:
                return ("array", slot)
        if any(np.shares_memory(result, a) for a in rec.inputs):
            raise Unsupported("the function returns a view of an argument")
        for slot, v in rec.live_values():   # a copy of a computed array (p.grad.data.copy())
            if isinstance(v, np.ndarray) and v.shape == result.shape and v.dtype == result.dtype \
                    and np.array_equal(v, result, equal_nan=v.dtype.kind in "fc"):
                return ("copy", slot)
        raise Unsupported(_OUTSIDE.format(what="an array"))
    if isinstance(result, (float, int, np.generic)):
        made = set(rec.slots.values())
        for slot, v in rec.live_values():
            if slot in made and isinstance(v, np.ndarray) and v.size == 1 and type(v.item()) is type(result) \
                    and (v.item() == result or (v.item() != v.item() and result != result)):
                return ("item", slot)
        raise Unsupported(_OUTSIDE.format(what=f"a number ({type(result).__name__})"))
    if isinstance(result, (tuple, list)):
        return ("seq", type(result), [_output_spec(r, rec) for r in result])
    if isinstance(result, dict):
        return ("dict", [(k, _output_spec(v, rec)) for k, v in result.items()])
    if result is None or isinstance(result, str):
        return ("const", result)
    raise Unsupported(f"the function returns a {type(result).__name__}, which a replay cannot rebuild")


def _spec_key(spec):
    from .recorder import _key

    kind = spec[0]
    if kind == "const":
        return ("const", _key(spec[1]) if not hasattr(spec[1], "data") else id(spec[1]))
    if kind == "seq":
        return ("seq", spec[1], tuple(_spec_key(s) for s in spec[2]))
    if kind == "dict":
        return ("dict", tuple((k, _spec_key(s)) for k, s in spec[1]))
    return spec
