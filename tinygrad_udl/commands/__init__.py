"""Subcommands of `tinygrad-udl`; see `tinygrad_udl/cli.py`."""

# Modules of this package, in the order `tinygrad-udl --help` lists them.
COMMANDS = ["demo", "gradcheck", "graph", "trace", "train", "generate", "zoo", "sweep", "reproduce"]


class UsageError(Exception):
    """A mistake in the command line or its input: reported in one line, exit code 2."""
