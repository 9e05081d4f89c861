"""Shallow and deep networks on `Value`s: one node per weight (eqs. 3.1-3.3 and 4.15).

The teaching counterpart of micrograd's `MLP`: `ScalarMLP(2, [16, 16, 1])` is micrograd's demo
model. Layer k computes h_{k+1} = a[beta_k + Omega_k h_k] (eq. 4.15) with ReLU activations on the
hidden layers and a linear output (as the book's networks), weights stored as Omega_k[out][in]
(the book's and PyTorch's (out, in) layout).
"""
from __future__ import annotations

import random

from ...autograd.value import Value


class ScalarLayer:
    """One layer: pre-activations beta + Omega h (eq. 3.1's weighted sums), then the activation."""

    def __init__(self, n_in, n_out, activation=True, rng=None):
        rng = rng or random.Random(0)
        # He initialisation (eq. 7.30): variance 2 / fan_in, so activations keep their scale.
        std = (2.0 / n_in) ** 0.5
        self.omega = [[Value(rng.gauss(0.0, std)) for _ in range(n_in)] for _ in range(n_out)]
        self.beta = [Value(0.0) for _ in range(n_out)]
        self.activation = activation

    def __call__(self, h):
        out = []
        for row, b in zip(self.omega, self.beta):
            f = b
            for w, x in zip(row, h):
                f = f + w * x
            out.append(f.relu() if self.activation else f)
        return out

    def parameters(self):
        return [w for row in self.omega for w in row] + self.beta


class ScalarMLP:
    """`ScalarMLP(n_in, [widths...])`: ReLU hidden layers, linear output layer."""

    def __init__(self, n_in, widths, seed=0):
        rng = random.Random(seed)
        sizes = [n_in] + list(widths)
        self.layers = [ScalarLayer(a, b, activation=i < len(widths) - 1, rng=rng)
                       for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]))]

    def __call__(self, x):
        h = [xi if isinstance(xi, Value) else Value(xi) for xi in x]
        for layer in self.layers:
            h = layer(h)
        return h[0] if len(h) == 1 else h

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def named_parameters(self):
        """(name, Value) pairs, e.g. ('layers.0.omega[3][1]', ...), as PyTorch names parameters."""
        for k, layer in enumerate(self.layers):
            for i, row in enumerate(layer.omega):
                for j, w in enumerate(row):
                    yield f"layers.{k}.omega[{i}][{j}]", w
            for i, b in enumerate(layer.beta):
                yield f"layers.{k}.beta[{i}]", b
