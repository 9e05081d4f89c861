"""`python -m benchmarks.profile KEY [--system NAME] [--steps N] [--top N] [--plain]`: where the time goes.

Builds one system's case of a workload (default: tinygrad_udl's first row), warms it up, then runs
`--steps` timed steps under cProfile and prints the top entries by own time (tottime) and by
cumulative time. With `--plain` the steps run without cProfile, for an external sampling profiler:

    py-spy record -f raw -o out.txt -- python -m benchmarks.profile W5 --plain --steps 50
"""
import argparse
import cProfile
import pstats
import time

from .harness import OURS, find_workload, warmed_case


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile")
    parser.add_argument("key", help="workload key, e.g. W1, W1b-1e4, W5")
    parser.add_argument("--system", help=f"system row to profile (default: the first {OURS} row)")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="the --quick sizes of the workload")
    parser.add_argument("--plain", action="store_true", help="no cProfile (for py-spy)")
    args = parser.parse_args(argv)
    wl = find_workload(args.key, args.quick)
    sc = wl.case(args.system) if args.system else next(c for c in wl.cases if c.system.startswith(OURS)
                                                         and c.skip is None)
    case = warmed_case(wl, sc)
    print(f"{wl.key} / {sc.system}: {args.steps} steps of {wl.inner} iteration(s)")
    if args.plain:
        t0 = time.perf_counter()
        for _ in range(args.steps):
            case.step()
        print(f"{(time.perf_counter() - t0) / args.steps / wl.inner * wl.unit_scale:.4g} {wl.unit}")
        return
    profiler = cProfile.Profile()
    t0 = time.perf_counter()
    profiler.enable()
    for _ in range(args.steps):
        case.step()
    profiler.disable()
    print(f"{(time.perf_counter() - t0) / args.steps / wl.inner * wl.unit_scale:.4g} {wl.unit} under cProfile")
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
