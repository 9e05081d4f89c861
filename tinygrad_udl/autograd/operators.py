"""`+`, `-` and `*` and their reflected forms, written once for both engines.

Each operator is a primitive of `rules.py` with its operands in order (`2 - x` is SUB(2, x)). What
a number operand becomes is the engine's business, so each engine hands in its own
`binary(rule, a, b)`: `Value` makes the number a parameter of the call (`rules.with_constant`),
`Tensor` lifts it to a tensor of its dtype. Division and powers are not here: `Value` checks their
domains first.
"""
from __future__ import annotations

from . import rules as R


def add_arithmetic_operators(cls, binary):
    """Give the node class `cls` the six operators, each one call of `binary(rule, a, b)`.

    `binary` is bound in a closure rather than looked up on the class: these run once per scalar
    operation, and a closure costs nothing over an operator written out in the class body.
    """
    def __add__(self, other):
        return binary(R.ADD, self, other)

    def __radd__(self, other):
        return binary(R.ADD, other, self)

    def __sub__(self, other):
        return binary(R.SUB, self, other)

    def __rsub__(self, other):
        return binary(R.SUB, other, self)

    def __mul__(self, other):
        return binary(R.MUL, self, other)

    def __rmul__(self, other):
        return binary(R.MUL, other, self)

    for method in (__add__, __radd__, __sub__, __rsub__, __mul__, __rmul__):
        method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"   # tracebacks name the engine
        setattr(cls, method.__name__, method)
