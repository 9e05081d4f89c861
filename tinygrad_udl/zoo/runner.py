"""Run a zoo experiment: build the model, train it with the book's hyperparameters, compare numbers.

`run(entry, ...)` is what `tinygrad-udl train NAME`, `make demo` and `make reproduce` call. The
hyperparameters of an entry (`ZooEntry.hyperparameters`) are a plain dict:

    optimizer     "sgd" or "adam"
    lr            the learning rate α (eq. 6.3 / 6.10; Adam's α of eq. 6.18)
    momentum      SGD momentum (PyTorch's convention; docs/conventions.md, "Momentum"); 0 = plain SGD
    batch_size    examples per step (eq. 6.10)
    steps         optimizer steps (the book states most runs in steps); or `epochs`
    eval_every    evaluate every this many epochs (default 1)
    l2            λ of the penalty λ Σ_j φ_j² on the weights (eq. 9.5), added to the mean loss
    augment       keyword arguments of `data.augment_1d` for every training batch (section 9.3.8)
    early_stopping  {"patience": evaluations, "val_fraction": held-out share, "monitor": "val_loss"
                  or "val_error"} (section 9.3.1)
    bagging       (ensembles) train each member on a bootstrap resample (section 9.3.2)

Every random choice comes from `seed`: one `SeedSequence` is split into the model's
initialisation and the training loop's batch order and augmentation, so a run is repeatable.

Training steps are compiled (`tinygrad_udl.compile`: traced on the first steps, then replayed as
straight-line numpy, bit for bit the eager numbers) unless `run(..., compile=False)` (the
command line's `--no-compile`) or the entry says why its step must run eagerly
(`ZooEntry.eager_reason`). A trainer is called as `trainer(entry, hyper, split, seed, progress,
compile=...)` and passes the flag on to `fit` or to its own loop.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..data import augment_1d, train_val_split
from ..nn.regularize import EarlyStopping, l2_penalty, weight_parameters
from ..optim import SGD, Adam
from ..training import evaluate, fit, format_table, plot_history

OPTIMIZERS = ("sgd", "adam")


@dataclass
class RunResult:
    """What a run produced: the trained model, its history, the result rows and the files written."""

    name: str
    model: object
    history: object
    rows: list
    hyperparameters: dict
    files: list = field(default_factory=list)
    model_file: Path | None = None   # the trained model's state dict, with `out` (see `load_model`)

    def table(self) -> str:
        return format_table(self.rows)


def resolve_hyperparameters(entry, *, steps=None, epochs=None, lr=None, batch_size=None) -> dict:
    """The entry's hyperparameters with the command line's overrides (`steps` and `epochs` replace
    the run length; at most one of them)."""
    if steps is not None and epochs is not None:
        raise ValueError("give at most one of --steps and --epochs")
    hyper = dict(entry.hyperparameters)
    for name, value in (("steps", steps), ("epochs", epochs), ("batch_size", batch_size)):
        if value is not None and (not isinstance(value, int) or value < 1):
            raise ValueError(f"{name} (--{name.replace('_', '-')}) must be a positive integer, got {value!r}")
    if steps is not None or epochs is not None:
        hyper.pop("steps", None)
        hyper.pop("epochs", None)
        hyper["steps" if steps is not None else "epochs"] = steps if steps is not None else epochs
    if lr is not None:
        if not (isinstance(lr, int | float) and math.isfinite(lr) and lr > 0):
            raise ValueError(f"lr (--lr) must be a positive number, got {lr!r}")
        hyper["lr"] = float(lr)
    if batch_size is not None:
        hyper["batch_size"] = batch_size
    return hyper


def build_optimizer(params, hyper):
    """SGD (eq. 6.10, PyTorch's momentum convention) or Adam (eqs. 6.15-6.18) from `hyper`."""
    name = hyper.get("optimizer", "sgd")
    if name == "sgd":
        return SGD(params, lr=hyper["lr"], momentum=hyper.get("momentum", 0.0))
    if name == "adam":
        return Adam(params, lr=hyper["lr"])
    raise ValueError(f"unknown optimizer {name!r}; one of {OPTIMIZERS}")


def seeds(seed, count):
    """`count` independent child seeds (numpy Generators) of an int `seed`."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(count)]


def train_model(entry, hyper, split, seed, progress=None, compile=True):
    """Build `entry`'s model from `seed` and train it on `split` with `hyper`; (model, history)."""
    model_rng, fit_rng = seeds(seed, 2)
    model = entry.build(rng=model_rng)
    return model, fit_model(model, entry, hyper, split, fit_rng, progress, desc=entry.name, compile=compile)


def fit_model(model, entry, hyper, split, rng, progress=None, desc=None, compile=True):
    """Train an existing `model` on `split` with `hyper` (and `entry`'s task); returns the history.
    `compile`: `fit`'s (compiled training steps), unless the entry has an `eager_reason`."""
    optimizer = build_optimizer(model.parameters(), hyper)
    train, options = split.train, {}
    if "l2" in hyper:
        lam = hyper["l2"]
        options["penalty"] = lambda m: lam * l2_penalty(weight_parameters(m))  # λ Σ_j φ_j², eq. 9.5
    if "augment" in hyper:
        settings = hyper["augment"]
        options["augment"] = lambda xb, gen: augment_1d(xb, gen, **settings)
    if "early_stopping" in hyper:
        settings = hyper["early_stopping"]
        # a fixed split (seed 0): runs with different seeds hold out the same examples
        x_train, x_val, y_train, y_val = train_val_split(*train, val_fraction=settings["val_fraction"], rng=0)
        train, options["val"] = (x_train, y_train), (x_val, y_val)
        options["early_stopping"] = EarlyStopping(patience=settings["patience"])
        options["monitor"] = settings.get("monitor", "val_loss")
    length = {"steps": hyper["steps"]} if "steps" in hyper else {"epochs": hyper["epochs"]}
    return fit(model, optimizer, train, test=split.test, loss_fn=entry.task.loss_fn, error_fn=entry.task.error_fn,
               batch_size=hyper["batch_size"], eval_every=hyper.get("eval_every", 1), rng=rng, progress=progress,
               desc=desc or entry.name, compile=entry.compiles(compile), **length, **options)


def evaluation_row(model, entry, split, **fields) -> dict:
    """A history row for `model` evaluated on the training and test data of `split`, plus `fields`
    (e.g. epoch and step): for trainers that evaluate outside `fit` (ensembles, BN calibration)."""
    row = dict(fields)
    for name, data in (("train", split.train), ("test", split.test)):
        for key, value in evaluate(model, data, entry.task.loss_fn, entry.task.error_fn).items():
            row[f"{name}_{key}"] = value
    return row


# ---- the comparison with the book ------------------------------------------------------------------------


def _first_zero_train_error_step(history):
    return next((row["step"] for row in history.rows if row.get("train_error") == 0.0), None)


METRICS = {
    # key: (label, function(history, model) -> number); "final" = the returned model (History.final)
    "test_error": ("test error (%)", lambda h, m: h.final["test_error"]),
    "train_error": ("training error (%)", lambda h, m: h.final["train_error"]),
    "zero_train_error_step": ("first step with training error 0", lambda h, m: _first_zero_train_error_step(h)),
    "min_test_loss_step": ("step of the lowest test loss", lambda h, m: h.best("test_loss")["step"]),
    "test_loss": ("test loss", lambda h, m: h.final["test_loss"]),
    "train_loss": ("training loss", lambda h, m: h.final["train_loss"]),
    "parameters": ("parameters", lambda h, m: m.num_parameters()),
}


def result_rows(entry, model, history, split) -> list:
    """One row per metric of `entry.metrics`: label, the book's value (or None), ours; then the
    entry's own extra rows (e.g. a closed-form optimum or the noise floor)."""
    epochs = history.info.get("epochs_run")
    rows = []
    for key in entry.metrics:
        label, compute = METRICS[key]
        if key in ("test_loss", "train_loss"):
            label = label.replace("loss", entry.task.loss_name)
        rows.append({"model": entry.name, "metric": label, "book": entry.book.get(key), "ours": compute(history, model),
                     "epochs": epochs, "note": entry.notes.get(key)})
    if entry.extra_rows is not None:
        for row in entry.extra_rows(model, history, split):
            rows.append({"model": entry.name, "epochs": epochs, **row})
    return rows


def run(entry, *, steps=None, epochs=None, lr=None, batch_size=None, seed=0, progress=None, out=None,
        plot=False, compile=True) -> RunResult:
    """Train `entry` (overrides as on the command line) and compare with the book.

    `compile=False` runs every training step eagerly (`--no-compile`); the numbers are the same,
    bit for bit. An entry with an `eager_reason` trains eagerly either way.

    With `out`, writes `<out>/history.json`, the trained model's state dict `<out>/model.npz` (what
    `load_model` and `tinygrad-udl generate --load` read back), and `<out>/curves.png` and the
    entry's pictures with `plot=True`.
    """
    hyper = resolve_hyperparameters(entry, steps=steps, epochs=epochs, lr=lr, batch_size=batch_size)
    split = entry.task.load()
    trainer = entry.trainer or train_model
    model, history = trainer(entry, hyper, split, seed, progress, compile=entry.compiles(compile))
    history.info.update(model=entry.name, section=entry.section, seed=seed, hyperparameters=hyper)
    result = RunResult(entry.name, model, history, result_rows(entry, model, history, split), hyper)
    if out is not None:
        out = Path(out)
        result.files.append(history.save(out / "history.json"))
        if hasattr(model, "save"):   # a Module (an RL agent's tables are not saved)
            result.model_file = save_model(model, out)
        if plot:
            result.files.append(plot_history(history, out / "curves.png", title=f"{entry.name} ({entry.section})"))
            if entry.pictures is not None:
                result.files.extend(entry.pictures(model, history, split, out))
    return result


# ---- the trained model in a run folder ----------------------------------------------------------------------

MODEL_FILE = "model.npz"


def save_model(model, folder) -> Path:
    """Write `model`'s state dict to `folder/model.npz` (atomically, `Module.save`); returns the path."""
    path = Path(folder) / MODEL_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    return path


def load_model(entry, folder):
    """`entry`'s full-size model with the weights saved in `folder/model.npz` (or in the file `folder`).

    FileNotFoundError when there is none; the library's `SerializationError` / `StateDictError`
    (ValueErrors naming the file or the mismatching entries) when the file does not hold this model.
    """
    path = Path(folder)
    if path.is_dir():
        path = path / MODEL_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no saved model at {path}")
    return entry.build().load(path)
