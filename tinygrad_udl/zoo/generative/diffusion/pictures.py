"""Pictures of the diffusion models of chapter 18 (PNG files; matplotlib is optional and imported
when a picture is drawn, through the generative zoo's helpers `pyplot` and `save_figure`).

    plot_kernel          fig. 18.3: forward paths from one x*, the diffusion kernel q(z_t | x*)
                         as a heat map with ±2 s.d., and slices at t = 20, 40, 80
    plot_reverse_1d      figs. 18.7a and 18.8: reverse paths of Algorithm 18.2 over the true
                         marginals q(z_t); the data density, the sampler's exact output density and a
                         histogram of samples
    plot_samples_2d      samples of a 2-D model over the true density
    plot_digits          a grid of sampled digits and the reverse process of a few of them

`mixture_1d_pictures`, `density_2d_pictures(name)` and `digits_pictures` are the entries'
`pictures(model, history, split, out)` hooks (`train NAME --plot`), drawn with the run's seed.
"""
from __future__ import annotations

import numpy as np

from pathlib import Path

from ....plotting import pyplot, save_figure
from .comparison import sampler_bin_masses_1d
from .data import DENSITIES
from .references import diffused_mixture
from .reports import BINS_1D, GRID_1D, SAMPLES_1D

__all__ = ["plot_kernel", "plot_reverse_1d", "plot_samples_2d", "plot_digits", "mixture_1d_pictures",
           "density_2d_pictures", "digits_pictures"]

Z_RANGE = (-3.0, 3.0)   # the horizontal axis of the 1-D pictures, as the book's


def _heat_map(ax, rows, schedule, title):
    """Rows t = 0..T of densities on `Z_RANGE`, t increasing downwards (as figs. 18.3-18.4), each
    row scaled to its maximum (the sharp data density would otherwise wash out the later rows)."""
    rows = rows / rows.max(axis=1, keepdims=True)
    ax.imshow(rows, aspect="auto", cmap="magma", origin="upper", interpolation="nearest",
              extent=(*Z_RANGE, schedule.steps + 0.5, -0.5))
    ax.set_xlabel("z_t")
    ax.set_ylabel("t")
    ax.set_title(title, fontsize=9)


def _normal_pdf(z, mean, variance):
    return np.exp(-0.5 * (z - mean) ** 2 / variance) / np.sqrt(2 * np.pi * variance)


