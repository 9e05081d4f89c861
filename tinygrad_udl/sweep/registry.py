"""The book's analysis experiments as sweeps (chapters 8, 9, 11 and 20), by name.

Each module of `analysis/experiments/` defines `SWEEPS`, a tuple of `Sweep`s: the run function,
the default grid (minutes on a 2-core machine), the book's grid (`--full`), the comparison with
the book's printed numbers and the figure. `sweeps()` collects them in book order.
"""
from __future__ import annotations

import functools
import importlib

MODULES = ("tinygrad_udl.analysis.experiments.ch8", "tinygrad_udl.analysis.experiments.ch9",
           "tinygrad_udl.analysis.experiments.ch11", "tinygrad_udl.analysis.experiments.ch20")


@functools.cache
def sweeps() -> dict:
    """name -> Sweep, in book order."""
    found = {}
    for module in MODULES:
        for sweep in importlib.import_module(module).SWEEPS:
            if sweep.name in found:
                raise ValueError(f"two sweeps are called {sweep.name!r}")
            found[sweep.name] = sweep
    return found


def get(name):
    """The sweep called `name`; a KeyError lists the names that exist."""
    found = sweeps()
    if name not in found:
        raise KeyError(f"no sweep called {name!r}; the sweeps are: {', '.join(found)}")
    return found[name]
