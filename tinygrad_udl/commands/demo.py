"""`tinygrad-udl demo`: the main job of `make demo`.

The book's toy example (section 7.3) on the scalar engine: the forward pass of eq. 7.8 and the
gradients of all eight parameters, checked against the closed form of eq. 7.7.
"""
from __future__ import annotations

from ..zoo.toy import toy_domega0_closed_form, toy_model


def register(subparsers):
    parser = subparsers.add_parser("demo", help="run the main demonstration (the book's toy example, ...)",
                                   description=__doc__)
    parser.add_argument("--out", default="out/demo", help="folder for the files the demo writes (default: out/demo)")
    parser.set_defaults(run=run)


def run(args):
    print(toy_report())
    return 0


def toy_report() -> str:
    graph = toy_model()
    graph.loss.backward()
    lines = ["The toy model of section 7.3 (eq. 7.5):",
             "  f[x, phi] = beta3 + omega3 cos[beta2 + omega2 exp[beta1 + omega1 sin[beta0 + omega0 x]]]",
             f"  at x = {graph.x.data}, y = {graph.y.data}, loss l = (f - y)^2",
             "", "Forward pass (eq. 7.8):"]
    lines += [f"  {name:>4} = {value:>11.6f}" for name, value in graph.forward_values().items()]
    lines += ["", "Parameter gradients by backpropagation (eqs. 7.9-7.15):"]
    lines += [f"  dl/d{name:<6} = {v.grad:>11.6f}   ({name} = {v.data:g})" for name, v in graph.params.items()]
    closed = toy_domega0_closed_form()
    lines += ["", f"Check: eq. 7.7 gives dl/domega0 = {closed:.6f} in closed form "
                  f"(difference {abs(closed - graph.params['omega0'].grad):.1e})."]
    return "\n".join(lines)
