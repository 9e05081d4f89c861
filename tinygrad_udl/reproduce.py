"""The book's supervised experiments end to end: the short demo and the full reproduction report.

- `demo_training(out_dir)` (part of `make demo`, under a minute on a 2-core machine): the MNIST-1D
  fully connected network of fig. 8.2 with the book's exact setup (6,000 steps), and the CNN of
  fig. 10.8 beside its fully connected baseline with a shortened schedule (see `DEMO_CNN`), then
  the table metric / book / ours.
- `reproduce(out_dir)` (`make reproduce`, `tinygrad-udl reproduce`; long, not for CI): every zoo
  entry with its full default setup, then the two chapter-7 experiments that are not trainable zoo
  models (`EXPERIMENTS`: fig. 7.7's variance propagation, fig. 7.8's training listing; about a second
  together), and a report `REPORT.md` with each number beside the book's.
- The analysis experiments of chapters 8, 9, 11 and 20 (`tinygrad_udl.sweep`, `sweep_names()`) then
  run as sweeps with their default grids; their comparison rows and figures go into the report too.
"""
from __future__ import annotations

import platform
import time
from datetime import datetime, timezone
from pathlib import Path

from .files import atomic_write
from .training import format_table, markdown_table
from .zoo.supervised.fig7_8 import fig7_8_rows, train_fig7_8
from .zoo.supervised.initialization import variance_propagation, variance_rows
from .zoo.registry import registry
from .zoo.runner import run

# Fig. 10.8's schedule is 100,000 steps of SGD at lr 0.01 (2-3 minutes for the CNN alone on a
# 2-core machine). The demo takes 10x larger steps for 10,000 steps: the same lr x steps
# "distance travelled" (the comparison fig. 9.5 makes) in a tenth of the time; the measured
# numbers of both schedules are in docs/zoo.md.
DEMO_CNN = {"steps": 10_000, "lr": 0.1}
DEMO_RUNS = (("mnist1d-mlp", {}), ("mnist1d-cnn", DEMO_CNN), ("mnist1d-fc", DEMO_CNN))

# Chapter 7's reproduction targets are not zoo entries: fig. 7.7 trains nothing, and fig. 7.8 trains on
# random data with no test set or error rate. name -> (section, description, rows(seed)).
EXPERIMENTS = {
    "fig7.7-init": ("7.5, fig. 7.7", "variance of the activations and gradients of a 50-layer, 100-unit ReLU "
                    "network for five weight variances (float64)",
                    lambda seed: variance_rows(variance_propagation(rng=seed))),
    "fig7.8-training": ("7.6, fig. 7.8", "the book's training listing: 10-40-40-5 ReLU network, MSE, SGD with "
                        "momentum, StepLR, 100 epochs on random data",
                        lambda seed: fig7_8_rows(train_fig7_8(rng=seed))),
}


# The analysis experiments of chapters 8, 9, 11 and 20 are sweeps (`tinygrad_udl.sweep`): `reproduce` runs
# each with its default grid (minutes each on a 2-core machine; `tinygrad-udl sweep NAME --full` runs the
# book's) on a local process pool, with the sweep's own seeds; the runs go to <out>/sweeps/<name>/.
def sweep_names() -> list:
    """The names of the analysis sweeps, in book order."""
    from .sweep import sweeps

    return list(sweeps())


def demo_training(out_dir, quiet=False, seed=0) -> list:
    """Train fig. 8.2's MLP and fig. 10.8's CNN and FC baseline on MNIST-1D; print and return the rows.

    Writes `<out_dir>/<model>/history.json` (and `curves.png` when matplotlib is installed).
    `quiet` turns off the progress bars and the printing.
    """
    out_dir = Path(out_dir)
    rows, files = [], []
    for name, overrides in DEMO_RUNS:
        entry = registry()[name]
        if not quiet:
            changes = ", ".join(f"{key}={value:,}" for key, value in overrides.items())
            shortened = f"; shortened to {changes}" if overrides else ""
            print(f"Training {name} (section {entry.section}; {entry.source}{shortened}) ...", flush=True)
        result = run(entry, seed=seed, progress=False if quiet else None, out=out_dir / name, plot=_have_matplotlib(),
                     **overrides)
        rows += result.rows
        files += result.files
    if not quiet:
        print()
        print(format_table(rows))
        print()
        for path in files:
            print(f"wrote {path}")
    return rows


