"""W1: one full-batch training step of micrograd's demo model on `Value`s (chapter 7, one node per number).

micrograd's demo: MLP(2, [16, 16, 1]) (ReLU hidden layers, linear output) on 100 two-moons points
with labels y = +-1, the SVM-style loss mean(relu(1 - y * score)) + 1e-4 * sum(p^2), backward, and
an SGD update. The scalar engines (tinygrad_udl `Value` with `zoo.ScalarMLP`, micrograd) build one
node per multiply and add: about 60,000 nodes per step. The same step is also run as matrix code
(tinygrad_udl `Tensor`, PyTorch, HIPS autograd, hand-written numpy) to show what vectorising buys.

Every system starts from the same weights, drawn as micrograd draws them (uniform(-1, 1), biases
0) and copied into each model, so the check value (the first loss) agrees. Python floats are
float64, so every system here computes in float64.
"""
from __future__ import annotations

import random

from .harness import AUTOGRAD, MICROGRAD, NUMPY, OURS, TORCH, Case, SystemCase, Workload

SIZES = (2, 16, 16, 1)
N_POINTS = 100
ALPHA = 1e-4  # L2 penalty of micrograd's demo
LR = 0.05


def moons():
    """100 two-moons points (noise 0.1, seeded) and labels +-1, as micrograd's demo (sklearn-free)."""
    import numpy as np

    from tinygrad_udl.data import make_moons

    x, y = make_moons(N_POINTS, rng=np.random.default_rng(0), noise=0.1)
    return x, 2.0 * y - 1.0


def initial_weights(seed=1337):
    """[(W, b), ...] per layer, W as rows (out, in): micrograd's init, uniform(-1, 1), biases 0."""
    rng = random.Random(seed)
    return [([[rng.uniform(-1, 1) for _ in range(n_in)] for _ in range(n_out)], [0.0] * n_out)
            for n_in, n_out in zip(SIZES[:-1], SIZES[1:])]


# ---- the scalar engines ---------------------------------------------------------------------------


class ScalarStep(Case):
    """micrograd's demo step, written once for any Value class with micrograd's interface."""

    def __init__(self, model, params, value_cls, zero_grad):
        self.model, self.params, self.value_cls, self.zero_grad = model, params, value_cls, zero_grad
        x, y = moons()
        self.x, self.y = x.tolist(), y.tolist()

    def step(self):
        V = self.value_cls
        scores = [self.model([V(a) for a in row]) for row in self.x]
        losses = [(1 + -yi * si).relu() for yi, si in zip(self.y, scores)]
        loss = sum(losses) * (1.0 / len(losses)) + ALPHA * sum(p * p for p in self.params)
        self.zero_grad(self.params)
        loss.backward()
        for p in self.params:
            p.data -= LR * p.grad
        return loss.data


def ours_scalar():
    import tinygrad_udl as tg
    from tinygrad_udl.zoo import ScalarMLP

    model = ScalarMLP(*_mlp_args())
    for layer, (w, b) in zip(model.layers, initial_weights()):
        for row, wrow in zip(layer.omega, w):
            for p, v in zip(row, wrow):
                p.data = v
        for p, v in zip(layer.beta, b):
            p.data = v
    return ScalarStep(model, model.parameters(), tg.Value, tg.zero_grad)


def micrograd_scalar():
    from micrograd.engine import Value
    from micrograd.nn import MLP

    state = random.getstate()  # micrograd draws from the global generator; we overwrite its draws
    model = MLP(*_mlp_args())
    random.setstate(state)
    for layer, (w, b) in zip(model.layers, initial_weights()):
        for neuron, wrow, bias in zip(layer.neurons, w, b):
            for p, v in zip(neuron.w, wrow):
                p.data = v
            neuron.b.data = bias

    def zero_grad(params):
        for p in params:
            p.grad = 0

    return ScalarStep(model, model.parameters(), Value, zero_grad)


def _mlp_args():
    return SIZES[0], list(SIZES[1:])


# ---- the same step as matrix code (float64) -------------------------------------------------------


def _arrays(dtype="float64"):
    import numpy as np

    x, y = moons()
    params = []
    for w, b in initial_weights():
        params += [np.array(w, dtype), np.array(b, dtype)]
    return x.astype(dtype), y.astype(dtype).reshape(-1, 1), params


