"""`tinygrad-udl` (also `python -m tinygrad_udl`): one subcommand per job.

Each subcommand lives in `tinygrad_udl/commands/<name>.py` with `register(subparsers)`, which adds
its parser and sets `run=<function(args) -> exit code>`. A user's mistake raises `UsageError`:
one line on stderr and exit code 2, never a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from .commands import COMMANDS, UsageError


def build_parser():
    parser = argparse.ArgumentParser(prog="tinygrad-udl",
                                     description="Understanding Deep Learning, executable: autograd, gradient "
                                                 "checks, graph drawings and the book's models.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"tinygrad_udl.commands.{name}").register(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args) or 0
    except UsageError as e:
        print(f"tinygrad-udl {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `tinygrad-udl gradcheck --ops | head`: the reader went away
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