def plot_kernel(schedule, path, x_star=-2.0, paths=5, slices=(20, 40, 80), seed=0):
    """Fig. 18.3 for `schedule` (1-D): `paths` forward trajectories of eq. 18.1 from `x_star` over
    the heat map of the kernel q(z_t | x*) (eq. 18.8) with its ±2 s.d. band, and the kernel at
    the steps `slices`."""
    plt = pyplot()
    gen = np.random.default_rng(seed)
    z = np.linspace(*Z_RANGE, 601)
    steps = np.arange(schedule.steps + 1)
    mean, variance = schedule.kernel(np.full((len(steps), 1), x_star), steps)
    mean, std = mean[:, 0], np.sqrt(variance[:, 0])
    kernel = np.vstack([np.where(np.abs(z - x_star) < (z[1] - z[0]) / 2, 1.0, 0.0)] +
                       [_normal_pdf(z, m, s * s) for m, s in zip(mean[1:], std[1:])])
    trajectory = [np.full(paths, x_star)]
    for t in steps[1:]:
        trajectory.append(schedule.step(trajectory[-1], t, gen.standard_normal(paths)))
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5), gridspec_kw={"width_ratios": [1.2, 1]})
    _heat_map(left, kernel, schedule, f"a) q(z_t | x* = {x_star}) and {paths} forward paths (eq. 18.1)")
    left.plot(mean - 2 * std, steps, "c--", lw=1, label="±2 s.d.")
    left.plot(mean + 2 * std, steps, "c--", lw=1)
    left.plot(np.array(trajectory), steps, color="0.8", lw=0.8)
    left.set_xlim(*Z_RANGE)
    left.legend(loc="lower right", fontsize=8)
    for t in slices:
        right.plot(z, _normal_pdf(z, mean[t], std[t] ** 2), label=f"q(z_{{{t}}} | x*)")
    right.set_xlabel("z_t")
    right.set_title("b) the kernel at three steps (eq. 18.8)", fontsize=9)
    right.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_reverse_1d(model, mixture, samples, path, edges, grid, paths=5, seed=0):
    """Figs. 18.7a and 18.8 for a trained 1-D model: (a) `paths` reverse trajectories of Algorithm
    18.2 over the true marginals q(z_t) (eq. 18.10, exact for a mixture); (b) the data density,
    the exact output density of the sampler (`sampler_bin_masses_1d` on the bins `edges`, z-grid
    `grid`) and a histogram of `samples` (n,)."""
    plt = pyplot()
    schedule = model.schedule
    z = np.linspace(*Z_RANGE, 601)
    marginals = [np.exp(mixture.log_prob(z[:, None]))]
    marginals += [np.exp(diffused_mixture(mixture, schedule.alphas[t]).log_prob(z[:, None]))
                  for t in range(1, schedule.steps + 1)]
    _, trajectory = model.sample(paths, seed, return_path=True)
    widths = np.diff(edges)
    output = sampler_bin_masses_1d(model.predict_noise, schedule, model.sigma, edges, grid)[1:-1] / widths
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5), gridspec_kw={"width_ratios": [1.2, 1]})
    _heat_map(left, np.array(marginals), schedule, f"a) true marginals q(z_t), {paths} reverse paths (Alg. 18.2)")
    left.plot(trajectory[:, :, 0], np.arange(schedule.steps + 1), color="0.85", lw=0.8)
    left.set_xlim(*Z_RANGE)
    right.hist(samples, bins=edges, density=True, color="C0", alpha=0.45, label=f"{len(samples):,} samples")
    right.plot(z, marginals[0], "C1", lw=1.5, label="data density Pr(x)")
    right.stairs(output, edges, color="C3", lw=1.2, label="sampler's exact output")
    right.set_xlim(*Z_RANGE)
    right.set_xlabel("x")
    right.set_title("b) learned vs true density (fig. 18.8)", fontsize=9)
    right.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_samples_2d(samples, mixture, path, title=None, points=200):
    """`samples` (n, 2) as dots over the true density (a heat map of `mixture` on a grid)."""
    plt = pyplot()
    low, high = samples.min(axis=0) - 0.3, samples.max(axis=0) + 0.3
    axes = [np.linspace(lo, hi, points) for lo, hi in zip(low, high)]
    grid = np.stack(np.meshgrid(*axes, indexing="xy"), axis=-1).reshape(-1, 2)
    density = np.exp(mixture.log_prob(grid)).reshape(points, points)
    fig, ax = plt.subplots(figsize=(6, 5.5))
    ax.imshow(density, origin="lower", extent=(low[0], high[0], low[1], high[1]), cmap="Greys", aspect="equal")
    ax.scatter(samples[:, 0], samples[:, 1], s=1.5, color="C3", alpha=0.5, label=f"{len(samples):,} samples")
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title(title or "samples (red) over the true density (grey)", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_digits(model, path, rows=6, columns=10, snapshots=8, seed=0):
    """A grid of `rows`×`columns` sampled digits (clipped to the data's range [−1, 1]) above the
    reverse process of `columns` of them at `snapshots` steps from z_T to x."""
    plt = pyplot()
    samples, trajectory = model.sample(rows * columns, seed, return_path=True)
    steps = np.linspace(model.schedule.steps, 0, snapshots).round().astype(int)
    fig, axes = plt.subplots(rows + snapshots, columns, figsize=(columns * 0.8, (rows + snapshots) * 0.8 + 0.6))
    for r in range(rows + snapshots):
        for c in range(columns):
            image = samples[r * columns + c] if r < rows else trajectory[steps[r - rows], c]
            axes[r, c].imshow(np.clip(image[0], -1, 1), cmap="gray_r", vmin=-1, vmax=1)
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
        if r >= rows:
            axes[r, 0].set_ylabel(f"t={steps[r - rows]}", fontsize=7)
    fig.suptitle(f"{rows * columns} samples (Algorithm 18.2); below: z_T -> x for the first {columns}", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path)


# ---- the entries' hooks ------------------------------------------------------------------------------------


def _seed(history):
    return history.info.get("seed", 0)


def mixture_1d_pictures(model, history, split, out):
    """`kernel.png` (fig. 18.3) and `density.png` (figs. 18.7a, 18.8) in the folder `out`."""
    seed = _seed(history)
    samples = model.sample(SAMPLES_1D, seed)[:, 0]
    return [plot_kernel(model.schedule, Path(out) / "kernel.png", seed=seed),
            plot_reverse_1d(model, DENSITIES["mixture-1d"](), samples, Path(out) / "density.png", BINS_1D, GRID_1D,
                            seed=seed)]


def density_2d_pictures(name, samples=5_000):
    """The hook drawing `samples.png`: `samples` draws of the model over the density `name`."""

    def pictures(model, history, split, out):
        return [plot_samples_2d(model.sample(samples, _seed(history)), DENSITIES[name](), Path(out) / "samples.png",
                                title=f"{samples:,} samples (Algorithm 18.2) over the true density ({name})")]

    return pictures


def digits_pictures(model, history, split, out):
    """`samples.png`: sampled digits and the reverse process of ten of them."""
    return [plot_digits(model, Path(out) / "samples.png", seed=_seed(history))]
