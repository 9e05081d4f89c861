"""Run functions for the sweep tests, importable by the workers (the test folder is on sys.path, and
multiprocessing hands sys.path to its workers).

`toy_run` is a pure function of its numbers; `log` names a file it appends its parameters to (to
count calls across processes), `fail_flag` and `crash_flag` name files whose existence makes the
run with a == 3 raise, or the run with a == 2, b == 0 kill its worker process.
"""
import json
import os

import numpy as np


def toy_run(a, b, seed, log=None, fail_flag=None, crash_flag=None):
    if log is not None:
        with open(log, "a", encoding="utf-8") as f:
            f.write(json.dumps({"a": a, "b": b, "seed": seed}) + "\n")
    if fail_flag is not None and a == 3 and os.path.exists(fail_flag):
        raise ValueError(f"injected failure at a={a}")
    if crash_flag is not None and a == 2 and b == 0.0 and os.path.exists(crash_flag):
        os._exit(3)
    x = np.random.default_rng(seed).standard_normal(64)
    y = np.tanh(a * x + b)
    return {"value": float(y.sum()), "spread": float(y.std()), "curve": y[:4]}


def calls(log):
    """The (a, b, seed) of every call logged so far."""
    if not os.path.exists(log):
        return []
    with open(log, encoding="utf-8") as f:
        return [tuple(json.loads(line).values()) for line in f]
