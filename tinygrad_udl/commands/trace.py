"""`tinygrad-udl trace`: the backward pass step by step (section 7.3, eqs. 7.9-7.15).

    tinygrad-udl trace --example toy                     # the book's toy model
    tinygrad-udl trace "(sin(x) * y - 1)**2" --at x=0.5 --at y=2 --markdown

Each line: the node whose gradient grows, the consumer it comes from and its op, the upstream
gradient, the local derivative, their product (the contribution) and the gradient so far.
"""
from __future__ import annotations

import argparse

from . import UsageError
from .graph import add_source_arguments, build_root


def register(subparsers):
    parser = subparsers.add_parser("trace", help="print the backward pass step by step",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_source_arguments(parser, with_model=False)
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables instead of text")
    parser.set_defaults(run=run)


def run(args):
    from ..viz import trace_backward
    root, params, _ = build_root(args)
    try:
        trace = trace_backward(root, params=params)
    except ValueError as e:
        raise UsageError(str(e)) from None
    print(trace.to_markdown() if args.markdown else trace, end="\n" if not args.markdown else "")
    return 0