def reproduce(out_dir="reproduce", only=None, quiet=False, seed=0, workers=None) -> Path:
    """Run every zoo entry and chapter-7 experiment (or those named in `only`) with its full setup;
    write `<out_dir>/REPORT.md`.

    Each model's history goes to `<out_dir>/<name>/history.json` (and `curves.png` with matplotlib).
    The analysis sweeps (`sweep_names()`) run their default grids on a local pool of `workers`
    processes (default: every core) into `<out_dir>/sweeps/<name>/`, resuming from runs already there.
    Returns the report's path.
    """
    out_dir = Path(out_dir)
    entries = registry()
    sweeps = sweep_names()
    names = list(entries) + list(EXPERIMENTS) + sweeps if not only else list(only)
    unknown = [n for n in names if n not in entries and n not in EXPERIMENTS and n not in sweeps]
    if unknown:
        raise KeyError(f"no zoo model called {', '.join(map(repr, unknown))}; the zoo has: {', '.join(entries)}; "
                       f"the other experiments: {', '.join(EXPERIMENTS)}; the sweeps: {', '.join(sweeps)}")
    plot = _have_matplotlib()
    sections, all_rows = [], []
    start = time.perf_counter()
    for name in names:
        if name in sweeps:
            section, rows = _sweep_section(name, out_dir, quiet, f"[{names.index(name) + 1}/{len(names)}]", plot,
                                           workers)
            sections.append(section)
            all_rows += rows
            continue
        if name in EXPERIMENTS:
            section, rows = _experiment_section(name, seed, quiet, f"[{names.index(name) + 1}/{len(names)}]")
            sections.append(section)
            all_rows += rows
            continue
        entry = entries[name]
        if not quiet:
            print(f"[{names.index(name) + 1}/{len(names)}] {name} ({entry.section})", flush=True)
        result = run(entry, seed=seed, progress=False if quiet else None, out=out_dir / name, plot=plot)
        all_rows += result.rows
        info = result.history.info
        sections.append("\n".join([
            f"### {name} (section {entry.section})", "",
            f"{entry.description}. Data: {entry.task.description}.", "",
            f"- command: `{entry.command} --seed {seed}`",
            f"- setup: {entry.source}",
            f"- ran {result.history.run_length()} in {info['seconds']:.1f} s",
            f"- files: {', '.join(f'`{p.relative_to(out_dir)}`' for p in result.files)}", "",
            markdown_table(result.rows), ""]))
        if not quiet:
            print(result.table(), "\n", flush=True)
    elapsed = time.perf_counter() - start
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    report = "\n".join([
        "# Reproducing the book's supervised experiments (chapters 2-11)", "",
        f"Generated by `tinygrad-udl reproduce` on {stamp} (seed {seed}, Python {platform.python_version()}, "
        f"{platform.machine()}), {elapsed / 60:.1f} minutes in total.", "",
        "`book` is the value the book prints (`-` where it prints none); `ours` is this run. Errors are percentages "
        "of wrong predictions (section 8.1); losses are means per example.", "",
        "## All numbers", "", markdown_table(all_rows), "", "## Per model", "", *sections])
    path = out_dir / "REPORT.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "w", encoding="utf-8") as f:
        f.write(report)
    if not quiet:
        print(f"wrote {path}")
    return path


def _experiment_section(name, seed, quiet, counter):
    """Run one of `EXPERIMENTS`; return its report section and its rows."""
    section, description, make_rows = EXPERIMENTS[name]
    if not quiet:
        print(f"{counter} {name} ({section})", flush=True)
    start = time.perf_counter()
    rows = make_rows(seed)
    seconds = time.perf_counter() - start
    if not quiet:
        print(format_table(rows), "\n", flush=True)
    text = "\n".join([
        f"### {name} (section {section})", "",
        f"{description}.", "",
        f"- command: `tinygrad-udl reproduce --only {name} --seed {seed}`",
        f"- ran in {seconds:.1f} s", "",
        markdown_table(rows), ""])
    return text, rows


def _sweep_section(name, out_dir, quiet, counter, plot, workers=None):
    """Run one analysis sweep's default grid (resuming); return its report section and its rows."""
    from .sweep import get, run_sweep, write_outputs
    from .sweep.report import summary_markdown

    sweep = get(name)
    if not quiet:
        print(f"{counter} {name} (sweep, section {sweep.section})", flush=True)
    folder = out_dir / "sweeps" / name
    start = time.perf_counter()
    result = run_sweep(sweep, folder, workers=workers, progress=False if quiet else None)
    files = write_outputs(result, folder, plot=plot)
    seconds = time.perf_counter() - start
    rows = result.summary()
    if not quiet:
        print(format_table(rows), "\n", flush=True)
    figure = [f"![{name}]({p.relative_to(out_dir).as_posix()})" for p in files if p.suffix == ".png"]
    text = "\n".join([
        f"### {name} (section {sweep.section})", "",
        summary_markdown(result), "",
        f"- command: `tinygrad-udl sweep {name}` (`--full` for the book's grid)",
        f"- ran {len(result.records)} runs ({result.computed} computed now) in {seconds:.1f} s; run files in "
        f"`{folder.relative_to(out_dir).as_posix()}/runs/`, all runs in "
        f"`{folder.relative_to(out_dir).as_posix()}/table.md`", "", *figure, ""])
    return text, rows


def _have_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True
