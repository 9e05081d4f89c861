"""A recorded program as one Python function of straight-line numpy code.

Each instruction becomes one line, `v7 = c3(AM, v2, v5, axis=c4)`, with the primitive's forward or
VJP function, parameters and constants bound as globals of the generated function: no Tensor
nodes, no topological sort, no gradient dictionary, no rule look-up at replay time -- only the
calls the eager step made on arrays, in the same order. Every slot is deleted after its last use
(`del v7`), so arrays are freed when eager mode would free them (or earlier). The program's own
buffers (optimize.py) are allocated by the generated code when it first writes into them, from
their `Layout`: building a program allocates none of them.
"""
from __future__ import annotations

import sys

import numpy as np

from ..autograd.backends import ArrayMath
from .recorder import Ref


class Layout:
    """A buffer's shape, dtype and strides (those of the traced array it stands for), so that it can
    be allocated when first written into, after the trace's arrays are gone."""

    __slots__ = ("shape", "dtype", "strides")

    def __init__(self, a):
        self.shape, self.dtype, self.strides = a.shape, a.dtype, a.strides

    def key(self):
        return self.shape, self.dtype.str, self.strides

    def empty(self):
        """A new array of this layout, owning its memory (as `np.empty_like` of the traced array;
        the layouts of buffers are dense, so the strides cover exactly `size` elements)."""
        return np.ndarray(self.shape, self.dtype, strides=self.strides)


class _Names:
    def __init__(self):
        self.ns = {"AM": ArrayMath, "asarray": np.asarray, "unbroadcast": ArrayMath.unbroadcast, "np": np,
                   "held": sys.getrefcount}
        self.ids = {}

    def const(self, value):
        key = id(value)
        name = self.ids.get(key)
        if name is None:
            name = self.ids[key] = f"c{len(self.ids)}"
            self.ns[name] = value
        return name


def _expr(v, names):
    if type(v) is Ref:
        return f"v{v.slot}"
    if isinstance(v, list) and any(type(x) is Ref for x in v):
        return "[" + ", ".join(_expr(x, names) for x in v) + "]"
    if isinstance(v, (bool, int, type(None))) or (isinstance(v, float) and np.isfinite(v)):
        return repr(v)
    return names.const(v)


def uses(instr):
    """The slots an instruction reads."""
    out = []
    for a in list(instr.args) + list(instr.kwargs.values()):
        if type(a) is Ref:
            out.append(a.slot)
        elif isinstance(a, list):
            out += [x.slot for x in a if type(x) is Ref]
    return out


def output_slots(spec):
    kind = spec[0]
    if kind in ("tensor", "array", "item", "copy"):
        return [spec[1]]
    if kind == "seq":
        return [s for sub in spec[2] for s in output_slots(sub)]
    if kind == "dict":
        return [s for _, sub in spec[1] for s in output_slots(sub)]
    return []


def _out_expr(spec, names):
    kind = spec[0]
    if kind == "tensor":
        return f"wrap(v{spec[1]})"
    if kind == "array":
        return f"v{spec[1]}"
    if kind == "copy":
        return f"v{spec[1]}.copy()"
    if kind == "item":
        return f"v{spec[1]}.item()"
    if kind == "seq":
        inner = ", ".join(_out_expr(s, names) for s in spec[2])
        return f"({inner},)" if spec[1] is tuple else f"[{inner}]"
    if kind == "dict":
        return "{" + ", ".join(f"{_expr(k, names)}: {_out_expr(s, names)}" for k, s in spec[1]) + "}"
    return names.const(spec[1])


def _own_references():
    """What `held(v)` returns in generated code for a buffer nobody else holds (the list B, the
    local v, getrefcount's argument; measured, since interpreters differ in what they count)."""
    ns = {"held": sys.getrefcount}
    exec("def probe(B):\n    v = B[0]\n    return held(v)\n", ns)
    return ns["probe"]([np.empty(1)])


_OWN = _own_references()


def _take_buffer(var, b, written_flags, own_refs=0):
    """Lines binding buffer `b` to `var`: allocated on first use (None before), replaced by a fresh
    array if something outside still holds it (see optimize.py); `written_flags`: made writeable
    again (a `.grad` it was is read-only); `own_refs`: references the program keeps to it elsewhere."""
    lines = [f"{var} = B[{b}]", f"if {var} is None or held({var}) > {_OWN + own_refs}:",
             f"    {var} = B[{b}] = new({b})"]
    if written_flags:
        lines += ["else:", f"    {var}.flags.writeable = True"]
    return lines


