"""`tinygrad-udl graph`: draw a computation with its values and gradients (figs. 7.3-7.5).

    tinygrad-udl graph "sin(x) * exp(y)" --at x=0.5 --at y=1.2 -o graph.svg
    tinygrad-udl graph --example toy -o toy.svg          # the book's toy model (section 7.3)
    tinygrad-udl graph --model NAME -o model.svg         # a model of the zoo, modules clustered
    tinygrad-udl graph --model my_models:make -o m.svg   # your own model (as gradcheck --model)

Without -o the DOT source is printed. svg/png/pdf need graphviz's `dot` program; .dot never does.
A model's graph with more than 100 nodes is drawn with each module collapsed into one box
(a readable picture instead of one 30,000 pixels wide); --full draws every node.
"""
from __future__ import annotations

import argparse
import contextlib
import sys

from . import UsageError
from .options import add_checked, add_output, positive_int
from .outputs import check_file, writing

FORMATS = ("dot", "svg", "png", "pdf")
# Above this many nodes a graph with modules is drawn one box per module, unless --full. Measured
# as png: mnist1d-cnn's 38 nodes are 9,455 pixels wide, unet1d's 153 are 25,733 and resnet1d's 206
# hit graphviz's 32,767-pixel limit; collapsed at 100 they are 15,409 and 16,377.
DEFAULT_MAX_NODES = 100


def register(subparsers):
    parser = subparsers.add_parser("graph", help="draw the graph of an expression, the toy example or a model",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_source_arguments(parser, with_model=True)
    add_output(parser, "--output", metavar="FILE",
               help="write the drawing here (.dot, .svg, .png, .pdf); default: print the DOT source")
    parser.add_argument("--format", choices=FORMATS, help="output format (default: from the file's extension)")
    parser.add_argument("--no-values", dest="values", action="store_false", help="leave the forward values out")
    parser.add_argument("--no-grads", dest="grads", action="store_false", help="leave the gradients out")
    parser.add_argument("--rankdir", default="LR", choices=("LR", "TB", "RL", "BT"),
                        help="layout direction (default LR, as the book's figures)")
    size = parser.add_mutually_exclusive_group()
    add_checked(size, "--max-nodes", check=positive_int, metavar="N",
                help=f"collapse whole modules into one box each until at most N boxes remain "
                     f"(default {DEFAULT_MAX_NODES} for a graph with modules)")
    size.add_argument("--full", action="store_true", help="draw every node, however large the graph")
    parser.set_defaults(run=run)


def add_source_arguments(parser, with_model):
    """EXPR with --at, or --example NAME (and, for drawing, --model): shared with `trace`."""
    parser.add_argument("expression", nargs="?", metavar="EXPR",
                        help="an expression such as \"sin(x) * exp(y)\" (+ - * / ** @ and the library's functions)")
    parser.add_argument("--at", action="append", default=[], metavar="NAME=VALUE",
                        help="a variable's value: x=0.5, v=[1,2,3] or W=randn(3,4) (repeat for each variable)")
    parser.add_argument("--example", metavar="NAME", help="a ready-made example: toy (section 7.3)")
    if with_model:
        parser.add_argument("--model", metavar="NAME|MODULE:FACTORY",
                            help="a model of the zoo applied to a few training examples with its loss, or your "
                                 "factory (the protocol of `gradcheck --model`)")


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


def _model(spec):
    """The model's loss (or output) on its inputs, recorded so that its modules become clusters:
    a zoo model in full size on a few training examples with its task's loss, so every node shows
    its gradient; MODULE:FACTORY as for `gradcheck --model` (commands/models.py)."""
    from ..autograd.graph import Node
    from ..viz import record_modules
    from .models import MODEL_ERRORS, load_model, user_code

    loaded = load_model(spec)
    model = loaded.model
    with user_code(spec, "running the model", MODEL_ERRORS):
        with record_modules(model) if hasattr(model, "named_modules") else contextlib.nullcontext():
            out = model(*loaded.inputs)
            root = out if loaded.loss_fn is None else loaded.loss_fn(out)
    if not isinstance(root, Node):
        raise UsageError(f"--model {spec}: the model gave a {type(root).__name__}, not a Value or Tensor to draw")
    return root, None, model if hasattr(model, "named_parameters") else None


def run(args):
    from ..viz import GraphvizNotFoundError, draw_graph, save
    root, params, model = build_root(args)
    if args.out is None and args.format not in (None, "dot"):
        raise UsageError(f"--format {args.format} needs -o FILE (only DOT is printed)")
    if args.out is not None:
        check_file(args.out)  # before drawing: a path that cannot work fails now
    max_nodes = _max_nodes(args, root, params, model)
    graph = draw_graph(root, values=args.values, grads=args.grads, rankdir=args.rankdir, max_nodes=max_nodes,
                       params=params, modules=model)
    if args.out is None:
        sys.stdout.write(graph.source)
        return 0
    try:
        with writing(args.out):
            path = save(graph, args.out, format=args.format)
    except (GraphvizNotFoundError, ValueError, RuntimeError) as e:  # no `dot`, an unknown format, dot failed
        raise UsageError(str(e)) from None
    print(f"wrote {path}")
    return 0


def _max_nodes(args, root, params, model):
    """draw_graph's max_nodes: --max-nodes, None for --full, else DEFAULT_MAX_NODES when the graph
    has modules to collapse (an expression's graph has none, and drawing it whole is all we can do).
    Says on stderr, in one line, when the drawing is collapsed (stdout may be the DOT source)."""
    from ..viz.view import GraphView, as_roots

    if args.full:
        return None
    view = GraphView(as_roots(root, "graph"), model, params)
    has_modules = any(view.module_of.values())
    limit = args.max_nodes or (DEFAULT_MAX_NODES if has_modules else None)
    if limit is not None and has_modules and len(view.nodes) > limit:
        print(f"graph: {len(view.nodes)} nodes, more than {limit}: each module is drawn as one box "
              "(--full draws every node, --max-nodes N sets the limit)", file=sys.stderr)
    return limit
