"""Grids of runs and the names of their result files.

A *run* is a dict of parameters (plain JSON values: numbers, strings, booleans, None, lists),
always with a `seed`. A *grid* is a dict `{parameter: [values]}` whose product is taken, or a list
of such dicts whose runs are concatenated (a union of products: fig. 9.5 varies the learning rate
at one batch size and the batch size at one learning rate). A single value stands for a list of
one. `expand(grid, seeds)` lists the runs in a fixed order: the grid's order, then the seeds.

A run's result file is named by `run_key(function, params, version)`: the SHA-256 of the canonical
JSON (sorted keys, no spaces) of the function's import path, the parameters and the sweep's
version. The same run therefore always has the same file, whichever machine or backend computed
it, and any change of a parameter (or a bump of `version` after a change of the code) gives a new
one.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import math

KEY_LENGTH = 16  # hex digits of the SHA-256 in a file name: 64 bits, no collision in any sweep


def _check_value(value, where):
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where}: {value!r} is not a finite number (a run's parameters are plain JSON)")
        return value
    if isinstance(value, list | tuple):
        return [_check_value(v, where) for v in value]
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item) and getattr(value, "ndim", None) == 0:
        return _check_value(item(), where)
    raise TypeError(f"{where}: a run's parameters must be numbers, strings, booleans, None or lists of them; "
                    f"got {type(value).__name__} {value!r:.60}")


def _products(grid):
    if isinstance(grid, dict):
        grid = [grid]
    if not isinstance(grid, list | tuple) or not grid:
        raise TypeError(f"a grid is a dict {{parameter: [values]}} or a non-empty list of them, got {grid!r:.80}")
    return grid


def expand(grid, seeds=(0,)) -> list[dict]:
    """Every run of `grid` (a dict of value lists, or a list of such dicts) for every seed in `seeds`:
    a list of parameter dicts, each with its `seed`, in grid order then seed order, duplicates removed.

    >>> expand({"width": [2, 4], "lr": 0.1}, seeds=[0, 1])[:2]
    [{'width': 2, 'lr': 0.1, 'seed': 0}, {'width': 2, 'lr': 0.1, 'seed': 1}]
    """
    seeds = [seeds] if isinstance(seeds, int) else list(seeds)
    if not seeds or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in seeds):
        raise ValueError(f"seeds must be a non-empty list of non-negative ints, got {seeds!r}")
    runs, seen = [], set()
    for product in _products(grid):
        if not isinstance(product, dict):
            raise TypeError(f"a grid entry must be a dict {{parameter: [values]}}, got {product!r:.80}")
        names = list(product)
        if "seed" in names:
            raise ValueError("a grid names no `seed`: the seeds are given separately (seeds=[...], --seeds)")
        values = [v if isinstance(v, list | tuple) else [v] for v in product.values()]
        for combination in itertools.product(*values):
            for seed in seeds:
                params = {name: _check_value(v, f"grid parameter {name!r}") for name, v in zip(names, combination)}
                params["seed"] = seed
                key = canonical(params)
                if key not in seen:
                    seen.add(key)
                    runs.append(params)
    return runs


def canonical(value) -> str:
    """The canonical JSON text of `value`: sorted keys, no spaces (floats as Python's repr)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def run_key(function: str, params: dict, version=1) -> str:
    """The name of a run's result file (without `.json`): a hash of what determines the run."""
    text = canonical({"function": function, "params": params, "version": version})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:KEY_LENGTH]


def describe(params: dict) -> str:
    """`width=4 lr=0.1 seed=0`: a run's parameters in one line, for messages."""
    return " ".join(f"{name}={value}" for name, value in params.items())
