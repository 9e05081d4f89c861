"""matplotlib for the library's pictures, imported when a picture is drawn (the optional `plot` extra).

    plt = pyplot("drawing the karate club")    # ImportError naming what to install, without matplotlib
    save_figure(fig, "out/graph.png")          # atomically, creating the folder; closes the figure
"""
from __future__ import annotations

from pathlib import Path

from .files import atomic_write


def pyplot(what="drawing pictures"):
    """matplotlib.pyplot on the file-only Agg backend (no display needed), or an ImportError saying
    that `what` needs matplotlib and how to install it."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(f"{what} needs matplotlib: pip install 'tinygrad_udl[plot]' (or pip install matplotlib)") from None
    return plt


def save_figure(fig, path, dpi=110, tight=True) -> Path:
    """Write `fig` to `path` (the format from its suffix, PNG by default; atomically, creating the
    folder), close it, and return the path. `tight=False` keeps the layout as drawn (a figure with a
    shared colour bar)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if tight:
            fig.tight_layout()
        with atomic_write(path, "wb") as f:
            fig.savefig(f, format=path.suffix.lstrip(".") or "png", dpi=dpi)
    finally:
        pyplot().close(fig)
    return path
