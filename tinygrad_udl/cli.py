"""`tinygrad-udl` (also `python -m tinygrad_udl`): one subcommand per job.

Each subcommand lives in `tinygrad_udl/commands/<name>.py` with `register(subparsers)`, which adds
its parser and sets `run=<function(args) -> exit code>`. What the user sees when something goes
wrong is decided here, once for every subcommand (docs/reliability.md, "Command line"):

- a mistake in the command line or its input (`UsageError`, also raised by the option checks of
  `commands/options.py`): one line on stderr, exit code 2, never a traceback; argparse's own
  errors (unknown flags, missing values) show the subcommand's usage, exit code 2;
- an output that cannot be written (OSError): one line naming the path, exit code 2;
- Ctrl-C, at any point after Python has started: `interrupted`, exit code 130;
- a reader that went away (`tinygrad-udl zoo | head -1`) or stdout closed (`>&-`): the rest of
  the output is dropped quietly, as Unix tools do.
- success is 0; 1 means a check failed (`gradcheck`, `demo`).

`main` also limits BLAS to `--threads` threads (commands/threads.py) while the command runs.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from . import __version__
from .commands import COMMANDS, UsageError

PROG = "tinygrad-udl"
USAGE_ERROR, INTERRUPTED = 2, 130


def build_parser():
    from .commands.options import add_threads

    parser = argparse.ArgumentParser(prog=PROG,
                                     description="Understanding Deep Learning, executable: autograd, gradient "
                                                 "checks, graph drawings and the book's models.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"tinygrad_udl.commands.{name}").register(sub)
    for subparser in sub.choices.values():
        add_threads(subparser)
        subparser.set_defaults(subparser=subparser)  # for errors argparse reports at the top level
    return parser


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    prog = " ".join([PROG, *[a for a in argv if a in COMMANDS][:1]])  # for messages before parsing ends
    try:
        _open_closed_streams()
        return _parse_and_run(argv)
    except UsageError as e:
        return _fail(prog, e)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:  # `tinygrad-udl gradcheck --ops | head`: the reader went away
        _drop_stdout()
        return 0
    except OSError as e:  # a write that failed outside `outputs.writing` (which names the path itself)
        from .commands.outputs import describe
        return _fail(prog, describe(e))


def _parse_and_run(argv) -> int:
    from .commands.threads import blas_threads

    parser = build_parser()
    try:
        args, unknown = parser.parse_known_args(argv)
        if unknown:  # parse_args would report these with the top-level usage; the subcommand's helps
            args.subparser.error(f"unrecognized arguments: {' '.join(unknown)}")
    except SystemExit as e:  # --help, --version (0) or argparse's usage error (2), already printed
        return e.code if isinstance(e.code, int) else USAGE_ERROR
    with blas_threads(args.threads) as args.threads_note:
        code = args.run(args) or 0
    sys.stdout.flush()  # a reader that went away shows up here, inside main's handlers
    return code


def _fail(prog, message) -> int:
    print(f"{prog}: error: {message}", file=sys.stderr)
    return USAGE_ERROR


def _open_closed_streams():
    """Started with stdout or stderr closed (`tinygrad-udl zoo >&-`), Python sets sys.stdout to
    None: printing does nothing, `sys.stdout.write` fails, and the first file the command opens
    would get descriptor 1 and receive the output. Put /dev/null there: the output is dropped,
    as `print` drops it, and the command still does its work."""
    for fd, name in ((1, "stdout"), (2, "stderr")):
        if getattr(sys, name) is None:
            devnull = os.open(os.devnull, os.O_WRONLY)
            if devnull != fd:
                os.dup2(devnull, fd)
                os.close(devnull)
            setattr(sys, name, open(fd, "w", encoding="utf-8", closefd=False))


def _drop_stdout():
    """After a broken pipe, point stdout at /dev/null: Python flushes what is still buffered when
    it exits, and that flush would fail again with an 'Exception ignored' message."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # replaced by something without a descriptor (tests)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
