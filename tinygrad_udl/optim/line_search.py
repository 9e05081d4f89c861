"""Line search by bracketing (fig. 6.10) and full-batch gradient descent with it (eq. 6.3, fig. 6.1).

Gradient descent with a fixed step moves far where the loss is steep and little where it is flat
(ch. 6 Notes); a line search instead picks, at every iteration, the step size α that most
decreases the loss along the downhill direction −∂L/∂φ. The book's bracketing keeps four points
a < b < c < d around the minimum of a 1-D function: if L[b] > L[c] the minimum is not in [a, b],
which is dropped (fig. 6.10a); otherwise [c, d] is dropped (fig. 6.10b); this repeats until b and c
are close, and the answer is (b + c)/2 (fig. 6.10c).

The book does not say where b and c sit. Here they divide [a, d] in the golden ratio
(golden-section search): then one of them is an interior point of the next bracket too, so every
iteration costs one evaluation of the loss (not two) and shrinks the bracket by 0.618.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.graph import enable_grad, no_grad
from .optimizer import Optimizer, check_number

_GOLDEN = (math.sqrt(5) - 1) / 2  # 0.618...: c sits at a + G(d − a), b at d − G(d − a)


def line_search(f, a, d, *, tol=1e-6, max_iter=200):
    """The minimizer of a 1-D function `f` on [a, d] by bracketing (fig. 6.10).

    The search stops when the bracket [a, d] is at most `tol` wide (b and c are then within
    0.236·tol) and returns (b + c)/2, its centre. For a unimodal f (one minimum in [a, d], ends
    included) the answer is within tol/2 of the minimum; otherwise it is a local minimum.
    `f(x)` returns a number (a float, or a one-element Tensor / Value); nan counts as +inf (e.g.
    a step so long that the loss overflowed). At most `max_iter` + 2 evaluations.
    """
    check_number("line_search", "a", a)
    check_number("line_search", "d", d)
    check_number("line_search", "tol", tol, minimum=0.0)
    if not a < d:
        raise ValueError(f"line_search: need a < d to search [a, d], got a={a}, d={d}")
    if tol <= 0:
        raise ValueError("line_search: tol must be > 0 (the search stops when the bracket is narrower than tol)")
    b, c = d - _GOLDEN * (d - a), a + _GOLDEN * (d - a)
    fb, fc = _value(f, b), _value(f, c)
    for _ in range(max_iter):
        if d - a <= tol:
            break
        if fb > fc:  # the minimum is not in [a, b]: drop it; c becomes the new b
            a, b, fb = b, c, fc
            c = a + _GOLDEN * (d - a)
            fc = _value(f, c)
        else:  # the minimum is not in [c, d]: drop it; b becomes the new c
            d, c, fc = c, b, fb
            b = d - _GOLDEN * (d - a)
            fb = _value(f, b)
    return (b + c) / 2


def _value(f, x):
    y = float(f(x))
    return math.inf if math.isnan(y) else y


class LineSearchGD(Optimizer):
    """Full-batch gradient descent (eqs. 6.2-6.3) with α chosen by `line_search` at every step (fig. 6.1).

    `LineSearchGD(params, max_lr=1.0, tol=1e-6)`: each `step(loss_fn)` computes g = ∂L/∂φ at the
    current parameters, searches α ∈ [0, max_lr] minimizing L[φ − α·g], and moves there.
    `loss_fn()` takes no arguments and returns the scalar loss Tensor at the current parameters;
    it must not call backward() itself (step() does, once, and evaluates loss_fn under no_grad()
    at the trial points). step() returns the loss before the move; `last_lr` is the α chosen.
    One α serves all parameters (it is a search along one direction), so there is one group.
    """

    def __init__(self, params, max_lr=1.0, tol=1e-6):
        super().__init__(params, dict(max_lr=max_lr, tol=tol))
        self.last_lr = None

    def add_param_group(self, group):
        if self.param_groups:
            raise ValueError("LineSearchGD: one line search moves all parameters along the same direction, so it takes "
                             "a single parameter group")
        super().add_param_group(group)

    def _check_group(self, group):
        check_number("LineSearchGD", "max_lr", group["max_lr"], minimum=0.0)
        check_number("LineSearchGD", "tol", group["tol"], minimum=0.0)
        if not group["max_lr"] > 0 or not group["tol"] > 0:
            raise ValueError(f"LineSearchGD: max_lr and tol must be > 0, got {group['max_lr']} and {group['tol']}")

    def step(self, loss_fn=None):
        if not callable(loss_fn):
            raise TypeError("LineSearchGD.step(loss_fn): loss_fn, a function of no arguments returning the loss "
                            "Tensor, is required (the line search evaluates the loss at trial points)")
        group = self.param_groups[0]
        self.zero_grad()
        with enable_grad():
            loss = loss_fn()
            loss.backward()
        moving = [(p, p.data.copy(), p.grad.data) for p in group["params"] if p.grad is not None]

        def move_to(alpha):  # φ − α·g, written in place from the saved φ (no drift)
            for p, start, grad in moving:
                np.subtract(start, alpha * grad, out=p.data)

        def loss_at(alpha):
            move_to(alpha)
            with no_grad():
                return loss_fn()

        self.last_lr = line_search(loss_at, 0.0, group["max_lr"], tol=group["tol"])
        move_to(self.last_lr)
        return loss


def gradient_descent_line_search(loss_fn, params, steps, *, max_lr=1.0, tol=1e-6, grad_tol=0.0):
    """Run `steps` iterations of gradient descent with line search (fig. 6.1); return the losses
    at the start and after each iteration (a list of floats).

    `loss_fn()` returns the full-batch loss Tensor at the current `params` (updated in place).
    Stops after the first iteration whose gradient norm was at most `grad_tol` ("we monitor the
    gradient magnitude and terminate the algorithm when it becomes too small", section 6.1).
    """
    optimizer = LineSearchGD(params, max_lr=max_lr, tol=tol)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"gradient_descent_line_search: steps must be an int >= 0, got {steps!r}")
    check_number("gradient_descent_line_search", "grad_tol", grad_tol, minimum=0.0)
    losses = []
    for _ in range(steps):
        losses.append(float(optimizer.step(loss_fn)))
        grads = [p.grad.data for p in optimizer.param_groups[0]["params"] if p.grad is not None]
        if math.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads)) <= grad_tol:
            break
    with no_grad():
        losses.append(float(loss_fn()))
    return losses
