"""Products of tensors: `matmul` (also `a @ b` and `a.matmul(b)`), `dot`, `outer` and `einsum`,
differentiable in every operand.
"""
from __future__ import annotations

from . import rules as R
from .operands import _check_promotion, _operand
from .shapes import ShapeError
from .tensor import Tensor, apply, tensor


def matmul(a, b):
    """numpy's matmul with gradients: 1-D operands are promoted, batch dimensions broadcast."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = tensor(a)
    a = a if isinstance(a, Tensor) else _operand(a, b)
    b = b if isinstance(b, Tensor) else _operand(b, a)
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"matmul: operands must have at least 1 dimension, got shapes {a.shape} and {b.shape}; use * for scalars")
    if a.data.dtype is not b.data.dtype:
        _check_promotion("matmul", a, b)
    return apply(R.MATMUL, a, b)


def dot(a, b):
    """numpy's dot for 1-D and 2-D operands (for more dimensions use matmul or einsum)."""
    a, b = tensor(a), tensor(b)
    if a.ndim > 2 or b.ndim > 2:
        raise ShapeError(f"dot: shapes {a.shape} and {b.shape}: dot is defined here for 1-D and 2-D tensors; use matmul (batched) or einsum")
    return matmul(a, b)


def outer(a, b):
    a, b = tensor(a), tensor(b)
    return a.reshape(-1, 1) * b.reshape(1, -1)


def _einsum_explicit(subscripts, operands, context):
    """The subscripts as explicit letters, one string per operand and one for the output: '...'
    becomes letters the subscripts do not use (aligned on the right, as numpy broadcasts), and an
    implicit output (no '->') is written out: the '...' axes, then the letters that occur once,
    in alphabetical order."""
    spec = subscripts.replace(" ", "")
    lhs, arrow, output = spec.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(operands):
        raise ValueError(f"{context}: the subscripts name {len(inputs)} operand(s) but {len(operands)} were given")
    for s in inputs + [output]:
        rest = s.replace("...", "", 1)
        if rest and not (rest.isascii() and rest.isalpha()):
            raise ValueError(f"{context}: '{s}' may hold only letters and one '...'")
    named = [len(s) - 3 if "..." in s else len(s) for s in inputs]
    for i, (s, n, t) in enumerate(zip(inputs, named, operands)):
        if n > t.ndim or (n < t.ndim and "..." not in s):
            raise ShapeError(f"{context}: operand {i} ('{s}') names {n} axes but has {t.ndim} dimension(s)")
    width = max((t.ndim - n for n, t in zip(named, operands)), default=0)
    spare = "".join(c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in spec)[:width]
    if not arrow:
        letters = lhs.replace("...", "").replace(",", "")
        output = ("..." if "..." in lhs else "") + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    elif width and "..." not in output:
        raise ValueError(f"{context}: '...' stands for {width} axes of the operands but is missing from the output")
    inputs = [s.replace("...", spare[width - (t.ndim - n):]) for s, n, t in zip(inputs, named, operands)]
    output = output.replace("...", spare)
    for c in output:
        if output.count(c) > 1 or c not in "".join(inputs):
            raise ValueError(f"{context}: output letter '{c}' is {'repeated' if output.count(c) > 1 else 'in no operand'}")
    return inputs, output


def einsum(subscripts, *operands):
    """Einstein summation as numpy's, differentiable in every operand: einsum("ij,jk->ik", A, B).

    '...' stands for broadcast axes ("...ij,...jk->...ik"); a letter repeated within one operand
    reads a diagonal ("ii->i"; "ii->" is the trace). The EINSUM primitive only sees explicit
    subscripts with distinct letters in each operand: each repeated letter is taken out first by
    `Tensor.diagonal` (array_ops.py), so its gradient is diagonal's.
    """
    operands = [tensor(t) for t in operands]
    context = f"einsum '{subscripts}' with shapes {', '.join(str(t.shape) for t in operands) or '(none)'}"
    inputs, output = _einsum_explicit(subscripts, operands, context)
    for i, s in enumerate(inputs):
        while len(set(s)) < len(s):
            c = next(c for c in s if s.count(c) > 1)
            p = s.index(c)
            q = s.index(c, p + 1)
            t = operands[i]
            if t.shape[p] != t.shape[q]:
                raise ShapeError(f"{context}: operand {i} repeats '{c}' (a diagonal) on axes of sizes {t.shape[p]} "
                                 f"and {t.shape[q]}; they must be equal")
            operands[i] = t.diagonal(0, p, q)   # the diagonal becomes the last axis
            s = s[:p] + s[p + 1:q] + s[q + 1:] + c
        inputs[i] = s
    sizes = {}
    for s, t in zip(inputs, operands):
        for c, n in zip(s, t.shape):
            if sizes.get(c, 1) not in (1, n) and n != 1:
                raise ShapeError(f"{context}: letter '{c}' has size {sizes[c]} in one operand and {n} in another")
            sizes[c] = n if sizes.get(c, 1) == 1 else sizes[c]
    # A size-1 axis broadcasts against its letter's size elsewhere (as in numpy). Broadcast it
    # explicitly, so that the einsum VJP sees equal sizes and broadcast_to's VJP sums the gradient back.
    operands = [t.broadcast_to(tuple(sizes[c] for c in s)) for s, t in zip(inputs, operands)]
    return apply(R.EINSUM, *operands, subscripts=",".join(inputs) + "->" + output)
