"""`tinygrad-udl demo`: the main job of `make demo`.

1. The book's toy example (section 7.3) on the scalar engine: the forward pass of eq. 7.8 and the
   gradients of all eight parameters, checked against the closed form of eq. 7.7.
2. Its compute graph with every value and gradient (svg, dot) and its backward pass step by step.
3. Gradient checks against finite differences: the toy example, and a small tensor network.
4. A short MNIST-1D training of the fully connected network of fig. 8.2 and the CNN of fig. 10.8
   (with its fully connected baseline), the book's numbers beside ours.
"""
from __future__ import annotations


import numpy as np

from .. import nn
from ..autograd.tensor import Tensor
from ..autograd.value import Value
from ..gradcheck import check_module, gradcheck
from ..reproduce import demo_training
from ..viz import GraphvizNotFoundError
from .examples import write_toy_outputs
from .options import add_output
from .outputs import check_folder, writing
from ..zoo.supervised.toy import TOY_PARAMETERS, toy_domega0_closed_form, toy_model


def register(subparsers):
    parser = subparsers.add_parser("demo", help="run the main demonstration (the book's toy example, ...)",
                                   description=__doc__)
    add_output(parser, metavar="DIR", default="out/demo",
               help="folder for the files the demo writes (default: out/demo)")
    parser.set_defaults(run=run)


def run(args):
    out = check_folder(args.out)  # before the work, not after it
    print(args.threads_note)
    section("1. The toy example of section 7.3")
    print(toy_report())
    section("2. Its compute graph and backward pass")
    with writing(out):
        print(toy_pictures(out))
    section("3. Gradient checks against finite differences (float64)")
    ok = gradient_checks()
    section("4. MNIST-1D: the book's numbers and ours")
    with writing(out):
        demo_training(out / "mnist1d")
    print(f"\nAll outputs are in {out}/")
    return 0 if ok else 1


def section(title):
    print(f"\n{title}\n{'=' * len(title)}")


def toy_report() -> str:
    graph = toy_model()
    graph.loss.backward()
    lines = ["The toy model (eq. 7.5):",
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


def toy_pictures(out) -> str:
    try:
        paths = write_toy_outputs(out)
    except GraphvizNotFoundError as e:  # the dot and Markdown files are written before the svg
        return f"{e}\nWritten: {out / 'toy_graph.dot'}, {out / 'toy_backward.md'}"
    return "Written:\n" + "\n".join(f"  {p}" for p in paths) + \
        "\n(the graph shows each node's value and dl/dnode; the trace lists every step of eqs. 7.9-7.15)"


def gradient_checks() -> bool:
    names = list(TOY_PARAMETERS)
    toy = gradcheck(lambda *values: toy_model(dict(zip(names, values))).loss,
                    [Value(TOY_PARAMETERS[n], label=n) for n in names])
    print("The toy model, all eight parameters:")
    print(toy)
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    x = Tensor(rng.standard_normal((5, 4)), dtype="float32")
    y = rng.integers(0, 3, 5)
    small = check_module(model, [x], loss_fn=lambda logits: nn.functional.cross_entropy(logits, y))
    print("\nA small network Linear(4, 8) - tanh - Linear(8, 3) with cross-entropy, every parameter:")
    print(small)
    return toy.ok and small.ok
