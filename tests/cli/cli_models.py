"""Model factories for `--model tests.cli.cli_models:NAME` in the command-line tests."""
import numpy as np

from tinygrad_udl import Tensor, nn


def small():
    """(model, inputs, loss_fn): a two-layer network with its modules, on five examples."""
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    x = Tensor(rng.standard_normal((5, 3)))
    return model, [x], lambda out: (out * out).mean()


def deep():
    """A network whose graph has more than 100 nodes (30 layers of Linear + tanh)."""
    rng = np.random.default_rng(0)
    layers = []
    for _ in range(30):
        layers += [nn.Linear(2, 2), nn.Tanh()]
    return nn.Sequential(*layers), [Tensor(rng.standard_normal((3, 2)))], lambda out: out.sum()


def raises():
    raise RuntimeError("no data here")
