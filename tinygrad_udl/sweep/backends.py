"""Where the runs execute: this process, a local process pool, or a Dask distributed cluster.

Each backend is a generator `results(function, tasks)` over `tasks = [(key, params), ...]` that
yields one record per task as the runs finish (in the order they finish). Stopping the generator
early (Ctrl-C in the sweep's process, an exception) cancels the runs not yet started and stops the
workers; records already yielded have been written by then, so nothing finished is lost.

- `InProcess()`: one run after the other in this process (debugging, docs, `--workers 0`).
- `LocalPool(workers)`: `concurrent.futures.ProcessPoolExecutor` with one BLAS thread per worker,
  all cores by default. At most `workers` runs are handed out at a time, so when a worker process
  dies (killed, out of memory) only the runs it may have held are recorded as failed; the pool is
  restarted for the rest.
- `DaskCluster(scheduler=...)` or `DaskCluster(local=True, workers=N)`: the runs as tasks of a
  `dask.distributed` cluster (`pip install 'tinygrad_udl[sweep]'`). A worker that dies is replaced
  by Dask, which re-runs its tasks elsewhere; a task that kills workers again and again ends as a
  failed run (`KilledWorker`). Remote workers need `tinygrad_udl` (the same version) installed.
"""
from __future__ import annotations

import multiprocessing
import os
from collections import deque

from .execute import execute_run, failed_record, pool_worker_setup


def default_workers() -> int:
    """Every core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


class InProcess:
    name = "this process"

    def results(self, function, tasks):
        for key, params in tasks:
            yield execute_run(function, params, key)

    def describe(self) -> str:
        return "in this process, one run after another"


class LocalPool:
    """A local process pool of `workers` processes (default: every core)."""

    name = "local process pool"

    def __init__(self, workers=None, start_method=None):
        self.workers = default_workers() if workers is None else int(workers)
        if self.workers < 1:
            raise ValueError(f"a local pool needs at least one worker, got {workers}")
        # forkserver/spawn: a worker starts from a clean interpreter, not a copy of this process with its
        # threads (the progress bar's, Dask's) mid-flight, which fork would give.
        methods = multiprocessing.get_all_start_methods()
        self.start_method = start_method or ("forkserver" if "forkserver" in methods else "spawn")

    def describe(self) -> str:
        return f"local process pool of {self.workers} workers ({self.start_method}), one BLAS thread each"

    def _pool(self):
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context(self.start_method),
                                   initializer=pool_worker_setup)

    def results(self, function, tasks):
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        pending = deque(tasks)
        pool = self._pool()
        in_flight = {}
        try:
            while pending or in_flight:
                while pending and len(in_flight) < self.workers:
                    key, params = pending.popleft()
                    in_flight[pool.submit(execute_run, function, params, key)] = (key, params)
                done, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
                broken = False
                for future in done:
                    key, params = in_flight.pop(future)
                    try:
                        yield future.result()
                    except BrokenProcessPool as e:
                        broken = True
                        yield failed_record(function, params, key,
                                            f"the worker process died ({e}); it was running this run or another "
                                            "one in flight at the time")
                if broken:  # every run still in flight is lost with the pool: report them, start a new pool
                    for future, (key, params) in list(in_flight.items()):
                        yield failed_record(function, params, key, "the worker pool broke while this run was in "
                                                                   "flight (a worker process died)")
                    in_flight.clear()
                    _stop(pool)
                    pool = self._pool()
        finally:
            _stop(pool)


def _stop(pool):
    """Cancel what has not started and end the worker processes now (runs in flight are abandoned:
    their records were never written, so a re-run computes them)."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14
    if terminate is not None:
        pool.shutdown(wait=False, cancel_futures=True)
        terminate()
        return
    # the processes are taken before shutdown(): it may drop the executor's list of them, and a worker
    # left running would finish its run after the sweep has returned
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)


class DaskCluster:
    """Runs on a Dask cluster: an existing one (`scheduler="tcp://HOST:8786"`) or a `LocalCluster` of
    `workers` single-threaded worker processes started for the sweep and stopped after it (`local=True`;
    `processes=False` puts the workers in threads of this process)."""

    name = "Dask cluster"

    def __init__(self, scheduler=None, local=False, workers=None, processes=True):
        if (scheduler is None) == (not local):
            raise ValueError("DaskCluster: give a scheduler address or local=True (one of them)")
        self.scheduler, self.local, self.processes = scheduler, local, processes
        self.workers = default_workers() if workers is None else int(workers)
        self.client = self.cluster = None

    def describe(self) -> str:
        if self.local:
            kind = "processes" if self.processes else "threads"
            return f"Dask LocalCluster of {self.workers} single-threaded workers ({kind})"
        return f"Dask cluster at {self.scheduler}"

    def _connect(self):
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ImportError("running a sweep on Dask needs dask.distributed: pip install 'tinygrad_udl[sweep]' "
                              "(or pip install 'dask[distributed]')") from None
        if self.local:
            self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=self.processes,
                                        dashboard_address=None)
            self.client = Client(self.cluster)
        else:
            self.client = Client(self.scheduler, timeout="20s")
        if not self.client.scheduler_info().get("workers"):
            self.client.wait_for_workers(1, timeout=60)

    def close(self):
        for thing in (self.client, self.cluster):
            if thing is not None:
                try:
                    thing.close()
                except Exception:  # noqa: BLE001 -- closing a cluster that is already gone
                    pass
        self.client = self.cluster = None

    def results(self, function, tasks):
        self._connect()
        futures = {}
        try:
            from distributed import as_completed

            for key, params in tasks:
                future = self.client.submit(execute_run, function, params, key, key=f"tinygrad-udl-run-{key}",
                                            pure=False)
                futures[future] = (key, params)
            for future in as_completed(list(futures)):
                key, params = futures.pop(future)
                try:
                    record = future.result()
                except Exception as e:  # noqa: BLE001 -- KilledWorker, a lost connection: this run failed
                    record = failed_record(function, params, key, f"{type(e).__name__}: {e}")
                yield record
        finally:
            if futures and self.client is not None:
                try:
                    self.client.cancel(list(futures))
                except Exception:  # noqa: BLE001
                    pass
            self.close()
