"""`python -m benchmarks [--only W1,W3] [--quick] [--json out.json] [--repeats N] [--threads N] [--no-memory] [--plain-check]`.

Prints the machine, then one table block per workload. OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, set on
some processors for older OpenBLAS builds, slow a current numpy; when present they are removed
together for this benchmark process only (by re-executing the interpreter before numpy loads),
and the machine line says so. Tests never do this.
"""
import os
import sys

from .harness import OPENBLAS_UNSET_MARK, OPENBLAS_VARS, THREAD_VARS


def _environment(args):
    """The environment this benchmark should run in: without the OpenBLAS core-type overrides and,
    with --threads N, with every BLAS/OpenMP pool at N threads. These are read when numpy and torch
    load, so when they differ from the current environment the interpreter is re-executed with them
    before anything imports numpy (this process only; tests never do this)."""
    env = dict(os.environ)
    present = {v: env.pop(v) for v in OPENBLAS_VARS if v in env}
    if present:
        env[OPENBLAS_UNSET_MARK] = ", ".join(f"{k}={v}" for k, v in present.items())
    if args.threads is not None:
        for var in THREAD_VARS:
            env[var] = str(args.threads)
    return env


def _parser():
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated workload keys, e.g. W1,W3 (W1b selects every W1b size)")
    parser.add_argument("--quick", action="store_true",
                        help="smaller sizes and fewer repeats; peak memory of W5 only (about 2 minutes)")
    parser.add_argument("--json", metavar="PATH", help="also write every sample and result as JSON")
    parser.add_argument("--repeats", type=int, metavar="N",
                        help="timed samples per system (epoch-based workloads keep their epoch count)")
    parser.add_argument("--threads", type=int, metavar="N",
                        help="threads for PyTorch and numpy's BLAS alike (default: all cores, os.cpu_count())")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    parser.add_argument("--plain-check", action="store_true",
                        help="also time every row's code in a plain loop (python -m benchmarks.plain) between the "
                             "rounds, and print harness median / plain-loop median per row")
    return parser


def main(args):
    import json
    import time

    from . import harness

    workloads = harness.load_workloads(args.quick, args.only.split(",") if args.only else None)
    info = harness.machine_info()
    print(harness.format_machine(info), flush=True)
    busy = harness.busy_warning(info)
    if busy:
        print(busy, flush=True)
    print(harness.MEMORY_LEGEND if not args.no_memory else "peak memory: not measured (--no-memory)", flush=True)
    if args.plain_check:
        print(harness.PLAIN_LEGEND, flush=True)
    results, start = [], time.perf_counter()
    for wl in workloads:
        res = harness.run_workload(wl, repeats=args.repeats, memory=not args.no_memory, quick=args.quick,
                                   log=lambda msg: print(f"  ... {msg}", file=sys.stderr, flush=True),
                                   isolate=True, plain_check=args.plain_check)
        results.append(res)
        print("\n" + harness.format_result(res), flush=True)
    elapsed = time.perf_counter() - start
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\ntotal {elapsed:.0f} s; load average at the end {load:.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": info, "quick": args.quick, "elapsed_s": elapsed,
                       "workloads": [harness.result_json(r) for r in results]}, f, indent=1)
    return 0


if __name__ == "__main__":
    parser = _parser()
    args = parser.parse_args()
    if args.repeats is not None and args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.threads is not None and args.threads < 1:
        parser.error("--threads must be at least 1")
    env = _environment(args)
    if env != dict(os.environ):
        os.execve(sys.executable, [sys.executable, "-m", "benchmarks", *sys.argv[1:]], env)
    sys.exit(main(args))
