"""`tinygrad-udl gradcheck`: check gradients against finite differences from the command line.

Three modes (exactly one per call):

    tinygrad-udl gradcheck "sin(x)*exp(y) + x**2" --at x=0.5 --at y=1.2    an expression
    tinygrad-udl gradcheck "sum(tanh(W @ v))" --at "W=randn(3,4)" --at "v=[1,2,3,4]"
    tinygrad-udl gradcheck --model mypkg.models:make_model                  a model (see below)
    tinygrad-udl gradcheck --ops [NAME ...]                                 every primitive

Options: --mode fast|full, --order 1|2, --eps, --atol, --rtol, --seed (random arrays, projections),
--eps-sweep (the order of convergence instead of one step), --json, --threads.
Exit code 0 when everything agrees (non-differentiable points are reported, not failures), 1 on a
mismatch, 2 on a usage error (one line on stderr, no traceback).

The model protocol (commands/models.py, shared with `graph --model`): `--model package.module:factory`
imports the module (from the current folder too) and calls factory(), which returns `(model, inputs)`,
`(model, inputs, loss_fn)`, or a model with an `example_inputs()` method. A model with
`named_parameters()` has every parameter checked (check_module); any other callable is checked in its
inputs (gradcheck). `--model NAME` looks NAME up in the model zoo's registry
(`tinygrad_udl.zoo.registry()`): an entry with `build(rng, tiny)` and `example_inputs()` (a
`ZooEntry`) is checked as its tiny configuration on a few training examples with its task's loss,
and the output says so (which configuration, how many parameters); any other entry is taken as a
factory with the protocol above.
"""
from __future__ import annotations

import argparse
import dataclasses
import importlib
import json

import numpy as np

from ..autograd.tensor import Tensor
from ..autograd.value import Value
from ..expr import ExpressionError, parse_assignment, parse_expression
from ..gradcheck import GradcheckError, check_module, check_primitives, eps_sweep, eps_sweep_module, gradcheck
from ..gradcheck.report import element_name
from . import UsageError
from .models import MODEL_ERRORS, load_model, user_code
from .options import add_checked, add_seed, nonnegative_float, positive_float

EXAMPLES = """examples:
  tinygrad-udl gradcheck "sin(x)*exp(y) + x**2" --at x=0.5 --at y=1.2
  tinygrad-udl gradcheck "sum(tanh(W @ v))" --at "W=randn(3,4)" --at "v=[1,2,3,4]" --order 2
  tinygrad-udl gradcheck "relu(x)" --at x=0            (a kink: reported, exit 0)
  tinygrad-udl gradcheck "exp(x)" --at x=1 --eps-sweep
  tinygrad-udl gradcheck --model mypkg.models:make_model --mode fast
  tinygrad-udl gradcheck --ops sin matmul --order 2
"""


