"""`python -m benchmarks.worker KEY SYSTEM [--quick]`: one system's case of one workload, in a
process of its own, driven by the harness (`runners.WorkerRunner`).

Commands, one per line on stdin: `start WARMUP`, `step`, `extras`; end of input ends the worker.
Each gets one JSON line on the original stdout: {"ok": result} or {"error": [status, detail]}.
Everything else the libraries print goes to stderr, so it cannot garble the replies.
"""
import argparse
import json
import os
import sys

# The same malloc settings in every system's process, peers included (tinygrad_udl/allocator.py);
# the shared data and workload definitions import tinygrad_udl anyway.
import tinygrad_udl.allocator  # noqa: F401

from .runners import CaseFailed, LocalRunner, to_json


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.worker")
    parser.add_argument("key")
    parser.add_argument("system")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    runner = None
    for line in sys.stdin:
        command, *rest = line.split()
        try:
            if command == "start":
                runner = _runner(args)
                reply = runner.start(int(rest[0]))
            elif command == "step":
                reply = runner.step()
            elif command == "extras":
                reply = runner.extras()
            else:
                raise CaseFailed("bad command", line.strip()[:80])
            replies.write(json.dumps({"ok": to_json(reply)}) + "\n")
        except CaseFailed as failed:
            replies.write(json.dumps({"error": [failed.status, failed.detail]}) + "\n")


def _runner(args):
    """The case's runner, after the workload's shared data is made and the system's library loaded."""
    from .harness import find_workload, installed, pin_threads

    try:
        wl = find_workload(args.key, args.quick)
        system_case = wl.case(args.system)
        pin_threads(system_case.requires)
        if not installed(system_case.requires):  # also gives PyTorch its threads
            raise CaseFailed("not installed")
        if wl.prepare is not None:
            wl.prepare()
    except KeyError as exc:
        raise CaseFailed.of(exc) from exc
    # re-warm before every timed step (runners.py); a workload whose steps are part of its result
    # (a fixed number of epochs) re-warms on a twin of the case instead
    return LocalRunner(system_case, rewarm="twin" if wl.fixed_repeats else "same")


if __name__ == "__main__":
    main()
