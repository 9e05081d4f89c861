"""One BLAS thread inside the training loops of the deep RL methods.

Their networks are tiny (a few thousand parameters, batches of tens to hundreds of rows), and every
environment step waits for a forward pass. OpenBLAS's default of one thread per core then costs
far more in synchronisation than it gains: measured on a loaded 2-core machine, one Adam step of a
4-64-64-2 network on a batch of 256 took 31 ms with two threads and 1.7 ms with one (batch 64:
about the same either way). So the loops run under `threadpoolctl.threadpool_limits(1)` when
threadpoolctl is installed, and unchanged otherwise.
"""
from __future__ import annotations

import contextlib


@contextlib.contextmanager
def single_blas_thread():
    """Limit BLAS to one thread inside the block, if threadpoolctl is installed."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # an optional speed-up: without it the loops run, only slower on busy machines
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield
