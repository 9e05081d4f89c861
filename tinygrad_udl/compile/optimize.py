"""The buffer pass: results written into buffers allocated once, shared where lifetimes allow.

Every call that has a kernel (`kernels.py`) becomes a "kernel" instruction whose result -- and
whose temporaries -- live in buffers of the program. Buffers are assigned like registers: walking
the program in order, a result takes a free buffer of its exact shape, dtype and layout, or a new
one, and gives it back after the last use of the result *and* of every view of it (a reshape or
transpose made later by a call without kernel shares its memory: that is seen on the traced
values). Results the program hands out -- stored as a `.grad`, passed to an effect, returned --
keep their buffer to themselves for the whole replay.

Handing out a buffer is safe across replays because the generated code checks, before writing
into a buffer, that nothing outside the program still holds it (`sys.getrefcount`: a `.grad`
that was not cleared, a gradient or loss the caller kept, a numpy view of either); if something
does, that buffer is replaced by a fresh one and the old array is left to its holder, exactly as
eager mode would have allocated anew. So reuse never changes what a caller sees; it only saves
the allocations nobody could observe.
"""
from __future__ import annotations

import numpy as np

from .codegen import output_slots, uses
from .fused import fused_step
from .kernels import Site, lines_for
from .recorder import Instr, Ref


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


def _value(a, values):
    if type(a) is Ref:
        return values[a.slot]
    if isinstance(a, list):
        return [_value(x, values) for x in a]
    return a


def _forward_of(instr):
    """The slot of the forward result a VJP call reads (its second argument), or None."""
    if instr.kind == "call" and ".vjp" in instr.tag and len(instr.args) > 1 and type(instr.args[1]) is Ref:
        return instr.args[1].slot
    return None


def _kernel_lines(instr, values, kernels):
    if instr.kind == "unbroadcast":
        tag = "unbroadcast"
    elif instr.kind == "call" and instr.extra != "variadic":
        tag = instr.tag
    else:
        return None, None
    forward = kernels.get(_forward_of(instr))
    saved = forward and forward[1].saved_specs
    site = Site(tag, [_value(a, values) for a in instr.args], {k: _value(v, values) for k, v in instr.kwargs.items()},
                values[instr.out], ["{f%d}" % i for i in range(len(saved))] if saved else None)
    return lines_for(tag, site), site


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
                ok = s in kernels and root[s] == s and kernels[s][1].out.dtype == p.data.dtype \
                    and kernels[s][1].out.shape == p.shape and s not in slots
                slots.append(s if ok else None)
            out[k] = fused, opt, params, slots
            accumulated.clear()
    return out


def _simplify(program, values):
    """Two rewrites before the buffers are planned, both read off the traced values:

    - constant folding: a call whose arguments are all constants of the program (a backward
      pass's seed and what follows from it alone, e.g. the gradient of a sum) is its traced result;
    - a call that returned one of its arguments itself (add's VJP passes g on) is that argument,
      an "alias" step instead of a Python call.
    """
    constants, out = set(), []
    for instr in program:
        if instr.kind == "const":
            constants.add(instr.out)
        elif instr.kind in ("call", "add", "unbroadcast") and instr.out is not None:
            read = uses(instr)
            value = values[instr.out]
            same = [s for s in read if values[s] is value]
            if read and all(s in constants for s in read):
                value = value.copy() if isinstance(value, np.ndarray) else value
                instr = Instr("const", out=instr.out, extra=value, tag=instr.tag)
                constants.add(instr.out)
            elif same:
                instr = Instr("alias", args=(Ref(same[0]),), out=instr.out, tag=instr.tag)
                if same[0] in constants:
                    constants.add(instr.out)
        out.append(instr)
    return out


def optimize(program, spec, values):
    """(program with kernel instructions, buffers): `buffers` are the arrays the program owns, one
    per buffer index its kernel instructions write into."""
    program = _simplify(program, values)
    # every slot's root: the slot whose memory it is (a view shares its base's; seen on the traces)
    root, last, made = {}, {}, {}
    handed_out = set(output_slots(spec))   # slots stored or passed outside the program
    kernels = {}                           # slot -> (lines, site) of the kernel that makes it
    for k, instr in enumerate(program):
        read = uses(instr)
        for s in read:
            last[s] = k
        if instr.kind in ("accum", "hooks", "effect"):
            handed_out.update(read)
        if instr.out is not None and instr.out not in root:
            made[instr.out] = k
            value = values[instr.out]
            root[instr.out] = next((root[s] for s in read if isinstance(value, np.ndarray)
                                    and isinstance(values[s], np.ndarray)   # not an index tuple's slot
                                    and np.may_share_memory(value, values[s])), instr.out)
            lines, site = _kernel_lines(instr, values, kernels)
            if lines is not None:
                kernels[instr.out] = lines, site
    dies = {}   # root -> the last instruction reading it or any view of it
    for s, r in root.items():
        dies[r] = max(dies.get(r, -1), last.get(s, -1), made[s])
    pinned = {root[s] for s in handed_out if s in root}
    free_after = {}
    for r, k in dies.items():
        free_after.setdefault(k, []).append(r)

    buffers, free, owner = [], {}, {}   # arrays; (shape, dtype, strides) -> free buffers; root -> buffers
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

    def key(example):
        return example.shape, example.dtype.str, example.strides

    def take(example):
        pool = free.get(key(example))
        if pool:
            return pool.pop()
        buffers.append(np.empty_like(example))
        return len(buffers) - 1

    out = []
    for k, instr in enumerate(program):
        if instr.out in kernels:
            slot = instr.out
            lines, site = kernels[slot]
            if slot in pinned:   # handed out: a buffer of its own, never shared (it may become a read-only .grad)
                buffers.append(flat_views[slot] if slot in flat_views else np.empty_like(values[slot]))
                b = len(buffers) - 1
            else:
                b = take(values[slot])
                owner.setdefault(slot, []).append(b)
            saved[slot] = [take(a) for a in site.saved_specs]   # live as long as the result
            owner.setdefault(slot, []).extend(saved[slot])
            scratch = [take(a) for a in site.scratch_specs]
            for t in scratch:   # temporaries: free again once the kernel has run
                free.setdefault(key(buffers[t]), []).append(t)
            forward_saved = saved.get(_forward_of(instr), []) if site.forward_saved else []
            instr = Instr("kernel", args=instr.args, kwargs=instr.kwargs, out=slot, tag=site.tag,
                          extra=KernelPlan(lines, b, scratch, saved[slot], forward_saved, site.constants,
                                           slot in pinned, int(slot in flat_views)))
        elif k in steps:
            instr = Instr("effect", steps[k], (), tag=steps[k].__name__)
        out.append(instr)
        for r in free_after.get(k, ()):
            for b in owner.pop(r, ()):
                free.setdefault(key(buffers[b]), []).append(b)
    return out, buffers
