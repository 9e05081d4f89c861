"""`tinygrad-udl graph`: draw a computation with its values and gradients (figs. 7.3-7.5).

    tinygrad-udl graph "sin(x) * exp(y)" --at x=0.5 --at y=1.2 -o graph.svg
    tinygrad-udl graph --example toy -o toy.svg          # the book's toy model (section 7.3)
    tinygrad-udl graph --model NAME -o model.svg         # a model of the zoo, modules clustered

Without -o the DOT source is printed. svg/png/pdf need graphviz's `dot` program; .dot never does.
"""
from __future__ import annotations

import argparse
import sys

from . import UsageError

FORMATS = ("dot", "svg", "png", "pdf")


def register(subparsers):
    parser = subparsers.add_parser("graph", help="draw the graph of an expression, the toy example or a zoo model",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_source_arguments(parser, with_model=True)
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write the drawing here (.dot, .svg, .png, .pdf); default: print the DOT source")
    parser.add_argument("--format", choices=FORMATS, help="output format (default: from the file's extension)")
    parser.add_argument("--no-values", dest="values", action="store_false", help="leave the forward values out")
    parser.add_argument("--no-grads", dest="grads", action="store_false", help="leave the gradients out")
    parser.add_argument("--rankdir", default="LR", choices=("LR", "TB", "RL", "BT"),
                        help="layout direction (default LR, as the book's figures)")
    parser.add_argument("--max-nodes", type=int, metavar="N",
                        help="collapse whole modules into one box each until at most N boxes remain")
    parser.set_defaults(run=run)


def add_source_arguments(parser, with_model):
    """EXPR with --at, or --example NAME (and, for drawing, --model NAME): shared with `trace`."""
    parser.add_argument("expression", nargs="?", metavar="EXPR",
                        help="an expression such as \"sin(x) * exp(y)\" (+ - * / ** @ and the library's functions)")
    parser.add_argument("--at", action="append", default=[], metavar="NAME=VALUE",
                        help="a variable's value: x=0.5, v=[1,2,3] or W=randn(3,4) (repeat for each variable)")
    parser.add_argument("--example", metavar="NAME", help="a ready-made example: toy (section 7.3)")
    if with_model:
        parser.add_argument("--model", metavar="NAME", help="a model of the zoo, applied to an example input")


def build_root(args):
    """(output node, {name: node} of its parameters, module or None) from the command line."""
    sources = [s for s in ("expression", "example", "model") if getattr(args, s, None)]
    if len(sources) != 1:
        choices = "EXPR, --example" + (" or --model" if hasattr(args, "model") else "")
        raise UsageError(f"give exactly one of {choices}" + (f" (got {', '.join(sources)})" if sources else ""))
    if args.at and not args.expression:
        raise UsageError("--at sets the variables of an EXPR; it does not apply to --example or --model")
    if args.example:
        return _example(args.example)
    if args.expression:
        return _expression(args.expression, args.at)
    return _model(args.model)


def _example(name):
    from .examples import EXAMPLES
    if name not in EXAMPLES:
        raise UsageError(f"unknown example '{name}'; known: {', '.join(EXAMPLES)}")
    root, params = EXAMPLES[name]()
    return root, params, None


def _expression(text, assignments):
    from ..expr import ExpressionError, parse_assignment, parse_expression
    try:
        expression = parse_expression(text)
        env = dict(parse_assignment(a) for a in assignments)
        unused = sorted(set(env) - set(expression.variables))
        if unused:
            raise UsageError(f"--at {', '.join(unused)}: not a variable of the expression "
                             f"(its variables: {', '.join(expression.variables) or 'none'})")
        missing = [v for v in expression.variables if v not in env]
        if missing:
            raise UsageError(f"no value for {', '.join(missing)}: pass --at {missing[0]}=VALUE")
        root = expression.evaluate(env)
    except ExpressionError as e:
        raise UsageError(str(e)) from None
    if not hasattr(root, "_parents"):
        raise UsageError(f"'{text}' has no variables: there is nothing to differentiate")
    return root, env, None


def _model(name):
    """A zoo model applied to its example input, recorded so that its modules become clusters.

    Uses `tinygrad_udl.zoo.registry()`: {name: entry} with `entry.build()` (the model),
    `entry.example_inputs()` (a few training examples and their targets) and `entry.task.loss_fn`:
    the drawing's root is the task's loss on those examples, so every node shows its gradient.
    """
    from .. import zoo
    from ..viz import record_modules
    if not hasattr(zoo, "registry"):
        raise UsageError("the model zoo has no registry yet; try --example toy")
    entries = zoo.registry()
    if name not in entries:
        raise UsageError(f"unknown model '{name}'; known: {', '.join(sorted(entries))}")
    entry = entries[name]
    model = entry.build()
    x, y = entry.example_inputs()
    with record_modules(model):
        loss = entry.task.loss_fn(model(x), y)
    return loss, None, model


def run(args):
    from ..viz import GraphvizNotFoundError, draw_graph, save
    root, params, model = build_root(args)
    if args.max_nodes is not None and args.max_nodes < 1:
        raise UsageError(f"--max-nodes {args.max_nodes}: give a positive number")
    graph = draw_graph(root, values=args.values, grads=args.grads, rankdir=args.rankdir, max_nodes=args.max_nodes,
                       params=params, modules=model)
    if args.output is None:
        if args.format not in (None, "dot"):
            raise UsageError(f"--format {args.format} needs -o FILE (only DOT is printed)")
        sys.stdout.write(graph.source)
        return 0
    try:
        path = save(graph, args.output, format=args.format)
    except (GraphvizNotFoundError, ValueError) as e:
        raise UsageError(str(e)) from None
    print(f"wrote {path}")
    return 0
