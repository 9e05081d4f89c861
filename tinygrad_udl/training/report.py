"""Presenting a run: the side-by-side table (metric, the book's value, ours) and learning curves.

A result row is a dict with `model`, `metric`, `book` (the value the book prints, or None where it
prints none), `ours` and optional `epochs` / `note`. `format_table` renders rows as fixed-width
text for the terminal; `markdown_table` as Markdown for reports. `plot_history` draws the loss and
error curves of fig. 8.2 with matplotlib, an optional dependency (`pip install tinygrad_udl[plot]`).
"""
from __future__ import annotations

from pathlib import Path

from ..files import atomic_write

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


def plot_history(history, path, title=None) -> Path:
    """Loss (left) and error (right, when recorded) against the step, per split; saved to `path`."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no display needed
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plotting learning curves needs matplotlib: pip install 'tinygrad_udl[plot]' "
                          "(or pip install matplotlib)") from None
    keys = history.keys()
    panels = [kind for kind in ("loss", "error") if any(k.endswith(f"_{kind}") for k in keys)]
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.6), squeeze=False)
    steps = history.column("step")
    for ax, kind in zip(axes[0], panels):
        for split in ("train", "val", "test"):
            if f"{split}_{kind}" in keys:
                ax.plot(steps, history.column(f"{split}_{kind}"), label=split)
        ax.set_xlabel("step")
        ax.set_ylabel("error (%)" if kind == "error" else "loss")
        ax.legend()
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with atomic_write(path, "wb") as f:
            # writing to a file object, matplotlib cannot see the name: the format comes from the suffix
            fig.savefig(f, format=path.suffix.lstrip(".") or None, dpi=120)
    finally:
        plt.close(fig)
    return path
