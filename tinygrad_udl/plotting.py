"""matplotlib for the library's pictures, imported when a picture is drawn (the optional `plot` extra).

    plt = pyplot("drawing the karate club")    # ImportError naming what to install, without matplotlib
    fig = figure(8, 4, "drawing GAN samples")  # or a Figure outside pyplot: nothing global changes
    save_figure(fig, "out/graph.png")          # atomically, creating the folder; closes a pyplot figure
"""
from __future__ import annotations

from pathlib import Path

from .files import atomic_write


def needs_matplotlib(what) -> ImportError:
    """The error to raise when `what` (e.g. "drawing GAN samples") finds no matplotlib."""
    return ImportError(f"{what} needs matplotlib: pip install 'tinygrad_udl[plot]' (or pip install matplotlib)")


def pyplot(what="drawing pictures"):
    """matplotlib.pyplot on the file-only Agg backend (no display needed), or an ImportError saying
    that `what` needs matplotlib and how to install it."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise needs_matplotlib(what) from None
    return plt


def figure(width, height, what="drawing pictures"):
    """A matplotlib Figure of `width` × `height` inches on its own Agg canvas, outside pyplot: drawing
    and saving it switches no backend and leaves pyplot's figures alone (a library call inside a
    notebook or an application). An ImportError says that `what` needs matplotlib."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise needs_matplotlib(what) from None
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig, path, dpi=110, tight=True, title=None) -> Path:
    """Write `fig` to `path` (the format from its suffix, PNG by default; atomically, creating the
    folder), close it in pyplot if it is pyplot's, and return the path. `title`, when given, heads
    the figure (its suptitle). `tight=False` keeps the layout as drawn (a figure with a shared colour
    bar, or one already laid out)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if title:
            fig.suptitle(title)
        if tight:
            fig.tight_layout()
        with atomic_write(path, "wb") as f:
            fig.savefig(f, format=path.suffix.lstrip(".") or "png", dpi=dpi)
    finally:
        if fig.canvas.manager is not None:  # made by pyplot; one from `figure()` has no manager to close
            pyplot().close(fig)
    return path
