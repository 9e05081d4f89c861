"""The toy model of section 7.3, on `Value`s: the book's backpropagation example.

    f[x, phi] = beta3 + omega3 * cos[beta2 + omega2 * exp[beta1 + omega1 * sin[beta0 + omega0 * x]]]   (eq. 7.5)
    l_i = (f[x_i, phi] - y_i)^2                                                                        (eq. 7.6)

`toy_model()` builds the forward pass of eq. 7.8 node by node with the book's names (f0, h1, f1,
..., f3, l), so that the graph drawing, the backward trace (eqs. 7.9-7.15) and the gradient check
all show the book's quantities.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ...autograd.value import Value

# Parameter and data values of the book's companion notebook for section 7.3 (any values work).
TOY_PARAMETERS = {"beta0": 1.0, "beta1": 2.0, "beta2": -3.0, "beta3": 0.4,
                  "omega0": 0.1, "omega1": -0.4, "omega2": 2.0, "omega3": 3.0}
TOY_DATA = {"x": 2.3, "y": 2.0}


@dataclass
class ToyGraph:
    """The nodes of eq. 7.8 by the book's names, plus the parameters and the data."""

    params: dict
    x: Value
    y: Value
    f0: Value
    h1: Value
    f1: Value
    h2: Value
    f2: Value
    h3: Value
    f3: Value
    loss: Value

    def forward_values(self):
        """The intermediate quantities of eq. 7.8, in order, as floats."""
        return {k: getattr(self, k).data for k in ("f0", "h1", "f1", "h2", "f2", "h3", "f3", "loss")}


def toy_model(params=None, x=None, y=None) -> ToyGraph:
    """Build the forward pass of eq. 7.8 on Values (one node per quantity, each labelled).

    `params` overrides parameters by name, with numbers or with Values (to differentiate through)."""
    p = {k: v if isinstance(v, Value) else Value(v, label=k) for k, v in {**TOY_PARAMETERS, **(params or {})}.items()}
    xv = Value(TOY_DATA["x"] if x is None else x, label="x")
    yv = Value(TOY_DATA["y"] if y is None else y, label="y")
    f0 = _named(p["beta0"] + p["omega0"] * xv, "f0")
    h1 = _named(f0.sin(), "h1")
    f1 = _named(p["beta1"] + p["omega1"] * h1, "f1")
    h2 = _named(f1.exp(), "h2")
    f2 = _named(p["beta2"] + p["omega2"] * h2, "f2")
    h3 = _named(f2.cos(), "h3")
    f3 = _named(p["beta3"] + p["omega3"] * h3, "f3")
    loss = _named((f3 - yv) ** 2, "l")
    return ToyGraph(p, xv, yv, f0, h1, f1, h2, f2, h3, f3, loss)


def _named(v, label):
    v.label = label
    return v


def toy_domega0_closed_form(params=None, x=None, y=None) -> float:
    """dl/domega0 written out by hand (eq. 7.7): an oracle independent of the engine."""
    p = {**TOY_PARAMETERS, **(params or {})}
    x = TOY_DATA["x"] if x is None else x
    y = TOY_DATA["y"] if y is None else y
    f0 = p["beta0"] + p["omega0"] * x
    f1 = p["beta1"] + p["omega1"] * math.sin(f0)
    f2 = p["beta2"] + p["omega2"] * math.exp(f1)
    f3 = p["beta3"] + p["omega3"] * math.cos(f2)
    return (-2 * (f3 - y) * p["omega3"] * math.sin(f2) * p["omega2"] * math.exp(f1) * p["omega1"]
            * math.cos(f0) * x)
