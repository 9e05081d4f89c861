"""The buffer pass: results written into buffers allocated once, shared where lifetimes allow.

Every call that has a kernel (`kernels.py`) becomes a "kernel" instruction whose result -- and
whose temporaries -- live in buffers of the program. Buffers are assigned like registers: walking
the program in order, a result takes a free buffer of its exact shape, dtype and layout, or a new
one, and gives it back after the last use of the result *and* of every view of it (a reshape or
transpose made later by a call without kernel shares its memory: that is seen on the traced
values). Results the program hands out -- stored as a `.grad`, passed to an effect, returned --
keep their buffer to themselves for the whole replay.

What the pass needs to know of the traced values -- which step returned its argument, which
result is a view of which, the kernels' lines, shapes and layouts -- `TraceAnalysis` reads while
the tracer records each step, when that step's arrays are alive; so the trace need not keep its
arrays until the program is built, and the buffers are only layouts until a replay first writes
into them (codegen.Layout): the traced arrays are gone before any buffer is allocated.

Handing out a buffer is safe across replays because the generated code checks, before writing
into a buffer, that nothing outside the program still holds it (`sys.getrefcount`: a `.grad`
that was not cleared, a gradient or loss the caller kept, a numpy view of either); if something
does, that buffer is replaced by a fresh one and the old array is left to its holder, exactly as
eager mode would have allocated anew. So reuse never changes what a caller sees; it only saves
the allocations nobody could observe.
"""
from __future__ import annotations

import numpy as np

from .codegen import Layout, output_slots, uses
from .fused import fused_step
from .kernels import Site, lines_for
from .recorder import Instr, Ref, _numpy_call


class KernelPlan:
    """What the generator needs for one kernel instruction: its code lines, the buffer index of
    its result, of each scratch array, of the buffers it saves for its VJPs and of those its
    forward saved (for a VJP kernel), its constants, whether its result is handed out, and
    how many references the program itself keeps to its result's buffer besides the list of
    buffers (a fused optimizer step holds the gradient views it reads)."""

    __slots__ = ("lines", "out", "scratch", "saved", "forward_saved", "constants", "handed_out", "own_refs")

    def __init__(self, lines, out, scratch, saved, forward_saved, constants, handed_out, own_refs=0):
        self.lines, self.out, self.scratch, self.saved, self.forward_saved = lines, out, scratch, saved, forward_saved
        self.constants, self.handed_out, self.own_refs = constants, handed_out, own_refs


def _value(a, value_of):
    if type(a) is Ref:
        return value_of(a.slot)
    if isinstance(a, list):
        return [_value(x, value_of) for x in a]
    return a


def _forward_of(instr):
    """The slot of the forward result a VJP call reads (its second argument), or None."""
    if instr.kind == "call" and ".vjp" in instr.tag and len(instr.args) > 1 and type(instr.args[1]) is Ref:
        return instr.args[1].slot
    return None


class _Kernel:
    """What the pass keeps of a kernel's `Site`: its lines, constants, and the layouts of its result,
    scratch buffers and saved buffers (not the traced arrays)."""

    __slots__ = ("lines", "tag", "constants", "out", "scratch", "saved", "forward_saved")

    def __init__(self, lines, site):
        self.lines, self.tag, self.constants = lines, site.tag, site.constants
        self.out = Layout(site.out)
        self.scratch = [Layout(a) for a in site.scratch_specs]
        self.saved = [Layout(a) for a in site.saved_specs]
        self.forward_saved = bool(site.forward_saved)


def _kernel(instr, value, value_of, kernels):
    """The `_Kernel` of a call that has one (see kernels.py), or None."""
    if instr.kind == "unbroadcast":
        tag = "unbroadcast"
    elif instr.kind == "call" and instr.extra != "variadic" and instr.fn is not _numpy_call:
        tag = instr.tag   # a primitive's name (a no-gradient numpy call is tagged with its function's)
    else:
        return None
    forward = kernels.get(_forward_of(instr))
    saved = forward.saved if forward is not None else None
    site = Site(tag, [_value(a, value_of) for a in instr.args],
                {k: _value(v, value_of) for k, v in instr.kwargs.items()}, value,
                ["{f%d}" % i for i in range(len(saved))] if saved else None)
    lines = lines_for(tag, site)
    return None if lines is None else _Kernel(lines, site)


class TraceAnalysis:
    """The traced values as the buffer pass needs them, read step by step while the tracer records
    (`Recorder(..., analysis=TraceAnalysis())`):

    - `rewrites`: program index -> the step replacing it. Constant folding: a call whose arguments
      are all constants of the program (a backward pass's seed and what follows from it alone, e.g.
      the gradient of a sum) is its traced result. A call that returned one of its arguments itself
      (add's VJP passes g on) is that argument, an "alias" step instead of a Python call;
    - `root`: slot -> the slot whose memory it is (a view shares its base's);
    - `kernels`: slot -> the `_Kernel` that makes it.
    """

    def __init__(self):
        self.rewrites, self.constants, self.root, self.kernels = {}, set(), {}, {}

    def step(self, index, instr, value, value_of):
        """The program's step `index` is `instr` and made `value`; `value_of(slot)` gives the traced
        value of each slot the step reads (alive now: they are its arguments)."""
        instr = self._simplify(index, instr, value, value_of)
        out = instr.out
        if out is None or out in self.root:
            return
        self.root[out] = out
        if isinstance(value, np.ndarray):
            for s in uses(instr):
                read = value_of(s)
                if isinstance(read, np.ndarray) and np.may_share_memory(value, read):   # not an index tuple's slot
                    self.root[out] = self.root[s]
                    break
        kernel = _kernel(instr, value, value_of, self.kernels)
        if kernel is not None:
            self.kernels[out] = kernel

    def _simplify(self, index, instr, value, value_of):
        """The step as the program will run it (see `rewrites`)."""
        if instr.kind == "const":
            self.constants.add(instr.out)
        elif instr.kind in ("call", "add", "unbroadcast") and instr.out is not None:
            read = uses(instr)
            same = [s for s in read if value_of(s) is value]
            if read and all(s in self.constants for s in read):
                value = value.copy() if isinstance(value, np.ndarray) else value
                instr = self.rewrites[index] = Instr("const", out=instr.out, extra=value, tag=instr.tag)
                self.constants.add(instr.out)
            elif same:
                instr = self.rewrites[index] = Instr("alias", args=(Ref(same[0]),), out=instr.out, tag=instr.tag)
                if same[0] in self.constants:
                    self.constants.add(instr.out)
        return instr


