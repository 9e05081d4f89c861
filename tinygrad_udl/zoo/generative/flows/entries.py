"""The zoo entries of chapter 16 (normalizing flows): each flow fitted by maximum likelihood
(eq. 16.8) to a 2-D density whose log-density is known, its test NLL printed beside the density's
entropy (the lowest expected NLL any model can reach) and the NLL of the true density on the
same test points."""
from __future__ import annotations

import functools

import numpy as np

from ....autograd.graph import no_grad
from ....autograd.tensor import Tensor
from ...registry import REGRESSION_METRICS, ZooEntry
from .autoregressive import MaskedAutoregressiveFlow
from .coupling import RealNVP
from .elementwise import LinearElementwiseFlow
from .figures import plot_density
from .residual import ResidualFlow
from .tasks import density, density_task, grid_mass

GRID_POINTS = 400  # per axis, for the check that the learned density integrates to one


def _log_prob_numpy(model):
    dtype = next(iter(model.parameters())).dtype

    def log_prob(points):
        with no_grad():
            return np.concatenate([model.log_prob(Tensor(chunk.astype(dtype))).data.astype(np.float64)
                                   for chunk in np.array_split(points, max(1, len(points) // 20_000))])
    return log_prob


@functools.cache
def _entropy(name):
    return density(name).entropy()


def _density_rows(name, model, history, split):
    """The exact references: the entropy of the density, the true density's NLL on our test
    points, and the learned density's total mass on a grid (1 for a normalised density)."""
    x_test = split.test[0].astype(np.float64)
    low, high = x_test.min(0) - 1.5, x_test.max(0) + 1.5
    return [
        {"metric": "entropy H[p] (nats; the lowest expected NLL)", "book": None, "ours": _entropy(name),
         "note": "exact: the density integrated on a grid"},
        {"metric": "NLL of the true density on the test points", "book": None,
         "ours": float(-density(name).log_prob(x_test).mean()),
         "note": "the same points as our test NLL: a perfect model's score"},
        {"metric": "mass of the learned density on a grid", "book": None,
         "ours": grid_mass(_log_prob_numpy(model), GRID_POINTS, low, high),
         "note": f"should be 1: integrated over the test points' box ± 1.5, {GRID_POINTS}² cells"},
    ]


def _pictures(name, section, task_name, model, history, split, out) -> list:
    """`out/density.png`: the true density, the learned one and samples (`train NAME --plot`)."""
    return [plot_density(model, density(task_name), f"{out}/density.png", title=f"{name} ({section})")]


ADAM = {"optimizer": "adam", "batch_size": 256}
SOURCE = ("ours: the book trains no flow on these densities; Adam, batch 256, a fixed set of 5,000 points "
          "(the length fits a ~1-2 minute run)")
NOTES = {"test_loss": "no book value: compare with the entropy below"}


def _entry(name, section, description, model, task_name, hyper, model_kwargs, tiny):
    return ZooEntry(name, section, description, model, density_task(task_name), {**ADAM, **hyper}, SOURCE,
                    notes=NOTES, model_kwargs=model_kwargs, tiny=tiny, metrics=REGRESSION_METRICS,
                    extra_rows=functools.partial(_density_rows, task_name),
                    pictures=functools.partial(_pictures, name, section, task_name))


def entries() -> list:
    """The entries of chapter 16, in book order."""
    return [
        _entry("flow-linear-elementwise", "16.3.1-16.3.2, eqs. 16.9-16.12",
               "LU linear flows alternating with piecewise-linear elementwise flows, three Gaussians",
               LinearElementwiseFlow, "three-gaussians", {"lr": 0.01, "steps": 1500, "eval_every": 20},
               {"layers": 4, "bins": 8}, {"layers": 1, "bins": 3}),
        _entry("flow-realnvp", "16.3.3, eqs. 16.13-16.14", "RealNVP: 6 affine coupling layers, two moons",
               RealNVP, "two-moons", {"lr": 0.001, "steps": 3000, "eval_every": 20},
               {"layers": 6, "hidden": (64, 64)}, {"layers": 2, "hidden": (3,)}),
        _entry("flow-maf", "16.3.4-16.3.5, eqs. 16.15-16.17",
               "masked autoregressive flow: 5 MADE layers, 8 Gaussians on a ring",
               MaskedAutoregressiveFlow, "ring", {"lr": 0.001, "steps": 4000, "eval_every": 20},
               {"layers": 5, "hidden": (64, 64)}, {"layers": 2, "hidden": (3,)}),
        _entry("flow-iresnet", "16.3.7, eqs. 16.20-16.22", "invertible residual flow: 8 contractive blocks, two moons",
               ResidualFlow, "two-moons", {"lr": 0.01, "steps": 1000, "eval_every": 10},
               {"layers": 8, "hidden": (64,)}, {"layers": 2, "hidden": (3,)}),
    ]

