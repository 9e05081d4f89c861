"""`tinygrad-udl reproduce`: the book's supervised experiments (chapters 2-11) at full length.

Trains every model of `tinygrad-udl zoo` with its full default setup (the book's where the book
states it: e.g. 100,000 SGD steps for each network of fig. 10.8) and writes OUT/REPORT.md with
every number beside the book's, plus each model's history.json (and curves.png when matplotlib is
installed). This takes a long time (tens of minutes on a laptop); `--only NAME ...` runs a subset.

The analysis experiments of chapters 8, 9, 11 and 20 (`tinygrad-udl sweep --list`) run after them
with their default grids, on a local process pool (`--workers`), into OUT/sweeps/NAME/; runs
already there are not computed again, so an interrupted reproduction resumes its sweeps.
"""
from __future__ import annotations

from . import UsageError
from .options import add_checked, add_output, add_seed, nonnegative_int
from .outputs import check_folder, writing


def register(subparsers):
    parser = subparsers.add_parser("reproduce", help="run the book's experiments at full length and write a report",
                                   description=__doc__)
    add_output(parser, metavar="DIR", default="reproduce",
               help="folder for REPORT.md and the histories (default: reproduce)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these zoo models, chapter-7 experiments (fig7.7-init, fig7.8-training) or sweeps (tinygrad-udl sweep --list)")
    add_checked(parser, "--workers", check=nonnegative_int, metavar="N",
                help="worker processes of the sweeps (default: every core; 0 = in this process)")
    add_seed(parser, help="seed of every run (default 0)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bars or tables while running")
    parser.set_defaults(run=run)


def run(args):
    from ..reproduce import reproduce

    out = check_folder(args.out)  # before hours of training, not after
    if not args.quiet:
        print(args.threads_note)
    try:
        with writing(out):
            reproduce(out, only=args.only, quiet=args.quiet, seed=args.seed, workers=args.workers)
    except KeyError as e:
        raise UsageError(e.args[0]) from None
    return 0
