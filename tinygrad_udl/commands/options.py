"""Options that several subcommands share, and the checks of their values.

A value that argparse can read but that makes no sense (`--atol -1`, `--atol nan`, `--eps inf`,
`--seed -1`) is refused while the command line is read, before any work, as a `UsageError`: one
line naming the flag and the value, exit code 2. The checks raise `UsageError` rather than
argparse's `ArgumentTypeError` on purpose: argparse would print the whole usage above its message,
which says nothing about a value that is merely out of range. Mistakes of syntax (an unknown flag,
a missing value, an invalid choice) stay argparse's: the subcommand's usage, then the error.
"""
from __future__ import annotations

import math

from . import UsageError


# ---- value checks: text -> value, or ValueError saying what a good value is ------------------------


def _number(text, at_least_zero: bool) -> float:
    requirement = "a finite number " + (">= 0" if at_least_zero else "> 0")
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"must be {requirement}") from None
    if not math.isfinite(value) or value < 0 or (value == 0 and not at_least_zero):
        raise ValueError(f"must be {requirement}")
    return value


def _whole(text) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError("must be a whole number") from None


def nonnegative_float(text) -> float:
    """A finite number >= 0 (tolerances)."""
    return _number(text, at_least_zero=True)


def positive_float(text) -> float:
    """A finite number > 0 (a finite-difference step, a learning rate)."""
    return _number(text, at_least_zero=False)


def positive_int(text) -> int:
    value = _whole(text)
    if value < 1:
        raise ValueError("must be a whole number >= 1")
    return value


def nonnegative_int(text) -> int:
    value = _whole(text)
    if value < 0:
        raise ValueError("must be a whole number >= 0")
    return value


def seed(text) -> int:
    """numpy's seeds (default_rng, SeedSequence) are the non-negative integers, of any size."""
    value = _whole(text)
    if value < 0:
        raise ValueError("must be a whole number >= 0 (numpy's seeds are non-negative)")
    return value


def add_checked(parser, *flags, check, **kwargs):
    """`parser.add_argument(*flags, type=...)` whose values go through `check`; a bad value is a
    one-line UsageError naming the flag: `--atol -1: must be a finite number >= 0`."""
    flag = flags[-1]  # the long spelling

    def convert(text):
        try:
            return check(text)
        except ValueError as e:
            raise UsageError(f"{flag} {text}: {e}") from None

    convert.__name__ = check.__name__  # argparse names the type in its own messages
    return parser.add_argument(*flags, type=convert, **kwargs)


# ---- flags shared by several subcommands -------------------------------------------------------------


def add_seed(parser, help="seed of the initialisation and the random choices (default 0)"):
    add_checked(parser, "--seed", check=seed, default=0, metavar="S", help=help)


def add_output(parser, *aliases, metavar, help, default=None):
    """`-o PATH` / `--out PATH` on every subcommand that writes files (a file for `graph`, a folder
    for `train`, `demo` and `reproduce`); `aliases` keep older spellings working (`graph --output`)."""
    parser.add_argument("-o", "--out", *aliases, dest="out", default=default, metavar=metavar, help=help)


def add_threads(parser):
    from .threads import DEFAULT
    add_checked(parser, "--threads", check=nonnegative_int, default=DEFAULT, metavar="N",
                help=f"BLAS threads for matrix products (default {DEFAULT}: fastest for the book's small models; "
                     "0 = the BLAS library's own default)")
