"""Adversarial examples (section 20.4.6, fig. 20.14): the gradient of the loss with respect to the input.

The book finds its perturbations "by considering the gradients of the network output with respect
to the input". The fast gradient sign method (FGSM; standard, not in the book) takes one step of
size ε in the sign of that gradient,

    x′ = x + ε · sign(∂L/∂x),          so ‖x′ − x‖∞ = ε,

the largest first-order increase of the loss within the ∞-norm ball of radius ε. For a linear
logit z = wᵀx + b the change is exactly ±ε‖w‖₁ (moving against the true class), which the tests
check; for a network it is a first-order estimate.
"""
from __future__ import annotations

import numpy as np

from ..autograd.functional import grad
from ..autograd.graph import enable_grad
from ..autograd.tensor import Tensor
from ..nn.loss import cross_entropy
from ..training.metrics import classification_error


def input_gradient(model, x, y, loss_fn=cross_entropy) -> np.ndarray:
    """∂L/∂x for every example: the gradient of the summed loss (so each row is that example's own
    gradient), with the model in eval mode (batch norm uses its running statistics). The model's
    parameters' `.grad` are not touched."""
    was_training = model.training
    model.eval()
    try:
        with enable_grad():
            dtype = next(iter(model.parameters())).dtype
            xt = Tensor(np.asarray(x, dtype=dtype), requires_grad=True)
            loss = loss_fn(model(xt), y, reduction="sum")
            (g,) = grad(loss, [xt])
    finally:
        model.train(was_training)
    return np.asarray(g.data)


def fgsm(model, x, y, epsilon, loss_fn=cross_entropy) -> np.ndarray:
    """x + ε·sign(∂L/∂x): the fast gradient sign perturbation of every example (a new array)."""
    if not epsilon >= 0:
        raise ValueError(f"fgsm: epsilon must be >= 0, got {epsilon}")
    x = np.asarray(x)
    return (x + epsilon * np.sign(input_gradient(model, x, y, loss_fn))).astype(x.dtype, copy=False)


def adversarial_errors(model, x, y, epsilons, loss_fn=cross_entropy, error_fn=classification_error) -> list:
    """The error (%) of `model` on FGSM examples x + ε·sign(∂L/∂x), for each ε (ε = 0: clean data)."""
    from ..autograd.graph import no_grad

    g = np.sign(input_gradient(model, x, y, loss_fn))
    was_training = model.training
    model.eval()
    out = []
    try:
        with no_grad():
            for eps in epsilons:
                logits = model(Tensor(np.asarray(x + eps * g, dtype=np.asarray(x).dtype)))
                out.append(100.0 * error_fn(logits, y))
    finally:
        model.train(was_training)
    return out
