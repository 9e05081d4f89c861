"""How many threads BLAS (numpy's matrix products) may use while a command runs.

OpenBLAS starts one thread per core. The zoo's models multiply small matrices, where the threads
spend more time waiting for each other than computing, and on a busy machine they wait for cores
too. Measured on a shared 2-core machine (load 5), `train mnist1d-mlp --steps 1000`: 1.6-1.9 s of
training with one thread, 15-28 s with two (OpenBLAS's default there); the whole fig. 8.2 run took
2.8 s against 99.8 s. So the command line uses DEFAULT = 1 thread unless `--threads N` says
otherwise; `--threads 0` leaves BLAS alone (its own default, or OPENBLAS_NUM_THREADS and friends).
"""
from __future__ import annotations

import contextlib
import os

DEFAULT = 1

# Read by a BLAS or OpenMP library when it is loaded: they reach the libraries loaded only while
# the command runs (scipy brings its own OpenBLAS), which threadpoolctl cannot see yet.
_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def blas_threads(n):
    """Limit BLAS to `n` threads inside the block (0: no limit); yields a one-line description."""
    if n == 0:
        yield "BLAS threads: the library's default (--threads 0)"
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # not a core dependency (yet): run anyway, and say how to get the limit
        yield f"BLAS threads: the library's default (pip install threadpoolctl to limit them to {n})"
        return
    why = "fastest for the book's small models; " if n == DEFAULT else ""
    with _environment({name: str(n) for name in _VARIABLES}), threadpool_limits(limits=n, user_api="blas"):
        yield f"BLAS threads: {n} ({why}--threads N to change, 0 = the library's default)"


@contextlib.contextmanager
def _environment(values):
    """os.environ updated inside the block and restored after it (tests run commands in-process)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
