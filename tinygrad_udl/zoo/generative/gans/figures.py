"""Pictures of trained GANs: fig. 15.1's view of the 1-D game, the ring's samples, digit grids and
the 1-D critic.

matplotlib is an optional dependency (`pip install tinygrad_udl[plot]`), imported when a picture is
drawn; figures are drawn on their own canvas (no pyplot state) and written atomically (`plotting`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ....autograd.graph import no_grad
from ....autograd.tensor import Tensor
from ....plotting import figure, save_figure
from ..data import to_unit_range

PICTURE_SAMPLES = 2000
DRAWING = "drawing GAN samples"   # what an ImportError without matplotlib names


def _scores(network, x):
    """The network's output for the points x (numpy (N, 1)) as a flat numpy array."""
    with no_grad():
        return network(Tensor(x.astype(next(iter(network.parameters())).dtype))).data.ravel()


def plot_game_1d(model, real, path, title=None) -> Path:
    """Fig. 15.1's view of a 1-D GAN: histograms of real and generated examples and the
    discriminator's Pr(real) = sig[f[x, φ]] (or a WGAN critic's score f[x, φ])."""
    fake = model.sample(PICTURE_SAMPLES, 0)
    grid = np.linspace(min(real.min(), fake.min()) - 1, max(real.max(), fake.max()) + 1, 400)[:, None]
    scores = _scores(model.adversary, grid)
    fig = figure(7, 3.6, DRAWING)
    ax = fig.subplots()
    ax.hist(real.ravel(), bins=60, density=True, alpha=0.5, color="C0", label="real examples")
    ax.hist(fake.ravel(), bins=60, density=True, alpha=0.5, color="C1", label="generated samples")
    right = ax.twinx()
    if model.adversary_name == "discriminator":
        right.plot(grid, 1.0 / (1.0 + np.exp(-scores)), color="k", label="Pr(real) = sig f[x]")
        right.set_ylim(0, 1)
    else:
        right.plot(grid, scores, color="k", label="critic f[x]")
    ax.set_xlabel("x")
    ax.legend(loc="upper left")
    right.legend(loc="upper right")
    return save_figure(fig, path, title=title)


def plot_ring(model, real, path, title=None) -> Path:
    """Real points of the ring beside the model's samples, on the same axes."""
    fake = model.sample(PICTURE_SAMPLES, 0)
    fig = figure(8, 4, DRAWING)
    for ax, points, name, colour in zip(fig.subplots(1, 2), (real, fake), ("real examples", "generated samples"),
                                        ("C0", "C1")):
        ax.scatter(points[:, 0], points[:, 1], s=2, alpha=0.4, color=colour)
        ax.set(xlim=(-3, 3), ylim=(-3, 3), aspect="equal", title=name)
    return save_figure(fig, path, title=title)


def plot_digits(model, real, path, rows=8, title=None) -> Path:
    """A grid of generated digits beside a grid of real ones (rows × rows each)."""
    count = rows * rows
    fake = model.sample(count, 0)
    fig = figure(8, 4.3, DRAWING)
    for ax, images, name in zip(fig.subplots(1, 2), (real[:count], fake), ("test digits", "generated digits")):
        padded = np.pad(to_unit_range(images[:, 0]), ((0, 0), (1, 1), (1, 1)))   # a blank pixel between digits
        side = padded.shape[1]
        tiles = padded.reshape(rows, rows, side, side).transpose(0, 2, 1, 3).reshape(side * rows, side * rows)
        ax.imshow(tiles, cmap="gray_r", vmin=0, vmax=1)
        ax.set(title=name, xticks=[], yticks=[])
    return save_figure(fig, path, title=title)
