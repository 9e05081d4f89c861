"""`python -m benchmarks.plain KEY SYSTEM [--quick] [--samples N] [--json]`: one row's code in a bare loop.

The reference every row of `python -m benchmarks` is checked against (`--plain-check`): a fresh
interpreter builds the case exactly as the workload does (its shared data, then the system's
`make()`), computes the check value, makes the warm-up steps, and then times `samples` steps back
to back with `time.perf_counter` -- what a user's own loop of that code measures, with none of the
harness's machinery (no worker protocol, no pipe, no pauses, no other system's process). The only
settings it shares with the harness are the declared ones: PyTorch's thread count
(`harness.installed`) and the malloc setting every worker has (`tinygrad_udl.allocator`, off with
TINYGRAD_UDL_MALLOC=default).

Prints the median per iteration in the workload's unit; with --json one line
{"key", "system", "unit", "median_s", "times_s"} (seconds per iteration) instead.
"""
import argparse
import json
import statistics
import sys
import time

import tinygrad_udl.allocator  # noqa: F401  (the malloc setting of every benchmark worker)

from .harness import find_workload, installed, pin_threads, warmed_case


def plain_times(wl, system: str, samples: int | None = None) -> list:
    """Seconds per iteration of `samples` steps of `system`'s case of workload `wl`, timed back to
    back (default: as many as the harness takes)."""
    sc = wl.case(system)
    if sc.skip:
        raise SystemExit(f"{wl.key} / {system} is not run: {sc.skip}")
    if not installed(sc.requires):  # also gives PyTorch its threads, as in the workers
        raise SystemExit(f"{wl.key} / {system}: {sc.requires} is not installed")
    case = warmed_case(wl, sc)
    times = []
    for _ in range(samples or wl.repeats):
        t0 = time.perf_counter()
        case.step()
        times.append((time.perf_counter() - t0) / wl.inner)
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.plain", description=__doc__.split("\n\n")[0])
    parser.add_argument("key", help="workload key, e.g. W2, W1b-1e4")
    parser.add_argument("system", help="row name, e.g. pytorch, tinygrad_udl")
    parser.add_argument("--quick", action="store_true", help="the --quick sizes of the workload")
    parser.add_argument("--samples", type=int, metavar="N", help="timed steps (default: the workload's repeats)")
    parser.add_argument("--json", action="store_true", help="one JSON line with every sample")
    args = parser.parse_args(argv)
    if args.samples is not None and args.samples < 1:
        parser.error("--samples must be at least 1")
    try:
        wl = find_workload(args.key, args.quick)
        wl.case(args.system)
    except KeyError as exc:
        parser.error(exc.args[0])
    pin_threads(wl.case(args.system).requires)   # as a worker process does
    times = plain_times(wl, args.system, args.samples)
    median = statistics.median(times)
    if args.json:
        print(json.dumps({"key": wl.key, "system": args.system, "unit": wl.unit, "median_s": median,
                          "times_s": times}))
    else:
        print(f"{wl.key} / {args.system}: median {median * wl.unit_scale:.4g} {wl.unit} "
              f"over {len(times)} steps timed back to back")
    return 0


if __name__ == "__main__":
    sys.exit(main())
