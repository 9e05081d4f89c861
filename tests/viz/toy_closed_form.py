"""The toy model of section 7.3 by hand: forward values (eq. 7.8) and every derivative of the
backward pass (eqs. 7.10-7.15), written out with `math` -- the oracle for the viz tests."""
from __future__ import annotations

import math

from tinygrad_udl.zoo.supervised.toy import TOY_DATA, TOY_PARAMETERS


def toy_closed_form(params=None, x=None, y=None):
    """(values, grads): {name: forward value} and {name: dl/d(name)} for the book's names."""
    p = {**TOY_PARAMETERS, **(params or {})}
    x = TOY_DATA["x"] if x is None else x
    y = TOY_DATA["y"] if y is None else y
    v = {"x": x, "y": y, **p}
    v["f0"] = p["beta0"] + p["omega0"] * x
    v["h1"] = math.sin(v["f0"])
    v["f1"] = p["beta1"] + p["omega1"] * v["h1"]
    v["h2"] = math.exp(v["f1"])
    v["f2"] = p["beta2"] + p["omega2"] * v["h2"]
    v["h3"] = math.cos(v["f2"])
    v["f3"] = p["beta3"] + p["omega3"] * v["h3"]
    v["l"] = (v["f3"] - y) ** 2
    d = {"l": 1.0}
    d["f3"] = 2 * (v["f3"] - y)                    # eq. 7.10
    d["h3"] = p["omega3"] * d["f3"]                # eq. 7.11: df3/dh3 = omega3
    d["f2"] = -math.sin(v["f2"]) * d["h3"]         # eq. 7.12: dh3/df2 = -sin f2
    d["h2"] = p["omega2"] * d["f2"]
    d["f1"] = math.exp(v["f1"]) * d["h2"]          # dh2/df1 = exp f1
    d["h1"] = p["omega1"] * d["f1"]
    d["f0"] = math.cos(v["f0"]) * d["h1"]          # dh1/df0 = cos f0
    for k in range(4):
        d[f"beta{k}"] = d[f"f{k}"]                 # eqs. 7.13-7.14: dfk/dbetak = 1
        d[f"omega{k}"] = (x if k == 0 else v[f"h{k}"]) * d[f"f{k}"]   # dfk/domegak = hk (eq. 7.15: x)
    d["x"] = p["omega0"] * d["f0"]
    d["y"] = -d["f3"]
    return v, d


# The derivatives of backward pass #1 in the book's order (eq. 7.9).
BACKWARD_1 = ["f3", "h3", "f2", "h2", "f1", "h1", "f0"]
PARAMETERS = [f"{kind}{k}" for k in range(4) for kind in ("beta", "omega")]
