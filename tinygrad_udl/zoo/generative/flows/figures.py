"""Pictures of a trained 2-D flow: the true density, the learned one (contours), and samples.

matplotlib is an optional dependency (`pip install tinygrad_udl[plot]`), imported when a picture
is drawn.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ....autograd.graph import no_grad
from ....autograd.tensor import Tensor
from ....plotting import pyplot, save_figure

PANEL_POINTS = 150   # grid points per axis of the contour plots


def plot_density(model, density, path, samples=2_000, seed=0, title=None) -> Path:
    """Three panels saved to `path`: the true density, the model's density exp(model.log_prob) on
    the same grid and colour scale, and `samples` draws of the model over the true contours."""
    plt = pyplot()
    data = density.sample(5_000, seed)
    low, high = data.min(0) - 0.5, data.max(0) + 0.5
    axes = [np.linspace(lo, hi, PANEL_POINTS) for lo, hi in zip(low, high)]
    grid = np.stack(np.meshgrid(*axes, indexing="xy"), -1).reshape(-1, 2)
    true = np.exp(density.log_prob(grid)).reshape(PANEL_POINTS, PANEL_POINTS)
    dtype = next(iter(model.parameters())).dtype
    with no_grad():
        learned = np.exp(model.log_prob(Tensor(grid.astype(dtype))).data).reshape(PANEL_POINTS, PANEL_POINTS)
    drawn = model.sample(samples, seed).data
    fig, panels = plt.subplots(1, 3, figsize=(12, 4))
    levels = np.linspace(0, true.max(), 12)
    for ax, values, name in ((panels[0], true, "true density"), (panels[1], learned, "learned density")):
        ax.contourf(axes[0], axes[1], np.minimum(values, levels[-1]), levels=levels, cmap="viridis")
        ax.set_title(name)
    panels[2].contour(axes[0], axes[1], true, levels=levels[1::2], colors="grey", linewidths=0.6)
    panels[2].scatter(drawn[:, 0], drawn[:, 1], s=2, alpha=0.5, color="C3")
    panels[2].set_title(f"{samples:,} samples of the flow")
    for ax in panels:
        ax.set_xlim(low[0], high[0])
        ax.set_ylim(low[1], high[1])
        ax.set_aspect("equal")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, path)
