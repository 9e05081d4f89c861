"""Presenting a run: the side-by-side table (metric, the book's value, ours) and learning curves.

A result row is a dict with `model`, `metric`, `book` (the value the book prints, or None where it
prints none), `ours` and optional `epochs` / `note`. `format_table` renders rows as fixed-width
text for the terminal; `markdown_table` as Markdown for reports. `plot_history` draws the loss and
error curves of fig. 8.2 with matplotlib, an optional dependency (`pip install tinygrad_udl[plot]`),
to a file or as a Figure.
"""
from __future__ import annotations

from .. import plotting

COLUMNS = (("model", "model"), ("metric", "metric"), ("book", "book"), ("ours", "ours"),
           ("epochs", "epochs"), ("note", "note"))


def _cell(value):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _cells(rows, columns):
    used = [(key, title) for key, title in columns or COLUMNS if any(row.get(key) is not None for row in rows)]
    return [title for _, title in used], [[_cell(row.get(key)) for key, _ in used] for row in rows]


def format_table(rows, columns=None) -> str:
    """Fixed-width text table of result rows (columns without any value are left out).

    `columns` is a list of (key, title) pairs; by default the result-row columns above."""
    header, body = _cells(rows, columns)
    widths = [max(len(line[i]) for line in [header] + body) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(line, widths)) for line in body]
    return "\n".join(line.rstrip() for line in lines)


def markdown_table(rows, columns=None) -> str:
    """The same table in Markdown."""
    header, body = _cells(rows, columns)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in line) + " |" for line in body]
    return "\n".join(lines)


LEARNING_CURVES = "plotting learning curves"   # what an ImportError without matplotlib names


def draw_history(history, figure, title=None):
    """Draw the loss (left) and error (right, when recorded) curves of `history` on a matplotlib
    `figure`, one line per split, against the optimizer step; returns the figure."""
    keys = history.keys()
    panels = [kind for kind in ("loss", "error") if any(k.endswith(f"_{kind}") for k in keys)] or ["loss"]
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    steps = history.column("step") if "step" in keys else list(range(len(history)))
    for ax, kind in zip(axes, panels):
        for split in ("train", "val", "test"):
            if f"{split}_{kind}" in keys:
                ax.plot(steps, history.column(f"{split}_{kind}"), label=split)
        ax.set_xlabel("step")
        ax.set_ylabel("error (%)" if kind == "error" else "loss")
        if ax.get_legend_handles_labels()[0]:
            ax.legend()
        ax.grid(alpha=0.3)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_history(history, path=None, title=None):
    """Loss (left) and error (right, when recorded) against the step, per split.

    With `path`, the figure is saved there (the format from the suffix) and the path is returned;
    nothing global changes (no pyplot, no backend switch). Without `path`, the matplotlib `Figure`
    is returned: a notebook shows it when it is a cell's value, a script can `savefig` it. It is
    already closed in pyplot, so a notebook does not show it a second time."""
    size = (10, 3.6) if any(k.endswith("_error") for k in history.keys()) else (5, 3.6)
    if path is not None:
        figure = plotting.figure(*size, LEARNING_CURVES)
        draw_history(history, figure, title)
        return plotting.save_figure(figure, path, dpi=120, tight=False)  # draw_history has laid it out
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise plotting.needs_matplotlib(LEARNING_CURVES) from None
    figure = plt.figure(figsize=size)
    plt.close(figure)  # returned, not managed: shown once (as the cell's value), never twice
    return draw_history(history, figure, title)
