"""What a finished sweep leaves beside its run files: the table, the comparison with the book, a figure.

    <out>/table.md      every run: parameters and scalar results (Markdown)
    <out>/summary.md    metric / book / ours / note, with the grid and what it reduces
    <out>/<name>.png    the figure (`plot=True`; matplotlib)

All written atomically (`files.atomic_write`).
"""
from __future__ import annotations

from pathlib import Path

from ..files import atomic_write
from ..training.report import markdown_table


def summary_markdown(result) -> str:
    """The comparison with the book as a Markdown section body."""
    sweep = result.sweep
    description = sweep.description[:1].upper() + sweep.description[1:]
    lines = [f"{description} (book section {sweep.section}).", ""]
    if sweep.reduced:
        lines += [f"Setup: {sweep.reduced}", ""]
    lines.append(f"{len(result.ok)} runs finished, {len(result.failed)} failed; {result.backend}.")
    rows = result.summary()
    if rows:
        lines += ["", markdown_table(rows)]
    return "\n".join(lines)


def write_outputs(result, folder, plot=False) -> list:
    """Write table.md, summary.md and (with `plot`) the figure into `folder`; the paths written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for name, text in (("table.md", result.markdown() if result.rows else "(no finished runs)"),
                       ("summary.md", f"# {result.sweep.name}\n\n{summary_markdown(result)}")):
        path = folder / name
        with atomic_write(path, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        files.append(path)
    if plot and result.sweep.plot is not None and result.ok:
        files.append(result.sweep.plot(result, folder / f"{result.sweep.name}.png"))
    result.files = files
    return files


