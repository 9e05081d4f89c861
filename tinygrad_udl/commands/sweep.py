"""`tinygrad-udl sweep NAME`: one of the book's analysis experiments as a grid of seeded runs.

Runs every run of the sweep NAME (see `--list`) that has no result file yet in OUT/runs/ (default
out/sweeps/NAME), on a local process pool using every core (one BLAS thread per worker), on a
Dask LocalCluster (`--cluster local`) or on a running Dask cluster (`--scheduler tcp://HOST:8786`).
Each finished run is written at once to its own file, named by a hash of its parameters, so an
interrupted sweep resumes where it stopped when the same command is run again; a failed run is
reported with its parameters (its traceback is in its file) and the others go on. The end is a
table of every run and one of our numbers beside the book's; OUT/table.md and OUT/summary.md are
written, and with --plot the figure OUT/NAME.png (needs matplotlib).

The default grids finish in minutes on a 2-core machine; --full runs the book's grid (hours).

Examples:
  tinygrad-udl sweep --list
  tinygrad-udl sweep bias-variance --plot          # figs. 8.5-8.9, seconds
  tinygrad-udl sweep double-descent --cluster local
  tinygrad-udl sweep double-descent --scheduler tcp://HOST:8786 --full
"""
from __future__ import annotations

import argparse
import difflib
import importlib.util
import sys
from pathlib import Path

from . import UsageError
from .options import add_checked, add_output, nonnegative_int, seed


def register(subparsers):
    parser = subparsers.add_parser("sweep", help="run one of the book's analysis experiments as a sweep of runs",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", metavar="NAME", nargs="?", help="the sweep (list them with --list)")
    parser.add_argument("--list", action="store_true", help="list the sweeps and exit")
    parser.add_argument("--full", action="store_true", help="the book's full grid instead of the short default")
    add_checked(parser, "--seeds", check=seed, nargs="+", metavar="S", help="run these seeds (default: the sweep's)")
    where = parser.add_mutually_exclusive_group()
    add_checked(where, "--workers", check=nonnegative_int, metavar="N",
                help="local worker processes (default: every core; 0 = one run after another in this process); "
                     "with --cluster local, the Dask workers")
    where.add_argument("--scheduler", metavar="ADDRESS", help="run on this Dask scheduler, e.g. tcp://HOST:8786")
    parser.add_argument("--cluster", choices=["local"], help="start a Dask LocalCluster for the sweep")
    add_output(parser, metavar="DIR", help="folder of the run files and tables (default: out/sweeps/NAME)")
    parser.add_argument("--plot", action="store_true", help="also draw the figure to OUT/NAME.png")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar or run table")
    parser.set_defaults(run=run)


def run(args):
    from ..sweep import registry

    sweeps = registry.sweeps()
    if args.list:
        print(_listing(sweeps))
        return 0
    if args.name is None:
        raise UsageError("name a sweep (tinygrad-udl sweep --list shows them)")
    if args.name not in sweeps:
        close = difflib.get_close_matches(args.name, list(sweeps), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise UsageError(f"no sweep called {args.name!r}{hint}; the sweeps are: {', '.join(sweeps)}")
    if args.cluster and args.scheduler:
        raise UsageError("--cluster local starts its own cluster; leave out --scheduler (or --cluster)")
    if args.cluster or args.scheduler:
        if importlib.util.find_spec("distributed") is None:
            raise UsageError("running on Dask needs dask.distributed: pip install 'tinygrad_udl[sweep]'")
    if args.plot and importlib.util.find_spec("matplotlib") is None:
        raise UsageError("--plot needs matplotlib: pip install 'tinygrad_udl[plot]' (or leave --plot out)")
    from ..sweep import backend_for, run_sweep, write_outputs
    from .outputs import check_folder, writing

    sweep = sweeps[args.name]
    out = check_folder(args.out if args.out else Path("out") / "sweeps" / sweep.name)
    runs = sweep.runs(full=args.full, seeds=args.seeds)
    backend = backend_for(workers=args.workers, scheduler=args.scheduler, cluster=args.cluster)
    print(f"Sweep {sweep.name} (book section {sweep.section}): {sweep.description}")
    grid = "the book's (--full)" if args.full else f"default ({sweep.reduced})"
    print(f"  grid: {len(runs)} runs, {grid}")
    print(f"  where: {backend.describe()}; results in {out}/runs/", flush=True)
    with writing(out):
        try:
            result = run_sweep(sweep, out, runs=runs, backend=backend, progress=False if args.quiet else None)
        except KeyboardInterrupt:
            from ..sweep import RunStore

            done = sum(r.get("status") == "ok" for r in RunStore(out).load_many(map(sweep.key, runs)).values())
            print(f"{sweep.name}: stopped with {done} of {len(runs)} runs finished (each in its file); run the same "
                  "command again to resume", file=sys.stderr, flush=True)
            raise
        files = write_outputs(result, out, plot=args.plot)
    print(f"  {result.computed} runs computed now, {len(runs) - result.computed} read from earlier result files")
    if not args.quiet and result.rows:
        print()
        print(result.table())
    summary = result.summary()
    if summary:
        from ..training import format_table

        print()
        print(format_table(summary))
    print()
    for path in files:
        print(f"wrote {path}")
    if result.failed:
        print(f"\n{len(result.failed)} of {len(runs)} runs failed (run the same command again to retry them):")
        for record in result.failed:
            from ..sweep.grid import describe

            print(f"  {describe(record['params'])}: {record['error']}")
        return 1
    return 0


def _listing(sweeps) -> str:
    from ..training import format_table

    rows = [{"model": s.name, "metric": s.section, "note": f"{s.description} ({len(s.runs())} runs; --full "
             f"{len(s.runs(full=True))})"} for s in sweeps.values()]
    return format_table(rows, [("model", "sweep"), ("metric", "book"), ("note", "what")])
