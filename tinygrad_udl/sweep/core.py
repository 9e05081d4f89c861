"""Sweeps: a grid of seeded runs, executed anywhere, resumed from their result files.

    sweep = Sweep("bias-variance", function="tinygrad_udl.analysis.experiments.ch8:bias_variance_run",
                  grid={"capacity": [1, 2, 3, 4]}, seeds=[0])
    result = run_sweep(sweep, "out/sweeps/bias-variance")          # local process pool, all cores
    result = run_sweep(sweep, out, cluster="local")                 # a Dask LocalCluster
    result = run_sweep(sweep, out, scheduler="tcp://host:8786")     # an existing Dask cluster
    print(result.table())

A run is a pure function of its parameters: `function(**params)` builds every random thing from
`params["seed"]`, so the local pool, a Dask cluster and a call by hand give the same numbers (and
the same bits: every backend runs it with one BLAS thread). Each finished run is written at once
to `<out>/runs/<hash>.json` (`store.RunStore`); running the same sweep again computes only what is
missing, so an interrupted sweep resumes where it stopped. A run that raises is recorded as failed
(its error and traceback in its file), reported with its parameters, and the others go on; the
next run of the sweep tries it again.
"""
from __future__ import annotations

import contextlib
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .backends import DaskCluster, InProcess, LocalPool
from .execute import function_path
from .grid import describe, expand, run_key
from .store import RunStore


@dataclass(frozen=True)
class Sweep:
    """A named grid of runs of one function, with how to compare the results with the book.

    Attributes:
        name: the command-line name (`tinygrad-udl sweep NAME`).
        function: the run function, `"package.module:function"` (or the function itself, defined at
            the top level of an importable module); `function(**params)` returns a dict of results.
        grid: the default grid (see `grid.expand`): small enough for minutes on a 2-core machine.
        seeds: the default seeds.
        full_grid, full_seeds: the book's grid (`--full`); the defaults when not given.
        section: the book's section and figure.
        description: one line.
        reduced: how the default grid differs from the book's setup (said beside the numbers).
        summarize: `summarize(result)` -> rows {metric, book, ours, note} comparing with the book.
        plot: `plot(result, path)` draws the figure (matplotlib, imported when called).
        version: part of every run's hash; bump it when a change of the code changes the results.
    """

    name: str
    function: object
    grid: object
    seeds: tuple = (0,)
    full_grid: object = None
    full_seeds: tuple | None = None
    section: str = ""
    description: str = ""
    reduced: str = ""
    summarize: Callable | None = None
    plot: Callable | None = None
    version: int = 1

    @property
    def function_path(self) -> str:
        return function_path(self.function)

    def runs(self, full=False, seeds=None) -> list[dict]:
        """The runs of the default grid (or the full one), for `seeds` (default: the sweep's)."""
        grid = self.full_grid if full and self.full_grid is not None else self.grid
        if seeds is None:
            seeds = self.full_seeds if full and self.full_seeds is not None else self.seeds
        return expand(grid, seeds)

    def key(self, params) -> str:
        return run_key(self.function_path, params, self.version)


@dataclass
class SweepResult:
    """The records of a sweep's runs, in grid order. `rows` are the finished runs as table rows
    (parameters, then the scalar results); `failed` the records of runs that failed."""

    sweep: Sweep
    records: list
    folder: Path | None = None
    computed: int = 0          # runs computed by this call (the rest were read from their files)
    backend: str = ""
    files: list = field(default_factory=list)

    @property
    def ok(self) -> list:
        return [r for r in self.records if r["status"] == "ok"]

    @property
    def failed(self) -> list:
        return [r for r in self.records if r["status"] != "ok"]

    @property
    def complete(self) -> bool:
        return not self.failed

    @property
    def rows(self) -> list:
        rows = []
        for record in self.ok:
            row = dict(record["params"])
            row.update({k: v for k, v in record["result"].items() if _is_scalar(v)})
            rows.append(row)
        return rows

    def results(self, **where) -> list:
        """(params, result) of the finished runs whose parameters match `where`."""
        return [(r["params"], r["result"]) for r in self.ok
                if all(r["params"].get(k) == v for k, v in where.items())]

    def values(self, metric, **where) -> list:
        """The values of result `metric` over the finished runs matching `where` (e.g. the seeds)."""
        return [result[metric] for _, result in self.results(**where) if result.get(metric) is not None]

    def mean(self, metric, **where):
        """The mean of `metric` over the matching runs (None when there are none)."""
        values = self.values(metric, **where)
        return statistics.fmean(values) if values else None

    def distinct(self, parameter, **where) -> list:
        """The values `parameter` takes over the matching finished runs, in grid order."""
        seen = {}
        for params, _ in self.results(**where):
            seen.setdefault(_hashable(params.get(parameter)), params.get(parameter))
        return list(seen.values())

    def table(self, columns=None) -> str:
        """The runs as a fixed-width text table (parameters and scalar results)."""
        from ..training.report import format_table

        return format_table(self.rows, columns or _columns(self.rows))

    def markdown(self, columns=None) -> str:
        from ..training.report import markdown_table

        return markdown_table(self.rows, columns or _columns(self.rows))

    def summary(self) -> list:
        """The rows comparing our numbers with the book's (empty without a `summarize`)."""
        if self.sweep.summarize is None or not self.ok:
            return []
        return self.sweep.summarize(self)


