"""Shallow and deep networks on `Value`s: one node per weight (eqs. 3.1-3.3 and 4.15).

The teaching counterpart of micrograd's `MLP`: `ScalarMLP(2, [16, 16, 1])` is micrograd's demo
model. Layer k computes h_{k+1} = a[beta_k + Omega_k h_k] (eq. 4.15) with ReLU activations on the
hidden layers and a linear output (as the book's networks), weights stored as Omega_k[out][in]
(the book's and PyTorch's (out, in) layout).

It has the module API of every other model: `parameters()`, `named_parameters()`, `zero_grad()`,
`num_parameters()`, and `state_dict()` / `load_state_dict()` with arrays keyed by PyTorch's names
for the same network, `nn.Sequential(Linear, ReLU, ..., Linear)`: layer k's Omega_k is
'{2k}.weight' (out, in) and its beta_k '{2k}.bias'. So the weights move between the scalar engine
and the tensor engine (`zoo.DeepNetwork`, or PyTorch) in one call each way:

    net = DeepNetwork(2, [16, 16], 1, dtype=np.float64)
    net.load_state_dict(ScalarMLP(2, [16, 16, 1]).state_dict())     # the same function
"""
from __future__ import annotations

import random

import numpy as np

from ...autograd.tensor import Tensor
from ...autograd.value import Value
from ...nn.module import IncompatibleKeys, StateDictError, check_state_keys


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
        """(name, Value) pairs, one per number, e.g. ('layers.0.omega[3][1]', ...), as PyTorch
        names parameters (graph drawings show these names; `state_dict` groups them into arrays)."""
        for k, layer in enumerate(self.layers):
            for i, row in enumerate(layer.omega):
                for j, w in enumerate(row):
                    yield f"layers.{k}.omega[{i}][{j}]", w
            for i, b in enumerate(layer.beta):
                yield f"layers.{k}.beta[{i}]", b

    def num_parameters(self):
        """How many numbers the model learns (337 for micrograd's demo model `ScalarMLP(2, [16, 16, 1])`)."""
        return len(self.parameters())

    def zero_grad(self):
        """Set every parameter's gradient to 0 (leaf gradients accumulate across backward() calls)."""
        for p in self.parameters():
            p.grad = 0.0

    # ---- state: the same arrays as the tensor model -----------------------------------------------

    def _state_layout(self):
        """(key, layer, 'omega' | 'beta', shape) in the order of nn.Sequential's state dict."""
        for k, layer in enumerate(self.layers):
            yield f"{2 * k}.weight", layer, "omega", (len(layer.omega), len(layer.omega[0]) if layer.omega else 0)
            yield f"{2 * k}.bias", layer, "beta", (len(layer.beta),)

    def state_dict(self):
        """{'0.weight': Omega_0 (out, in), '0.bias': beta_0, '2.weight': Omega_1, ...} as float64 arrays
        (copies of the Values' numbers): the state dict of the equivalent `nn.Sequential(Linear,
        ReLU, ..., Linear)` (`zoo.DeepNetwork(n_in, widths[:-1], widths[-1])`, or PyTorch's), which
        loads it when built in float64 (else convert the arrays with .astype)."""
        out = {}
        for key, layer, kind, _ in self._state_layout():
            values = layer.omega if kind == "omega" else layer.beta
            out[key] = np.array([[w.data for w in row] for row in values] if kind == "omega"
                                else [b.data for b in values], dtype=np.float64)
        return out

    def load_state_dict(self, state_dict, strict=True):
        """Set the parameters' values from arrays keyed as `state_dict()` (numpy arrays, Tensors or
        nested lists of numbers; any real dtype), e.g. from an nn model of the same sizes.

        Everything is checked before anything is set: with `strict=True` the keys must match
        exactly; shapes must always match. Gradients and graphs are left alone (the Values keep
        their identity, so an optimizer holding them keeps working). Returns (missing_keys,
        unexpected_keys)."""
        layout = list(self._state_layout())
        missing, unexpected, problems = check_state_keys(state_dict, {key for key, *_ in layout}, strict)
        updates = []
        for key, layer, kind, shape in layout:
            if key not in state_dict:
                continue
            value = state_dict[key]
            array = np.asarray(value.data if isinstance(value, Tensor) else value)
            if array.shape != shape:
                problems.append(f"'{key}': shape {array.shape} in the state dict, {shape} in the model")
            elif array.dtype.kind not in "biuf":
                problems.append(f"'{key}': dtype {array.dtype} is not a real number type")
            else:
                updates.append((layer, kind, array.astype(np.float64)))
        if problems:
            raise StateDictError(f"load_state_dict into {type(self).__name__}: nothing was loaded, because\n  "
                                 + "\n  ".join(problems))
        for layer, kind, array in updates:
            if kind == "omega":
                for row, values in zip(layer.omega, array):
                    for w, v in zip(row, values):
                        w.data = float(v)
            else:
                for b, v in zip(layer.beta, array):
                    b.data = float(v)
        return IncompatibleKeys(missing, unexpected)

    def __repr__(self):
        sizes = [len(self.layers[0].omega[0]) if self.layers and self.layers[0].omega else 0]
        sizes += [len(layer.beta) for layer in self.layers]
        return f"ScalarMLP({' -> '.join(map(str, sizes))})  # {self.num_parameters():,} parameters"
