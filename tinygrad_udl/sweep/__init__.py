"""Sweeps: grids of seeded runs on a local process pool or a Dask cluster, resumable, one result file per run.

`Sweep` names a run function and a grid; `run_sweep(sweep, out, ...)` runs what is not yet in
`out/runs/` and returns a `SweepResult` (table, comparison with the book). `sweeps()` lists the
book's analysis experiments (chapters 8, 9, 11, 20); `tinygrad-udl sweep NAME` runs one from the
command line. See docs/sweeps.md.
"""
from .backends import DaskCluster, InProcess, LocalPool, default_workers
from .core import Sweep, SweepResult, backend_for, run_sweep
from .execute import execute_run
from .grid import expand, run_key
from .registry import get, sweeps
from .report import write_outputs
from .store import RunStore

__all__ = ["Sweep", "SweepResult", "run_sweep", "backend_for", "sweeps", "get", "expand", "run_key",
           "execute_run", "RunStore", "LocalPool", "DaskCluster", "InProcess", "default_workers", "write_outputs"]