def _fusions(program, kernels, root):
    """{effect index: (fused class, optimizer, params, gradient slots)} for the optimizer steps that
    fused.py can run on flat arrays (one parameter group of one float dtype). A gradient slot is
    given where a kernel makes the gradient and it is accumulated once before the step (it is then
    written straight into the flat array), else None (the step copies the gradient in)."""
    out, accumulated = {}, {}
    for k, instr in enumerate(program):
        if instr.kind == "accum":
            tensor, ref = instr.args
            accumulated.setdefault(id(tensor), []).append(ref.slot)
        elif instr.kind == "effect" and len(instr.args) == 1:
            opt = instr.args[0]
            fused = fused_step(opt, instr.fn)
            if fused is None or len(opt.param_groups) != 1 or not fused.covers(opt, opt.param_groups[0]):
                continue
            params = list(opt.param_groups[0]["params"])
            if not params or len({p.data.dtype for p in params}) != 1 or params[0].data.dtype.kind != "f":
                continue
            slots = []
            for p in params:
                made = accumulated.get(id(p), [])
                s = made[0] if len(made) == 1 else None
                ok = s in kernels and root[s] == s and kernels[s].out.dtype == p.data.dtype \
                    and kernels[s].out.shape == p.shape and s not in slots
                slots.append(s if ok else None)
            out[k] = fused, opt, params, slots
            accumulated.clear()
    return out


def optimize(program, spec, analysis):
    """(program with kernel instructions, buffers) for a program traced with `analysis` (a
    TraceAnalysis): `buffers` are what the program owns, one per buffer index its kernel
    instructions write into -- a Layout to allocate on first use, or a view of a fused step's flat
    gradient."""
    program = [analysis.rewrites.get(k, instr) for k, instr in enumerate(program)]
    root, kernels = analysis.root, analysis.kernels   # root: every slot's root (see TraceAnalysis)
    last, made = {}, {}
    handed_out = set(output_slots(spec))   # slots stored or passed outside the program
    for k, instr in enumerate(program):
        read = uses(instr)
        for s in read:
            last[s] = k
        if instr.kind in ("accum", "hooks", "effect"):
            handed_out.update(read)
        if instr.out is not None and instr.out not in made:
            made[instr.out] = k
    dies = {}   # root -> the last instruction reading it or any view of it
    for s, r in root.items():
        dies[r] = max(dies.get(r, -1), last.get(s, -1), made[s])
    pinned = {root[s] for s in handed_out if s in root}
    free_after = {}
    for r, k in dies.items():
        free_after.setdefault(k, []).append(r)

    buffers, free, owner = [], {}, {}   # Layouts (or flat views); Layout.key() -> free buffers; root -> buffers
    saved = {}   # forward slot -> the buffers its kernel saved for its VJPs
    fusions, flat_views = _fusions(program, kernels, root), {}
    steps = {}
    for k, (fused, opt, params, slots) in fusions.items():
        flat = np.empty(sum(p.data.size for p in params), params[0].data.dtype)
        views, start = [], 0
        for p, s in zip(params, slots):   # the gradients as views of one flat array, in parameter order
            views.append(flat[start:start + p.data.size].reshape(p.shape))
            start += p.data.size
            if s is not None:   # written there by its kernel
                flat_views[s] = views[-1]
        steps[k] = fused(opt, program[k].fn, params, views, flat)

    def take(layout):
        pool = free.get(layout.key())
        if pool:
            return pool.pop()
        buffers.append(layout)
        return len(buffers) - 1

    out = []
    for k, instr in enumerate(program):
        if instr.out in kernels:
            slot = instr.out
            kernel = kernels[slot]
            if slot in pinned:   # handed out: a buffer of its own, never shared (it may become a read-only .grad)
                buffers.append(flat_views.get(slot, kernel.out))
                b = len(buffers) - 1
            else:
                b = take(kernel.out)
                owner.setdefault(slot, []).append(b)
            saved[slot] = [take(a) for a in kernel.saved]   # live as long as the result
            owner.setdefault(slot, []).extend(saved[slot])
            scratch = [take(a) for a in kernel.scratch]
            for t in scratch:   # temporaries: free again once the kernel has run
                free.setdefault(buffers[t].key(), []).append(t)
            forward_saved = saved.get(_forward_of(instr), []) if kernel.forward_saved else []
            instr = Instr("kernel", args=instr.args, kwargs=instr.kwargs, out=slot, tag=kernel.tag,
                          extra=KernelPlan(kernel.lines, b, scratch, saved[slot], forward_saved, kernel.constants,
                                           slot in pinned, int(slot in flat_views)))
        elif k in steps:
            instr = Instr("effect", steps[k], (), tag=steps[k].__name__)
        out.append(instr)
        for r in free_after.get(k, ()):
            for b in owner.pop(r, ()):
                free.setdefault(buffers[b].key(), []).append(b)
    return out, buffers
