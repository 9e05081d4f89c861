"""`tinygrad-udl train NAME`: train a zoo model with the book's hyperparameters and compare numbers.

Trains the model NAME (see `tinygrad-udl zoo`) on its task with the book's settings where the book
states them, shows the loss and error live (a progress bar; off with --quiet or when the output
is not a terminal), and ends with a table: metric, the book's value (where the book prints one),
ours. The history of losses and errors is written to OUT/history.json, and with --plot the
learning curves to OUT/curves.png (needs matplotlib). OUT is checked before training starts, so
a path that cannot be written fails at once instead of after the run. BLAS uses one thread
(fastest for these small models; --threads N to change).

Training steps are compiled (tinygrad_udl.compile: recorded on the first steps, then replayed as
straight-line numpy, with the same numbers bit for bit); --no-compile runs every step eagerly
through the autograd graph, e.g. to compare speeds or to debug a step.

Examples:
  tinygrad-udl train mnist1d-mlp                 # fig. 8.2: 6,000 steps of SGD, ~40 % test error
  tinygrad-udl train mnist1d-cnn --steps 20000 --lr 0.05 -o out/cnn
"""
from __future__ import annotations

import argparse
import difflib
import importlib.util
from pathlib import Path

from . import UsageError
from .options import add_checked, add_output, add_seed, positive_float, positive_int
from .outputs import check_folder, writing


def register(subparsers):
    parser = subparsers.add_parser("train", help="train a zoo model and compare with the book's numbers",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", metavar="NAME", help="the model (list them with `tinygrad-udl zoo`)")
    length = parser.add_mutually_exclusive_group()
    add_checked(length, "--epochs", check=positive_int, help="train for this many epochs instead of the default length")
    add_checked(length, "--steps", check=positive_int, help="train for this many optimizer steps instead")
    add_checked(parser, "--lr", check=positive_float, help="learning rate (default: the book's)")
    add_checked(parser, "--batch-size", check=positive_int, help="examples per step (default: the book's)")
    add_seed(parser, help="seed of the initialisation and batch order (default 0)")
    add_output(parser, metavar="DIR", help="folder for history.json and curves.png (default: out/train/NAME)")
    parser.add_argument("--plot", action="store_true", help="also draw the learning curves to OUT/curves.png")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    parser.add_argument("--no-compile", dest="compile", action="store_false",
                        help="run every training step eagerly instead of compiled (same numbers, slower)")
    parser.set_defaults(run=run)


def run(args):
    from ..training import TrainingDiverged
    from ..zoo.registry import registry
    from ..zoo.runner import resolve_hyperparameters
    from ..zoo.runner import run as run_entry
    from .zoo import format_hyperparameters

    entries = registry()
    if args.name not in entries:
        close = difflib.get_close_matches(args.name, list(entries), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise UsageError(f"no zoo model called {args.name!r}{hint}; run `tinygrad-udl zoo` to list them")
    entry = entries[args.name]
    overrides = dict(steps=args.steps, epochs=args.epochs, lr=args.lr, batch_size=args.batch_size)
    try:
        hyper = resolve_hyperparameters(entry, **overrides)
    except ValueError as e:
        raise UsageError(str(e)) from None
    # Everything that would fail after the run is checked before it.
    out = check_folder(args.out if args.out else Path("out") / "train" / entry.name)
    if args.plot and importlib.util.find_spec("matplotlib") is None:
        raise UsageError("--plot needs matplotlib: pip install 'tinygrad_udl[plot]' (or leave --plot out)")
    changed = _changes(entry.hyperparameters, hyper)
    print(f"Training {entry.name} (book section {entry.section}): {entry.description}")
    print(f"  data: {entry.task.description}")
    print(f"  setup: {format_hyperparameters(hyper)}")
    print(f"  source: {entry.source}" + (f" (changed here: {changed})" if changed else ""))
    print(f"  training steps: {_step_mode(entry, args.compile)}")
    print(f"  {args.threads_note}", flush=True)
    try:
        with writing(out):
            result = run_entry(entry, **overrides, seed=args.seed, progress=False if args.quiet else None, out=out,
                               plot=args.plot, compile=args.compile)
    except (TrainingDiverged, ImportError) as e:  # too large a learning rate
        raise UsageError(str(e)) from None
    info = result.history.info
    print(f"  ran {result.history.run_length()} in {info['seconds']:.1f} s")
    print()
    print(result.table())
    print()
    for path in result.files:
        print(f"wrote {path}")
    if result.model_file is not None:
        print(f"wrote {result.model_file} (the trained model: tinygrad-udl generate NAME --load DIR for chapter 12)")
    return 0


def _step_mode(entry, compiled) -> str:
    if not compiled:
        return "eager (--no-compile)"
    if entry.eager_reason is not None:
        return f"eager, not compiled: {entry.eager_reason}"
    return "compiled (--no-compile to run them eagerly)"


def _changes(default, hyper) -> str:
    """'lr 0.1 -> 0.05, steps 6000 -> 3000': what the command line changed ('-' = not set)."""
    keys = [k for k in {**default, **hyper} if default.get(k) != hyper.get(k)]
    return ", ".join(f"{k} {default.get(k, '-')} -> {hyper.get(k, '-')}" for k in keys)
