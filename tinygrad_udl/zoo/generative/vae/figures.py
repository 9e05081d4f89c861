"""Pictures of a trained VAE: test examples beside their reconstructions, and generated samples
(section 17.8.2: the decoder's mean at z ~ N(0, I)). 8×8 digits are drawn as images, MNIST-1D
signals as curves. matplotlib is optional (`pip install tinygrad_udl[plot]`), imported when drawing.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ....plotting import pyplot, save_figure

SHOWN = 8


def plot_vae(model, x_test, path, image_shape=None, seed=0, title=None) -> Path:
    """Three rows saved to `path`: `SHOWN` test examples, their reconstructions (the decoder's mean
    at the posterior mean) and `SHOWN` samples. `image_shape` (e.g. (8, 8)) draws images, else
    curves."""
    plt = pyplot()
    originals = model.flatten(np.asarray(x_test[:SHOWN]))
    rows = (("test examples", originals), ("reconstructions", model.reconstruct(x_test[:SHOWN]).data),
            ("samples", model.sample(SHOWN, seed).data))
    fig, axes = plt.subplots(3, SHOWN, figsize=(1.4 * SHOWN, 4.6), squeeze=False)
    for r, (name, values) in enumerate(rows):
        for c in range(SHOWN):
            ax = axes[r, c]
            if image_shape is not None:
                ax.imshow(np.asarray(values[c]).reshape(image_shape), cmap="gray_r", vmin=0, vmax=1)
            else:
                ax.plot(np.asarray(values[c]), lw=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(name, fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, path)
