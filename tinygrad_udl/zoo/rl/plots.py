"""The pictures of the chapter-19 entries: learning curves of returns (with CartPole's maximum),
convergence curves on a log scale, and the penguin's ice with the values and greedy actions
(`rl.plot.plot_gridworld`, figs. 19.5 and 19.10). matplotlib is optional (`pip install
tinygrad_udl[plot]`) and imported only when drawing.

Each `*_pictures(model, history, split, out_dir)` returns the paths it wrote: the `pictures` of a
`ZooEntry`, which `tinygrad-udl train NAME --plot` draws beside the loss curves.
"""
from __future__ import annotations

from pathlib import Path

from ...plotting import figure, save_figure
from ...rl import PENGUIN_LAYOUT, tied_greedy_policy
from .tasks import CARTPOLE_MAX_RETURN

RETURNS = (("return", "training episodes (mean since the last point)"), ("greedy_return", "greedy policy, validation"))
DISTANCES = (("v_distance", "max_s |v − v*|"), ("q_distance", "max |q − q*|"))


def learning_curves(history, path, title=None, reference=None, reference_label=None,
                    groups=(RETURNS, DISTANCES)) -> Path:
    """Returns against the step (linear) and distances to the exact answer (log scale), for the
    columns of `history` that exist among `groups`; a dashed line at `reference`."""
    keys = history.keys()
    panels = [group for group in groups if any(key in keys for key, _ in group)]
    if not panels:
        raise ValueError(f"learning_curves: the history has none of the plotted columns (it has {keys})")
    fig = figure(5.5 * len(panels), 3.8, "drawing the chapter-19 pictures")
    axes = fig.subplots(1, len(panels), squeeze=False)
    for ax, group in zip(axes[0], panels):
        for key, label in group:
            if key in keys:
                points = [(row["step"], row[key]) for row in history.rows if row.get(key) is not None]
                ax.plot(*zip(*points), label=label, marker="." if len(points) < 60 else None)
        if group is DISTANCES:
            ax.set_yscale("log")
            ax.set_ylabel("distance to the exact values")
        else:
            ax.set_ylabel("return")
            if reference is not None:
                ax.axhline(reference, color="black", linestyle="--", linewidth=1, label=reference_label)
            if "final_row" in history.info:
                ax.axvline(history.final["step"], color="grey", linestyle=":", linewidth=1, label="kept checkpoint")
        ax.set_xlabel(history.info.get("step_unit", "step"))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return save_figure(fig, path, dpi=120, title=title)


def _penguin_picture(model, split, path, title) -> Path:
    from ...rl.plot import plot_gridworld
    from .trainers import _table_values

    q = _table_values(model, split.mdp.n_states)
    return plot_gridworld(PENGUIN_LAYOUT, path, q.max(axis=1), tied_greedy_policy(q, atol=1e-6), title=title)


def gridworld_pictures(model, history, split, out_dir) -> list:
    """The penguin with the learned values and every greedy action, and the distance to the exact
    values during training (the returns of DQN's uniformly random behaviour say nothing here)."""
    out_dir = Path(out_dir)
    name = history.info.get("model", "gridworld")
    return [_penguin_picture(model, split, out_dir / "gridworld.png", f"{name}: values and greedy actions"),
            learning_curves(history, out_dir / "learning.png", title=name, groups=(DISTANCES,))]


def cartpole_pictures(model, history, split, out_dir) -> list:
    """Returns during training and of the greedy policy on validation episodes, against the
    maximum of 500."""
    return [learning_curves(history, Path(out_dir) / "returns.png", title=history.info.get("model"),
                            reference=CARTPOLE_MAX_RETURN, reference_label="maximum (500)")]

