"""Chapter 9: the learning rate and the batch size against the test error (section 9.2, fig. 9.5)."""
from __future__ import annotations

from ...sweep.core import Sweep
from ..common import mlp, mlp_parameters, mnist1d_split, train_classifier


def lr_batch_run(width, lr, batch_size, seed, distance=None, max_steps=None, n_train=4000, n_test=4000):
    """Fig. 9.5: SGD (no momentum) on a 40 → width → width → 10 network with 4,000 training and
    4,000 test MNIST-1D examples.

    With `distance`, the run takes distance / lr steps ("the number of iterations is 6000× the
    learning rate, so each solution has the opportunity to move the same distance": steps × lr is
    held fixed, fig. 9.5a). Without it the run trains until the training set is memorised (training
    error 0, checked every 100 steps) or `max_steps` (fig. 9.5b: "the number of iterations was chosen
    so that the training data were memorized")."""
    from ...optim import SGD

    train, test = mnist1d_split(n_train, n_test)
    model = mlp([width, width], seed)
    if distance is not None:
        steps, memorise, check = int(round(distance / lr)), False, None
    else:
        steps, memorise, check = int(max_steps), True, 100
    _, final = train_classifier(model, SGD(model.parameters(), lr=lr), train, test, steps=steps,
                                batch_size=batch_size, rng=seed, check_every=check, stop_when_memorised=memorise)
    return {"parameters": mlp_parameters([width, width]), "steps": final["step"],
            "memorised_step": final["memorised_step"],
            **{k: final[k] for k in ("train_error", "test_error", "train_loss", "test_loss")}}


# The two halves of fig. 9.5, by the parameters their runs are found with: (a) the learning rates, at
# batch 100 over the same distance (steps × lr fixed); (b) the batch sizes, trained until memorised.
LR_RUNS = {"batch_size": 100, "max_steps": None}
BATCH_RUNS = {"distance": None}


def _row(name, metric, book, ours, note=None):
    return {"model": name, "metric": metric, "book": book, "ours": ours, "note": note}


def lr_batch_summary(result):
    name = result.sweep.name
    rows = []
    lrs = sorted(result.distinct("lr", **LR_RUNS))
    if lrs:
        errors = {lr: result.mean("test_error", lr=lr, **LR_RUNS) for lr in lrs}
        train = {lr: result.mean("train_error", lr=lr, **LR_RUNS) for lr in lrs}
        distance = result.distinct("distance", **LR_RUNS)[0]
        rows.append(_row(name, f"test error (%) for lr {', '.join(f'{lr:g}' for lr in lrs)} (steps x lr = {distance:g})",
                         "falls as lr grows", ", ".join(f"{errors[lr]:.1f}" for lr in lrs),
                         "training error " + ", ".join(f"{train[lr]:.1f}" for lr in lrs)))
        rows.append(_row(name, "best learning rate (fig. 9.5a)", "the largest", f"{min(errors, key=errors.get):g}"))
    batches = sorted(result.distinct("batch_size", **BATCH_RUNS))
    if batches:
        errors = {b: result.mean("test_error", batch_size=b, **BATCH_RUNS) for b in batches}
        steps = {b: result.mean("steps", batch_size=b, **BATCH_RUNS) for b in batches}
        lr = result.distinct("lr", **BATCH_RUNS)[0]
        rows.append(_row(name, f"test error (%) for batch {', '.join(map(str, batches))} (lr {lr:g}, until memorised)",
                         "falls as the batch shrinks", ", ".join(f"{errors[b]:.1f}" for b in batches),
                         "steps " + ", ".join(f"{steps[b]:,.0f}" for b in batches)))
        rows.append(_row(name, "best batch size (fig. 9.5b)", "the smallest", min(errors, key=errors.get)))
    return rows


def _error_panel(ax, result, parameter, runs, xlabel, title):
    """Training and test error against `parameter` (a log axis ticked at its values) over the runs
    matching `runs`; nothing when there are none."""
    values = sorted(result.distinct(parameter, **runs))
    if not values:
        return
    for split in ("train", "test"):
        ax.plot(values, [result.mean(f"{split}_error", **{parameter: v}, **runs) for v in values],
                marker="o", label=f"{split} error")
    ax.set_xscale("log")
    ax.set_xticks(values, [f"{v:g}" for v in values])
    ax.minorticks_off()
    ax.set_xlabel(xlabel)
    ax.set_ylabel("error (%)")
    ax.set_title(title)
    ax.legend(fontsize=8)


def lr_batch_plot(result, path):
    from ...plotting import pyplot, save_figure

    plt = pyplot()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    _error_panel(ax, result, "lr", LR_RUNS, "learning rate (steps x lr fixed)", "fig. 9.5a: learning rate")
    _error_panel(ax2, result, "batch_size", BATCH_RUNS, "batch size (trained until memorised)", "fig. 9.5b: batch size")
    return save_figure(fig, path)


LR_BATCH = Sweep(
    "lr-batch", function=lr_batch_run, section="9.2, fig. 9.5",
    description="test error of a two-hidden-layer MNIST-1D network (4,000 / 4,000 examples) against the SGD "
                "learning rate (same distance) and the batch size (trained until memorised)",
    grid=[{"width": 100, "lr": [0.025, 0.05, 0.1, 0.2, 0.4], "batch_size": 100, "distance": 300.0},
          {"width": 100, "lr": 0.1, "batch_size": [20, 50, 100, 200], "max_steps": 8000}],
    seeds=(0, 1),
    full_grid=[{"width": [25, 50, 100, 200], "lr": [0.01, 0.02, 0.05, 0.1, 0.2, 0.5], "batch_size": 100,
                "distance": 6000.0},
               {"width": [25, 50, 100, 200], "lr": 0.1, "batch_size": [10, 20, 50, 100, 200, 500],
                "max_steps": 200000}],
    full_seeds=(0, 1, 2),
    reduced="width 100 only, steps x lr = 300 (the book: 6,000, reading fig. 9.5's '6000x the learning rate' "
            "as iterations x lr = 6,000), batch runs stop at training error 0 or 8,000 steps, 2 seeds; the book "
            "does not print the widths (--full: 25-200), nor its numbers (only the trends).",
    summarize=lr_batch_summary, plot=lr_batch_plot)

SWEEPS = (LR_BATCH,)
