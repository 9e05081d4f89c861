"""A picture of a gridworld with its values and policy, like figs. 19.5, 19.7a and 19.10.

matplotlib is optional (`pip install tinygrad_udl[plot]`) and imported only when drawing.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..plotting import pyplot, save_figure
from .gridworld import BOOK_ACTIONS, layout_grid
from .policy import policy_matrix

__all__ = ["plot_gridworld"]

_TILE_COLOURS = {"S": "#dcecf7", "F": "#dcecf7", "H": "#1f3b73", "G": "#f4a259"}
_TILE_LABELS = {"S": "start", "H": "hole", "G": "fish"}
_ARROWS = {"up": (0.0, 1.0), "right": (1.0, 0.0), "down": (0.0, -1.0), "left": (-1.0, 0.0)}


def plot_gridworld(layout, path, values=None, policy=None, actions=BOOK_ACTIONS, title=None) -> Path:
    """Draw the grid of `layout` (see `gridworld`), and optionally the value of each state and the
    policy, to the image file `path` (PNG, SVG or PDF by its suffix); returns the path.

    values: one number per cell, printed in the cell. policy: one action per cell (an arrow, as in
    fig. 19.5a), or an (n_cells, n_actions) matrix π[a | s] (arrows out of the centre, scaled by
    probability relative to the cell's likeliest action, fig. 19.5c); no arrow is drawn on the
    goal, where the episode ends whatever the action.
    actions: the direction of each action index (the book's order by default; FrozenLake's is
    ("left", "down", "right", "up")).
    """
    grid = layout_grid(layout)
    n_rows, n_columns = grid.shape
    n_cells = grid.size
    if values is not None:
        values = np.asarray(values, dtype=float)
        if values.shape != (n_cells,):
            raise ValueError(f"plot_gridworld: values must have one entry per cell, shape ({n_cells},); "
                             f"got {values.shape}")
    unknown = set(actions) - set(_ARROWS)
    if unknown:
        raise ValueError(f"plot_gridworld: unknown actions {sorted(unknown)}; use up, right, down, left")
    pi = None if policy is None else policy_matrix(policy, n_cells, len(actions), "plot_gridworld")
    plt = pyplot("plot_gridworld")
    fig, ax = plt.subplots(figsize=(1.2 * n_columns + 0.4, 1.2 * n_rows + (0.6 if title else 0.2)))
    for s, tile in enumerate(grid.ravel()):
        row, column = divmod(s, n_columns)
        x, y = column, n_rows - 1 - row  # row 0 at the top, as in the book's figures
        dark = tile == "H"
        ax.add_patch(plt.Rectangle((x, y), 1, 1, facecolor=_TILE_COLOURS[tile], edgecolor="white", linewidth=2))
        ax.text(x + 0.06, y + 0.94, str(s + 1), ha="left", va="top", fontsize=7,  # the book numbers states from 1
                color="white" if dark else "#555555")
        if tile in _TILE_LABELS:
            ax.text(x + 0.94, y + 0.94, _TILE_LABELS[tile], ha="right", va="top", fontsize=7,
                    color="white" if dark else "#333333")
        if values is not None:
            ax.text(x + 0.5, y + 0.1, f"{values[s]:.2f}", ha="center", va="bottom", fontsize=9, fontweight="bold",
                    color="white" if dark else "#c2185b")
        if pi is not None and tile != "G":
            centred = pi[s].max() == 1.0  # one action: a centred arrow; several: arrows out of the centre
            for a, name in enumerate(actions):
                if pi[s, a] > 1e-3:
                    dx, dy = _ARROWS[name]
                    relative = pi[s, a] / pi[s].max()
                    length, scale = (0.34 if centred else 0.26) * relative, relative**0.5
                    back = length / 2 if centred else -0.04
                    ax.arrow(x + 0.5 - dx * back, y + 0.58 - dy * back, dx * length, dy * length,
                             width=0.025 * scale, head_width=0.12 * scale, head_length=0.08 * scale,
                             length_includes_head=True, color="#7fffff" if dark else "#00a0a0")
    ax.set_xlim(0, n_columns)
    ax.set_ylim(0, n_rows)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=10)
    return save_figure(fig, path, dpi=120)
