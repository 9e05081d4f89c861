"""`python -m benchmarks.memory KEY SYSTEM METHOD [--quick]`: one peak-memory measurement.

Run by the harness in a fresh interpreter per (workload, system, method), so that no other
system's allocations or allocator caches are counted; prints {"mib": ...} as the last line.
"""
import argparse
import json

from .harness import find_workload, measure_memory_here, pin_threads


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory")
    parser.add_argument("key")
    parser.add_argument("system")
    parser.add_argument("method", choices=("rss", "traced"))
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    wl = find_workload(args.key, args.quick)
    pin_threads(wl.case(args.system).requires)
    print(json.dumps({"mib": measure_memory_here(wl, args.system, args.method)}))


if __name__ == "__main__":
    main()