def _is_scalar(value):
    return value is None or isinstance(value, bool | int | float | str)


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def _columns(rows):
    seen = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return [(key, key) for key in seen]


def backend_for(workers=None, scheduler=None, cluster=None, processes=True):
    """The backend the options name: a Dask scheduler address, `cluster="local"` (a Dask
    LocalCluster), `workers=0` (this process) or a local process pool of `workers` (default: all cores)."""
    if scheduler is not None and cluster is not None:
        raise ValueError("give a Dask scheduler address or cluster='local', not both")
    if cluster is not None:
        if cluster != "local":
            raise ValueError(f"cluster must be 'local' (a Dask LocalCluster started for the sweep), got {cluster!r}")
        return DaskCluster(local=True, workers=workers or None, processes=processes)
    if scheduler is not None:
        return DaskCluster(scheduler=scheduler)
    if workers == 0:
        return InProcess()
    return LocalPool(workers)


def run_sweep(sweep, out, *, full=False, seeds=None, runs=None, workers=None, scheduler=None, cluster=None,
              processes=True, backend=None, progress=None, retry_failed=True, report=None) -> SweepResult:
    """Run every run of `sweep` whose result file in `out` is missing (or failed); the SweepResult.

    Args:
        sweep: a `Sweep`.
        out: the sweep's folder; run records go to `out/runs/<key>.json`.
        full: the book's grid (`sweep.full_grid`) instead of the default.
        seeds: replace the sweep's seeds; `runs` replaces the grid altogether (a list of params).
        workers, scheduler, cluster, processes, backend: where to run (`backend_for`); default a
            local process pool using every core.
        progress: a progress bar counting runs (None: when stdout is a terminal).
        retry_failed: compute again the runs whose file records a failure (default).
        report: `report(message)` is told about each failed run as it comes back (default: printed
            on stderr).

    Ctrl-C (KeyboardInterrupt) stops the workers and propagates; every run finished before it has
    its file, and calling `run_sweep` again resumes.
    """
    runs = sweep.runs(full=full, seeds=seeds) if runs is None else [dict(r) for r in runs]
    function = sweep.function_path
    store = RunStore(out)
    keys = [sweep.key(params) for params in runs]
    if len(set(keys)) != len(keys):
        raise ValueError(f"sweep {sweep.name}: the grid lists the same run twice")
    records = store.load_many(keys)
    todo = [(key, params) for key, params in zip(keys, runs)
            if key not in records or (retry_failed and records[key].get("status") != "ok")]
    if backend is None:
        backend = backend_for(workers, scheduler, cluster, processes)
    bar = _progress_bar(len(runs), len(runs) - len(todo), sweep.name, progress)
    if report is None:  # above the progress bar while it is shown, else on stderr
        report = _print_failure if bar.disable else (lambda message: bar.write(message, file=sys.stderr))
    computed = 0
    try:
        if todo:
            with contextlib.closing(backend.results(function, todo)) as stream:
                for record in stream:
                    store.save(record)
                    records[record["key"]] = record
                    computed += 1
                    bar.update(1)
                    if record["status"] != "ok":
                        message = (f"{sweep.name}: run failed ({describe(record['params'])}): {record['error']}; "
                                   f"traceback in {store.path(record['key'])}")
                        report(message)
    finally:
        bar.close()
    ordered = [records[key] for key in keys if key in records]
    return SweepResult(sweep, ordered, Path(out), computed=computed, backend=backend.describe())


def _print_failure(message):
    print(message, file=sys.stderr, flush=True)


def _progress_bar(total, initial, desc, progress):
    from tqdm.auto import tqdm

    if progress is None:
        progress = sys.stdout.isatty()
    return tqdm(total=total, initial=initial, desc=desc, unit="run", disable=not progress, file=sys.stdout,
                dynamic_ncols=True, leave=True, mininterval=0.2)
