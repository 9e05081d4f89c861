"""Gradient checking: the engine's gradients against central finite differences in float64, with
non-differentiable points told apart from bugs, points near a singularity or beyond what float64
steps can tell reported as such, and the wrong node named (docs/gradcheck.md).

    report = gradcheck(fn, [x, W])        # Values, or Tensors with requires_grad=True
    print(report)                          # a table: max errors, worst element, kinks, wrong node
    check_module(model, [X])               # every parameter of an nn.Module-like object
    eps_sweep(fn, [x, W])                  # the order of convergence: ~2 correct, ~0 wrong
    check_primitives()                     # every registered primitive on its sample inputs
    draw_graph(out, check=check_nodes(out))  # each node of a graph checked on its own, coloured

Modules: numerics (finite differences and the decision procedure that turns them into verdicts),
core (the checks), localise (which node is wrong), sites (where nodes were created), sweep (step
sweep), opsweep (every primitive on the sample it is declared with), report (the result objects).
"""
from .core import check_module, gradcheck
from .localise import NodeCheck, check_nodes
from .opsweep import OpResult, check_primitives
from .report import DirectionalCheck, GradcheckError, GradcheckReport, InputCheck, Kink, Unresolved, WrongNode
from .sweep import EpsSweep, eps_sweep, eps_sweep_module

__all__ = ["gradcheck", "check_module", "check_nodes", "NodeCheck", "GradcheckReport", "GradcheckError", "InputCheck",
           "Kink", "Unresolved", "WrongNode", "DirectionalCheck", "eps_sweep", "eps_sweep_module", "EpsSweep",
           "check_primitives", "OpResult"]
