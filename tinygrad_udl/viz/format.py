"""Numbers and arrays as short text, for graph labels and backward traces.

A scalar is printed in full; a small array (at most `SMALL` elements) element by element; a larger
one as a summary (min / mean / max and its 2-norm), so that a drawing of a real network stays
readable. Formatting is a pure function of the numbers: the same graph gives the same text.
"""
from __future__ import annotations

import numpy as np

SMALL = 9  # arrays with at most this many elements are shown element by element


def number(x, digits: int) -> str:
    """`x` with `digits` significant digits ('-0' printed as '0')."""
    x = float(x)
    return f"{x + 0.0:.{digits}g}"  # + 0.0 turns -0.0 into 0.0


def lines(x, digits: int) -> list[str]:
    """A float or an array as one or more lines of text."""
    if isinstance(x, float | int):
        return [number(x, digits)]
    a = np.asarray(x)
    if a.ndim == 0:
        return [number(a, digits)]
    if a.size <= SMALL:
        text = np.array2string(a, separator=", ", formatter={"all": lambda v: number(v, digits)})
        return text.splitlines()
    a = a.astype(np.float64)
    return [f"min {number(a.min(), digits)}  mean {number(a.mean(), digits)}  max {number(a.max(), digits)}",
            f"norm {number(np.linalg.norm(a.ravel()), digits)}"]


def one_line(x, digits: int) -> str:
    """`lines(x)` joined on one line (for table cells)."""
    return " ".join(s.strip() for s in lines(x, digits)).replace("[ ", "[")


def shape_and_dtype(data) -> str:
    """'(3, 4) float32' for an array; '' for a Python float (a Value has no shape or dtype)."""
    if isinstance(data, float | int):
        return ""
    a = np.asarray(data)
    return f"{a.shape} {a.dtype}"