def register(subparsers):
    p = subparsers.add_parser(
        "gradcheck", help="check gradients against finite differences",
        description="Check the engine's gradients against central finite differences in float64, report the worst "
                    "element, non-differentiable points, and the first node whose derivative is wrong.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("expression", nargs="?", help="an expression in the variables given with --at")
    p.add_argument("--at", action="append", default=[], metavar="NAME=VALUE",
                   help="a variable's value: a number (0.5, -pi/4), a list ([1,2,3]) or randn/rand/zeros/ones(sizes)")
    p.add_argument("--model", metavar="NAME|MODULE:FACTORY", help="check every parameter of a model")
    p.add_argument("--ops", nargs="*", metavar="OP", help="check every registered primitive (or the ones named)")
    p.add_argument("--mode", choices=("full", "fast"), default="full",
                   help="full: every element; fast: one random direction, full check if it fails")
    p.add_argument("--order", type=int, choices=(1, 2), default=1, help="2 also checks gradients of gradients")
    add_checked(p, "--eps", check=positive_float, help="finite-difference step (default: cbrt(eps64) * max(1, |x|))")
    add_checked(p, "--atol", check=nonnegative_float, help="absolute tolerance (default 1e-6)")
    add_checked(p, "--rtol", check=nonnegative_float, help="relative tolerance (default 1e-4)")
    add_seed(p, help="seed of random arrays, projections, directions and zoo models (default 0)")
    p.add_argument("--eps-sweep", action="store_true", help="errors at steps 1e-1..1e-7 and the order of convergence")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(run=run)


def run(args) -> int:
    modes = [m for m, on in (("an expression", args.expression is not None), ("--model", args.model is not None),
                             ("--ops", args.ops is not None)) if on]
    if len(modes) != 1:
        raise UsageError("give exactly one of an expression, --model or --ops" +
                         (f" (got {' and '.join(modes)})" if modes else ""))
    if args.at and args.expression is None:
        raise UsageError("--at sets the variables of an expression; it cannot be used with --model or --ops")
    try:
        if args.ops is not None:
            return _run_ops(args)
        if args.model is not None:
            return _run_model(args)
        return _run_expression(args)
    except ExpressionError as e:
        raise UsageError(str(e)) from None
    except GradcheckError as e:
        if e.report is not None:
            raise
        raise UsageError(str(e).removeprefix("gradcheck: ")) from None


def _options(args):
    return dict(eps=args.eps, atol=args.atol, rtol=args.rtol, mode=args.mode, order=args.order, seed=args.seed)


def _emit(result, as_json, about=None):
    if as_json:
        data = result.to_dict()
        print(json.dumps(data if about is None else {**data, "model": about}, indent=2))
    else:
        print(_text(result))
    return 0 if result.ok else 1


def _text(result) -> str:
    """The report, with fast mode's fallbacks told as what they are. A random direction disagrees
    whenever it crosses a kink (a ReLU at 0 within one step) even if every gradient is right; the
    element-by-element check that follows is the verdict, so a fallback is information, not alarm."""
    fell_back = [d for d in getattr(result, "directional", ()) if d.fell_back]
    if not fell_back:
        return str(result)
    calm = dataclasses.replace(result, directional=[d for d in result.directional if not d.fell_back])
    lines = str(calm).splitlines()
    notes = [f"  fast check, order {d.order}: along one random direction autodiff and finite differences differ by "
             f"{d.abs_err:.3g} (allowed {d.allowed:.3g}), which a kink near the point also causes; so every "
             "element was checked one by one, and the table below is the result" for d in fell_back]
    return "\n".join(lines[:1] + notes + lines[1:])  # after the report's one-line header


# ---- expression mode ------------------------------------------------------------------------------


def _run_expression(args):
    expression = parse_expression(args.expression)
    if not expression.variables:
        raise UsageError(f"the expression {args.expression!r} has no variables: nothing to differentiate")
    rng = np.random.default_rng(args.seed)
    values = {}
    for text in args.at:
        name, value = parse_assignment(text, rng)
        if name in values:
            raise UsageError(f"--at {name}=... is given twice")
        if name not in expression.variables:
            raise UsageError(f"--at {text}: '{name}' does not appear in the expression "
                             f"(its variables: {', '.join(expression.variables)})")
        values[name] = value
    missing = [v for v in expression.variables if v not in values]
    if missing:
        raise UsageError(f"no value for {', '.join(missing)}: pass " + " ".join(f"--at {v}=VALUE" for v in missing))
    names = list(expression.variables)
    inputs = [values[n] for n in names]
    if any(isinstance(x, Tensor) for x in inputs):  # one engine: numbers become 0-d arrays
        inputs = [Tensor(np.array(x.data), requires_grad=True, dtype=np.float64, label=x.label)
                  if isinstance(x, Value) else x for x in inputs]

    def fn(*xs):
        return expression.evaluate(dict(zip(names, xs)))

    out = fn(*inputs)  # evaluation errors (shapes, domains) are usage errors, found before checking
    if not isinstance(out, Value | Tensor):
        raise UsageError(f"the expression {args.expression!r} does not depend on its variables")
    if args.eps_sweep:
        return _emit(eps_sweep(fn, inputs, order=args.order, seed=args.seed), args.json)
    return _emit(gradcheck(fn, inputs, **_options(args)), args.json)


# ---- model mode -----------------------------------------------------------------------------------


def _run_model(args):
    loaded = load_model(args.model, tiny=True, seed=args.seed)
    if loaded.about is not None and not args.json:
        print(_describe(loaded.about))
    with user_code(args.model, "running the model", MODEL_ERRORS):
        return _check_model(args, loaded)


def _describe(about) -> str:
    """What a zoo model's check covers. The full check runs the model twice per parameter, so the
    zoo's models are checked in their tiny configuration: same layers, same code, few parameters."""
    config = ", ".join(f"{k}={v}" for k, v in about["configuration"].items())
    return (f"checking {about['model']} in its tiny configuration ({config or 'the default'}): "
            f"{about['parameters']:,} parameters instead of {about['full_parameters']:,}, seed {about['seed']}, "
            f"on {about['examples']} training examples with the task's loss ({about['loss']})\n"
            "  (the check evaluates the model twice per parameter, so zoo models are checked small: "
            "the same layers and code at a smaller size)\n")


def _check_model(args, loaded):
    model, inputs, loss_fn = loaded.model, loaded.inputs, loaded.loss_fn
    if hasattr(model, "named_parameters"):
        if args.eps_sweep:
            return _emit(eps_sweep_module(model, inputs, loss_fn, order=args.order, seed=args.seed), args.json,
                         loaded.about)
        return _emit(check_module(model, inputs, loss_fn, **_options(args)), args.json, loaded.about)
    if not callable(model):
        raise UsageError(f"--model {args.model}: the model is neither callable nor has named_parameters()")
    fn = model if loss_fn is None else (lambda *xs: loss_fn(model(*xs)))
    if args.eps_sweep:
        return _emit(eps_sweep(fn, inputs, order=args.order, seed=args.seed), args.json)
    return _emit(gradcheck(fn, inputs, **_options(args)), args.json)


# ---- op sweep -------------------------------------------------------------------------------------


def _load_extensions():
    """Import the library's packages that register primitives of their own (and their samples)."""
    for name in ("tinygrad_udl.nn",):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name is None or not name.startswith(e.name):
                raise


def _run_ops(args):
    if args.eps_sweep:
        raise UsageError("--eps-sweep works on an expression or a model, not on --ops")
    _load_extensions()
    try:
        results = check_primitives(args.ops or None, **_options(args))
    except KeyError as e:
        raise UsageError(e.args[0]) from None
    failed = any(r.status in ("FAIL", "NO SAMPLE") for r in results)
    if args.json:
        print(json.dumps([{"op": r.name, "status": r.status, "report": r.report and r.report.to_dict()}
                          for r in results], indent=2))
        return 1 if failed else 0
    rows = [("op", "input", "max abs err", "max rel err", "worst element", "status")]
    for r in results:
        if r.report is None:
            rows.append((r.name, "-", "-", "-", "-", r.status))
            continue
        for c in r.report.checks:
            argument = c.name.split(".")[-1]  # the sample inputs are labelled "<op>.x<i>"
            rows.append((r.name, f"{argument} (order {c.order})" if args.order > 1 else argument,
                         f"{c.max_abs_err:.2g}", f"{c.max_rel_err:.2g}",
                         "-" if c.worst_index is None else element_name("", c.worst_index) or "()", c.status))
        for d in r.report.directional:
            if d.ok:
                rows.append((r.name, f"(random direction, order {d.order})", f"{d.abs_err:.2g}", "-", "-", "ok"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print("\n".join("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in rows))
    counts = {s: sum(r.status == s for r in results) for s in ("ok", "KINK", "FAIL", "NO SAMPLE")}
    print(f"{len(results)} primitives: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n))
    for r in results:
        if r.status == "FAIL":
            print(f"\n{r.name}:\n{r.report}")
    return 1 if failed else 0