def _kernel_lines(instr, names):
    plan = instr.extra
    args = [_expr(a, names) for a in instr.args]
    fields = {"out": f"v{instr.out}"}
    fields.update({k: _expr(v, names) for k, v in instr.kwargs.items()})
    fields.update({f"t{i}": f"b{b}" for i, b in enumerate(plan.scratch)})
    fields.update({f"s{i}": f"b{b}" for i, b in enumerate(plan.saved)})
    fields.update({f"f{i}": f"B[{b}]" for i, b in enumerate(plan.forward_saved)})
    fields.update({f"k{i}": names.const(c) for i, c in enumerate(plan.constants)})
    lines = _take_buffer(f"v{instr.out}", plan.out, plan.handed_out, plan.own_refs)
    written = list(dict.fromkeys(plan.scratch + plan.saved))
    for b in written:
        lines += _take_buffer(f"b{b}", b, False)
    lines += [line.format(*args, **fields) for line in plan.lines]
    lines.append(f"# {instr.tag}")
    if written:
        lines.append("del " + ", ".join(f"b{b}" for b in written))
    return lines


# the steps of two operands (slots, or a leaf tensor and a slot) written as one line each
_TWO_OPERANDS = {"add": "v{o} = {0} + {1}", "unbroadcast": "v{o} = unbroadcast({0}, {1})",
                 "accum": "{0}._accumulate_grad({1})", "hooks": "v{o} = {0}._run_hooks({1})"}


def generate(program, out_spec, name="compiled_step", buffers=()):
    """(function(inputs) -> result, source) for a recorded program and its output spec; `buffers`
    are what its kernel instructions write into (optimize.py): a `Layout` (allocated on first use)
    or an array (a view of a fused optimizer step's flat gradient)."""
    from ..autograd.tensor import Tensor

    names = _Names()
    names.ns["wrap"] = Tensor._wrap
    names.ns["B"] = [b if isinstance(b, np.ndarray) else None for b in buffers]
    layouts = [Layout(b) if isinstance(b, np.ndarray) else b for b in buffers]
    names.ns["new"] = lambda b: layouts[b].empty()
    keep = set(output_slots(out_spec))
    last = {}
    for k, instr in enumerate(program):
        for s in uses(instr):
            last[s] = k
    lines = [f"def {name}(inputs):"]
    for k, instr in enumerate(program):
        kind, o = instr.kind, instr.out
        if kind == "input":
            i, dtype = instr.args[0], instr.extra
            src = f"inputs[{i}]" if dtype is None else f"inputs[{i}].astype({names.const(dtype)})"
            lines.append(f"    v{o} = {src}")
        elif kind == "param":
            lines.append(f"    v{o} = {names.const(instr.args[0])}.data")
        elif kind == "const":
            lines.append(f"    v{o} = {names.const(instr.extra)}")
        elif kind == "call":
            args = ["AM"] + [_expr(a, names) for a in instr.args]
            args += [f"{k_}={_expr(v, names)}" for k_, v in instr.kwargs.items()]
            call = f"{names.const(instr.fn)}({', '.join(args)})"
            lines.append(f"    v{o} = {'asarray(' + call + ')' if instr.extra is True else call}  # {instr.tag}")
        elif kind == "alias":   # a call that hands back its argument (optimize.py)
            lines.append(f"    v{o} = v{instr.args[0].slot}  # {instr.tag}")
        elif kind in _TWO_OPERANDS:
            lines.append("    " + _TWO_OPERANDS[kind].format(*(_expr(a, names) for a in instr.args), o=o))
        elif kind == "source":
            args = ", ".join(_expr(a, names) for a in instr.args)
            lines.append(f"    v{o} = {names.const(instr.fn)}({args})  # {instr.tag}")
        elif kind == "effect":
            args = ", ".join(_expr(a, names) if type(a) is Ref or a is None else names.const(a) for a in instr.args)
            lines.append(f"    {names.const(instr.fn)}({args})  # {instr.tag}")
        elif kind == "kernel":
            lines += ["    " + line for line in _kernel_lines(instr, names)]
        else:
            raise AssertionError(kind)
        dead = sorted({s for s in uses(instr) if last.get(s) == k and s not in keep})
        if dead:
            lines.append("    del " + ", ".join(f"v{s}" for s in dead))
    lines.append(f"    return {_out_expr(out_spec, names)}")
    source = "\n".join(lines) + "\n"
    code = compile(source, f"<tinygrad_udl.compile {name}>", "exec")
    ns = dict(names.ns)
    exec(code, ns)
    return ns[name], source
