"""Test models. `DuckModule` implements only the protocol viz relies on (PyTorch's):
`named_modules()`, `named_parameters()` and calling the module calls `forward`. Each layer records
the nodes its forward creates in `created`: the oracle for the module clusters."""
from __future__ import annotations

import numpy as np

from tinygrad_udl import Tensor


class DuckModule:
    def __init__(self, **children):
        self.children = children
        self.params = {}
        self.created = []

    def named_modules(self, prefix=""):
        yield prefix, self
        for name, child in self.children.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def named_parameters(self):
        for module_name, module in self.named_modules():
            for name, p in module.params.items():
                yield (f"{module_name}.{name}" if module_name else name), p

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)


class Lin(DuckModule):
    def __init__(self, n_in, n_out, rng):
        super().__init__()
        self.params = {"weight": Tensor(rng.standard_normal((n_out, n_in)), requires_grad=True),
                       "bias": Tensor(rng.standard_normal(n_out), requires_grad=True)}

    def forward(self, x):
        t = self.params["weight"].T
        m = x @ t
        out = m + self.params["bias"]
        self.created += [t, m, out]
        return out


class Block(DuckModule):
    """x + fc2(relu(fc1(x))): a residual block (section 11.2) with ops of its own around sub-modules."""

    def __init__(self, d, rng):
        super().__init__(fc1=Lin(d, d, rng), fc2=Lin(d, d, rng))

    def forward(self, x):
        r = self.children["fc1"](x).relu()
        out = x + self.children["fc2"](r)
        self.created += [r, out]
        return out


class Net(DuckModule):
    def __init__(self, seed=0):
        rng = np.random.default_rng(seed)
        super().__init__(inp=Lin(2, 3, rng), b0=Block(3, rng), b1=Block(3, rng), out=Lin(3, 1, rng))

    def forward(self, x):
        c = self.children
        return c["out"](c["b1"](c["b0"](c["inp"](x))))


def net_input(seed=0):
    return Tensor(np.random.default_rng(seed + 1).standard_normal((4, 2)))