def matrix_loss(params, x, y):
    """The loss of the step in matrix form, written once for tinygrad_udl and PyTorch tensors
    (both have @, .T, .relu(), .mean(), .sum())."""
    w1, b1, w2, b2, w3, b3 = params
    h = (x @ w1.T + b1).relu()
    h = (h @ w2.T + b2).relu()
    score = h @ w3.T + b3
    return (1 - y * score).relu().mean() + ALPHA * sum((p * p).sum() for p in params)


class OursTensor(Case):
    def __init__(self):
        import tinygrad_udl as tg

        self.tg = tg
        x, y, params = _arrays()
        self.x, self.y = tg.Tensor(x), tg.Tensor(y)
        self.params = [tg.Tensor(p, requires_grad=True) for p in params]

    def step(self):
        loss = matrix_loss(self.params, self.x, self.y)
        self.tg.zero_grad(self.params)
        loss.backward()
        for p in self.params:
            p.data -= LR * p.grad.data
        return loss.item()


class TorchTensor(Case):
    def __init__(self):
        import torch

        self.torch = torch
        x, y, params = _arrays()
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)
        self.params = [torch.tensor(p, requires_grad=True) for p in params]

    def step(self):
        loss = matrix_loss(self.params, self.x, self.y)
        for p in self.params:
            p.grad = None
        loss.backward()
        with self.torch.no_grad():
            for p in self.params:
                p -= LR * p.grad
        return loss.item()


class AutogradTensor(Case):
    def __init__(self):
        import autograd
        import autograd.numpy as anp

        self.x, self.y, self.params = _arrays()

        def loss_fn(params, x, y):
            w1, b1, w2, b2, w3, b3 = params
            h = anp.maximum(x @ w1.T + b1, 0)
            h = anp.maximum(h @ w2.T + b2, 0)
            score = h @ w3.T + b3
            return anp.mean(anp.maximum(1 - y * score, 0)) + ALPHA * sum(anp.sum(p * p) for p in params)

        self.value_and_grad = autograd.value_and_grad(loss_fn)

    def step(self):
        loss, grads = self.value_and_grad(self.params, self.x, self.y)
        self.params = [p - LR * g for p, g in zip(self.params, grads)]
        return float(loss)


class NumpyTensor(Case):
    """Forward and backward by hand: the floor for the matrix formulation."""

    def __init__(self):
        self.x, self.y, self.params = _arrays()

    def step(self):
        import numpy as np

        w1, b1, w2, b2, w3, b3 = self.params
        x, y = self.x, self.y
        f1 = x @ w1.T + b1
        h1 = np.maximum(f1, 0)
        f2 = h1 @ w2.T + b2
        h2 = np.maximum(f2, 0)
        score = h2 @ w3.T + b3
        margin = 1 - y * score
        loss = np.maximum(margin, 0).mean() + ALPHA * sum(np.sum(p * p) for p in self.params)
        d_score = -y * (margin > 0) / len(x)
        d_f2 = (d_score @ w3) * (f2 > 0)
        d_f1 = (d_f2 @ w2) * (f1 > 0)
        grads = [d_f1.T @ x, d_f1.sum(0), d_f2.T @ h1, d_f2.sum(0), d_score.T @ h2, d_score.sum(0)]
        for p, g in zip(self.params, grads):
            p -= LR * (g + 2 * ALPHA * p)
        return float(loss)


def workloads(quick):
    return [Workload(
        key="W1", title="micrograd demo MLP(2,[16,16,1]), 100 moons, full-batch step (fwd+bwd+SGD), float64",
        unit="ms/step", unit_scale=1e3, repeats=3 if quick else 10, warmup=1,
        baselines=(TORCH, MICROGRAD), check_rtol=1e-9,
        cases=[
            SystemCase(f"{OURS} Value", ours_scalar, note="zoo.ScalarMLP"),
            SystemCase(MICROGRAD, micrograd_scalar, requires="micrograd"),
            SystemCase(f"{OURS} Tensor", OursTensor, note="matrix form"),
            SystemCase(TORCH, TorchTensor, requires="torch", note="matrix form"),
            SystemCase(AUTOGRAD, AutogradTensor, requires="autograd", note="matrix form"),
            SystemCase(NUMPY, NumpyTensor, note="matrix form"),
        ],
        notes=["the target compares the two scalar engines: tinygrad_udl Value vs micrograd (x micrograd)"])]
