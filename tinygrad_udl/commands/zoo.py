"""`tinygrad-udl zoo`: list the trainable models with their book sections.

Each line names a model that `tinygrad-udl train NAME` trains, the book section it reproduces, its
number of parameters and what it is. `--verbose` adds the default hyperparameters and where they
come from (the book, or ours where the book is silent) and the book's printed numbers.
"""
from __future__ import annotations


def register(subparsers):
    parser = subparsers.add_parser("zoo", help="list the model zoo (chapters 2-11) with book sections",
                                   description=__doc__)
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="also show hyperparameters, their source and the book's numbers")
    parser.set_defaults(run=run)


def run(args):
    print(zoo_listing(verbose=args.verbose))
    return 0


def zoo_listing(verbose=False) -> str:
    from ..training import format_table
    from ..zoo.registry import registry

    rows = [{"name": e.name, "section": e.section, "parameters": e.build().num_parameters(),
             "description": e.description} for e in registry().values()]
    table = format_table(rows, columns=[(key, key) for key in ("name", "section", "parameters", "description")])
    lines = ["Model zoo (chapters 2-11); train one with `tinygrad-udl train NAME`.", "", table]
    if verbose:
        for e in registry().values():
            lines += ["", f"{e.name}  ({e.section})", f"  task:            {e.task.description}",
                      f"  hyperparameters: {format_hyperparameters(e.hyperparameters)}",
                      f"  source:          {e.source}"]
            if e.book:
                lines.append("  book prints:     " + ", ".join(f"{k} = {v:,}" for k, v in e.book.items()))
    return "\n".join(lines)


def format_hyperparameters(hyper) -> str:
    """'optimizer=sgd, lr=0.1, batch_size=100, steps=6000' (also `train`'s set-up line)."""
    return ", ".join(f"{k}={v}" for k, v in hyper.items())
