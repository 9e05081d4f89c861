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
from .kernels import Site, lines_for
from .recorder import Instr, Ref


class KernelPlan:
    """What the generator needs for one kernel instruction: its code lines, the buffer index of
    its result and of each scratch array, its constants, and whether its result is handed out."""

    __slots__ = ("lines", "out", "scratch", "constants", "handed_out")

    def __init__(self, lines, out, scratch, constants, handed_out):
        self.lines, self.out, self.scratch, self.constants, self.handed_out = \
            lines, out, scratch, constants, handed_out


def _value(a, values):
    if type(a) is Ref:
        return values[a.slot]
    if isinstance(a, list):
        return [_value(x, values) for x in a]
    return a


def _kernel_lines(instr, values):
    if instr.kind == "unbroadcast":
        tag = "unbroadcast"
    elif instr.kind == "call" and instr.extra != "variadic":
        tag = instr.tag
    else:
        return None, None
    site = Site(tag, [_value(a, values) for a in instr.args], {k: _value(v, values) for k, v in instr.kwargs.items()},
                values[instr.out])
    return lines_for(tag, site), site


def optimize(program, spec, values):
    """(program with kernel instructions, buffers): `buffers` are example arrays, one per buffer
    the program owns (the generator allocates them with `np.empty_like`)."""
    # every slot's root: the slot whose memory it is (a view shares its base's; seen on the traces)
    root, last, made = {}, {}, {}
    handed_out = set(output_slots(spec))   # slots stored or passed outside the program
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
                                    and np.may_share_memory(value, values[s])), instr.out)
    dies = {}   # instruction index -> roots whose memory (every view included) is no longer read after it
    for s, r in root.items():
        dies[r] = max(dies.get(r, -1), last.get(s, -1), made[s])
    pinned = {root[s] for s in handed_out if s in root}
    free_after = {}
    for r, k in dies.items():
        free_after.setdefault(k, []).append(r)

    buffers, free, owner = [], {}, {}   # example arrays; (shape, dtype, strides) -> free buffers; root -> buffer

    def key(example):
        return example.shape, example.dtype.str, example.strides

    def take(example):
        pool = free.get(key(example))
        if pool:
            return pool.pop()
        buffers.append(example)
        return len(buffers) - 1

    out = []
    for k, instr in enumerate(program):
        lines, site = _kernel_lines(instr, values)
        if lines is not None:
            slot = instr.out
            if slot in pinned:   # handed out: a buffer of its own, never shared (it may become a read-only .grad)
                buffers.append(values[slot])
                b = len(buffers) - 1
            else:
                b = owner[slot] = take(values[slot])
            scratch = [take(np.empty_like(a)) for a in site.scratch_specs]
            for t in scratch:   # temporaries: free again once the kernel has run
                free.setdefault(key(buffers[t]), []).append(t)
            instr = Instr("kernel", args=instr.args, kwargs=instr.kwargs, out=slot, tag=site.tag,
                          extra=KernelPlan(lines, b, scratch, site.constants, slot in pinned))
        out.append(instr)
        for r in free_after.get(k, ()):
            b = owner.pop(r, None)
            if b is not None:
                free.setdefault(key(buffers[b]), []).append(b)
    return out, buffers
