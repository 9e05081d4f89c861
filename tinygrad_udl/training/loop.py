"""The training loop: mini-batch SGD (eq. 6.10) with evaluation, early stopping and a progress bar.

`fit` is deliberately explicit -- every step is the five lines a reader of chapter 6 expects:

    output = model(x_batch)                  # f[x_i, φ] for the batch B_t
    loss = loss_fn(output, y_batch)          # e.g. multiclass cross-entropy (eq. 5.24)
    optimizer.zero_grad()                    # gradients accumulate otherwise
    loss.backward()                          # backpropagation (section 7.4)
    optimizer.step()                         # φ ← φ − α ∂L/∂φ (eq. 6.10), or Adam (eqs. 6.15-6.18)

Around it: reproducible batches (a seeded `DataLoader`: without replacement, one pass is an epoch,
section 6.2), optional augmentation of each batch (section 9.3.8), an optional explicit penalty
λ·g[φ] added to the loss (eq. 9.1), evaluation of the losses and errors on the training, validation
and test data (fig. 8.2) into a `History`, early stopping on the validation data (section 9.3.1),
and a tqdm progress bar that shows the loss and error live.
"""
from __future__ import annotations

import math
import sys
import time

import numpy as np

from ..autograd.graph import no_grad
from ..autograd.tensor import Tensor
from ..checks import as_generator
from ..data import DataLoader
from .history import History
from .metrics import classification_error


class TrainingDiverged(RuntimeError):
    """The loss became inf or NaN: the learning rate is usually too large. `fit` has restored the
    model's last finite weights before raising (see `_LastFiniteWeights`)."""


class _LastFiniteWeights:
    """The model's parameters and buffers as they were before the latest update, kept while they
    are finite: what a diverged run hands back, instead of the NaN weights of the bad update.
    (A copy per step: cheap next to a step of the book's models, and the price of not losing a run.)"""

    def __init__(self, model):
        self.model = model
        self.state = model.state_dict()   # copies
        self.step = 0

    def save(self, step):
        state = self.model.state_dict()
        if all(np.isfinite(a).all() for a in state.values() if a.dtype.kind == "f"):
            self.state, self.step = state, step

    def restore(self):
        self.model.load_state_dict(self.state)


def _quiet_overflow():
    """A diverging run overflows on its way to inf/NaN; numpy's warnings about that are noise, since
    the first non-finite training loss stops `fit` with a clear `TrainingDiverged`."""
    return np.errstate(over="ignore", invalid="ignore", divide="ignore")


@_quiet_overflow()
def evaluate(model, data, loss_fn, error_fn=None, batch_size=1000) -> dict:
    """Mean loss per example and error percentage of `model` on `data = (x, y)`, in eval mode.

    Nothing is recorded for backward (`no_grad`), dropout is off and batch norm uses its running
    statistics (`model.eval()`); the model's previous mode is restored afterwards. `loss_fn` must
    average over the batch (reduction "mean"): batches are combined weighted by their size.
    """
    x, y = _check_pair(data, "evaluate")
    was_training = model.training
    dtype = _float_dtype(model)
    total_loss = total_error = 0.0
    model.eval()
    try:
        with no_grad():
            for start in range(0, len(x), batch_size):
                xb, yb = _cast(x[start:start + batch_size], dtype), _cast(y[start:start + batch_size], dtype)
                output = model(Tensor._wrap(xb))
                n = len(xb)
                total_loss += _scalar(loss_fn(output, yb)) * n
                if error_fn is not None:
                    total_error += error_fn(output, yb) * n
    finally:
        model.train(was_training)
    result = {"loss": total_loss / len(x)}
    if error_fn is not None:
        result["error"] = 100.0 * total_error / len(x)
    return result


def fit(model, optimizer, train, *, loss_fn, test=None, val=None, error_fn=classification_error,
        epochs=None, steps=None, batch_size=100, scheduler=None, penalty=None, augment=None,
        early_stopping=None, monitor="val_loss", restore_best=True, eval_every=1, rng=0, progress=None,
        desc="train", eval_batch_size=1000, compile=True) -> History:
    """Train `model` with mini-batches of `train = (x, y)`; returns the `History` of evaluations.

    Args:
        model: an `nn.Module` mapping a batch of inputs to outputs.
        optimizer: from `tinygrad_udl.optim`, built on `model.parameters()`.
        train, test, val: `(x, y)` pairs of numpy arrays with the examples along axis 0. `val` is
            the held-out data that early stopping watches (section 8.5); `test` is only reported.
        loss_fn: `loss_fn(output, y_batch)` -> scalar Tensor, averaged over the batch (e.g.
            `nn.functional.cross_entropy`). `y_batch` is a numpy array.
        error_fn: `error_fn(output, y)` -> fraction wrong, or None for regression.
        epochs, steps: the length of training; give exactly one. The book states most runs in
            steps (fig. 8.2: 6,000 steps of batch 100 on 4,000 examples = 150 epochs).
        batch_size: examples per step; batches are drawn without replacement (eq. 6.10).
        scheduler: stepped once per epoch (e.g. `StepLR`, fig. 7.8), if given.
        penalty: `penalty(model)` -> scalar Tensor λ·g[φ] added to the loss (eq. 9.1), e.g. L2.
        augment: `augment(x_batch, rng)` -> new x_batch, applied to every training batch (9.3.8).
        early_stopping: an `nn.EarlyStopping` (section 9.3.1), told `monitor` ("val_loss" or
            "val_error") at every evaluation; needs `val`. With `restore_best` the model ends
            with the best checkpoint; `History.info` names its epoch and step, and
            `History.final` is then that checkpoint's row.
        eval_every: evaluate every this many epochs (and always after the last step).
        rng: a numpy Generator or int seed for the batch order and augmentation.
        progress: show a tqdm bar; None shows it when stdout is a terminal or in a notebook.
        desc: the label of the progress bar.
        eval_batch_size: batch size of the (gradient-free) evaluation passes.
        compile: run the training step through `tinygrad_udl.compile` (traced on the first two
            batches of each shape, then replayed on arrays: the same numbers, bit for bit, without
            the graph's Python overhead; it falls back to eager steps by itself where a replay
            cannot be trusted). Optimizers that need a closure (the book's Nesterov) always run
            eagerly. `compile=False` runs every step eagerly.

    The row of step 0 evaluates the untrained model. The training metrics of a row are
    re-evaluated on the whole training set in eval mode (the book's curves), not averaged over
    the epoch's batches. A non-finite loss raises `TrainingDiverged` naming the step.
    """
    train = _check_pair(train, "fit: train")
    test = None if test is None else _check_pair(test, "fit: test")
    val = None if val is None else _check_pair(val, "fit: val")
    if (epochs is None) == (steps is None):
        raise ValueError(f"fit: give exactly one of epochs= or steps= (got epochs={epochs}, steps={steps})")
    if early_stopping is not None and val is None:
        raise ValueError("fit: early stopping watches held-out data; pass val=(x_val, y_val) "
                         "(e.g. from tinygrad_udl.data.train_val_split)")
    if monitor not in ("val_loss", "val_error") or (monitor == "val_error" and error_fn is None):
        raise ValueError(f"fit: monitor must be 'val_loss' or (with an error_fn) 'val_error', got {monitor!r}")
    shuffle_rng, augment_rng = as_generator(rng, "fit").spawn(2)
    loader = DataLoader(*train, batch_size=batch_size, shuffle=True, rng=shuffle_rng)
    total_steps = _total_steps(epochs, steps, len(loader))
    dtype = _float_dtype(model)
    splits = {"train": train, "val": val, "test": test}
    start_time = time.perf_counter()

    def evaluate_row(epoch, step):
        row = {"epoch": epoch, "step": step, "lr": _learning_rate(optimizer)}
        for name, data in splits.items():
            if data is not None:
                for key, value in evaluate(model, data, loss_fn, error_fn, eval_batch_size).items():
                    row[f"{name}_{key}"] = value
        row["seconds"] = round(time.perf_counter() - start_time, 3)
        return row

    history = History(info={"epochs": -(-total_steps // len(loader)), "steps": total_steps,
                            "batch_size": batch_size, "steps_per_epoch": len(loader)})
    history.append(evaluate_row(0, 0))
    train_step = _train_step(model, optimizer, loss_fn, penalty, compile)
    bar = _progress_bar(total_steps, desc, progress)
    running = _RunningMetrics()
    step, epoch, stopped = 0, 0, False
    checked_rows = []  # indices of the history rows early stopping has seen, in order
    last_finite = _LastFiniteWeights(model)
    try:
        while step < total_steps and not stopped:
            epoch += 1
            model.train()
            for xb, yb in loader:
                if augment is not None:
                    xb = augment(xb, augment_rng)
                xb, yb = _cast(xb, dtype), _cast(yb, dtype)
                last_finite.save(step)
                output, loss = train_step(xb, yb)
                step += 1
                _check_finite(loss, step, last_finite)
                running.add(loss, None if error_fn is None else error_fn(output, yb))
                bar.update(1)
                if step % 10 == 0 or step == total_steps:
                    bar.set_postfix(running.postfix(history.last), refresh=False)
                if step == total_steps:
                    break
            if scheduler is not None:
                scheduler.step()
            if epoch % eval_every == 0 or step == total_steps:
                history.append(evaluate_row(epoch, step))
                bar.set_postfix(running.postfix(history.last))
                if early_stopping is not None:
                    checked_rows.append(len(history) - 1)
                    stopped = early_stopping.step(history.last[monitor], model)
            running.reset()
    finally:
        bar.close()
    history.info.update(epochs_run=epoch, steps_run=step, stopped_early=stopped,
                        seconds=round(time.perf_counter() - start_time, 3))
    if early_stopping is not None:
        best_index = checked_rows[early_stopping.best_step]
        best = history[best_index]
        history.info.update(monitor=monitor, best_epoch=best["epoch"], best_step=best["step"],
                            restored_best=restore_best)
        if restore_best:
            early_stopping.restore_best(model)
            history.info["final_row"] = best_index  # the row that describes the returned model
    return history


class _RunningMetrics:
    """Mean training loss and error over the batches of the current epoch (for the progress bar)."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.loss = self.error = 0.0
        self.count = 0

    def add(self, loss, error):
        self.loss += loss
        self.error += 0.0 if error is None else error
        self.count += 1
        self.has_error = error is not None

    def postfix(self, last_row):
        shown = {}
        if self.count:
            shown["loss"] = f"{self.loss / self.count:.3f}"
            if self.has_error:
                shown["err"] = f"{100 * self.error / self.count:.1f}%"
        for split in ("val", "test"):
            if f"{split}_error" in last_row:
                shown[f"{split}_err"] = f"{last_row[f'{split}_error']:.1f}%"
            elif f"{split}_loss" in last_row:
                shown[f"{split}_loss"] = f"{last_row[f'{split}_loss']:.3f}"
        return shown


def _progress_bar(total, desc, progress):
    """tqdm.auto's choice without its warning: in a Jupyter notebook a widget (tqdm.notebook) when
    ipywidgets is installed, else the text bar, quietly; in a terminal the text bar. `progress=None`
    shows the bar in a terminal or a notebook, not when stdout is redirected (a log, a pipe)."""
    notebook = _in_notebook()
    if progress is None:
        progress = notebook or sys.stdout.isatty()
    settings = dict(total=total, desc=desc, unit="step", disable=not progress, leave=True, mininterval=0.2)
    if progress and notebook:
        try:
            import ipywidgets  # noqa: F401  (the widget needs it; tqdm.auto would warn without it)
            from tqdm.notebook import tqdm as widget

            return widget(**settings)
        except ImportError:  # no (or an unusable) ipywidgets: the text bar below
            pass
    from tqdm.std import tqdm  # tqdm is a dependency; imported here to keep `import` light

    return tqdm(file=sys.stdout, dynamic_ncols=True, **settings)


def _in_notebook():
    """True in a Jupyter kernel (the test tqdm.auto makes): IPython is loaded and its application
    is a kernel. False in a terminal IPython and in plain Python."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
        return shell is not None and "IPKernelApp" in shell.config
    except Exception:  # an IPython too old or too new to ask: treat as no notebook
        return False


def _total_steps(epochs, steps, per_epoch):
    if steps is not None:
        if not isinstance(steps, int | np.integer) or isinstance(steps, bool) or steps < 1:
            raise ValueError(f"fit: steps must be a positive int, got {steps!r}")
        return int(steps)
    if not isinstance(epochs, int | np.integer) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"fit: epochs must be a positive int, got {epochs!r}")
    return int(epochs) * per_epoch


def _scalar(loss) -> float:
    if not isinstance(loss, Tensor) or loss.size != 1:
        raise TypeError(f"fit: loss_fn must return a scalar Tensor (reduction='mean'), got "
                        f"{type(loss).__name__}{'' if not isinstance(loss, Tensor) else f' of shape {loss.shape}'}")
    return float(loss.item())


def _train_step(model, optimizer, loss_fn, penalty, compiled):
    """`(xb, yb) -> (output, loss value)`: `_step`, or its compiled form (tinygrad_udl.compile)
    where the optimizer's step() needs no closure."""
    if not compiled or _needs_closure(optimizer):
        return lambda xb, yb: _step(model, optimizer, loss_fn, penalty, xb, yb)
    from ..compile import compile as compile_step

    def step(xb, yb):
        output = model(Tensor._wrap(xb))
        loss = loss_fn(output, yb)
        objective = loss if penalty is None else loss + penalty(model)
        optimizer.zero_grad()
        objective.backward()
        optimizer.step()
        return output, loss

    compiled_step = compile_step(step)

    @_quiet_overflow()   # as `_step`: a diverging run's overflow is reported by TrainingDiverged
    def run(xb, yb):
        output, loss = compiled_step(xb, yb)
        return output, _scalar(loss)
    return run


def _needs_closure(optimizer):
    from ..optim.optimizer import Optimizer
    from ..optim.sgd import SGD

    step = type(optimizer).step
    if step is Optimizer.step:
        return False
    if step is SGD.step:
        return optimizer.style == "book" and any(group["nesterov"] for group in optimizer.param_groups)
    return True


@_quiet_overflow()
def _step(model, optimizer, loss_fn, penalty, xb, yb):
    """One optimizer step on a batch (the five lines of the module docstring); (output, loss value).

    Forward and backward run in a closure handed to `optimizer.step`, so optimizers that need the
    gradient somewhere else than at the current parameters (the book's Nesterov, eq. 6.12, at
    phi - alpha beta m) work too; for the others it is called once, before the update."""
    evaluated = {}

    def closure():
        output = model(Tensor._wrap(xb))
        loss = loss_fn(output, yb)
        objective = loss if penalty is None else loss + penalty(model)
        optimizer.zero_grad()
        objective.backward()
        evaluated["output"], evaluated["loss"] = output, loss
        return objective

    optimizer.step(closure)
    return evaluated["output"], _scalar(evaluated["loss"])


def _check_finite(loss, step, last_finite):
    if not math.isfinite(loss):
        last_finite.restore()
        raise TrainingDiverged(f"fit: the training loss is {loss} at step {step}; the run diverged. "
                               "Lower the learning rate (--lr) or check the data for inf/NaN. The model holds its "
                               f"last finite weights again (those after step {last_finite.step}); the optimizer's "
                               "state is not restored: make a new optimizer before training on.")


def _learning_rate(optimizer):
    groups = getattr(optimizer, "param_groups", None)
    if groups:
        return groups[0].get("lr")
    return getattr(optimizer, "lr", None)


def _float_dtype(model):
    for p in model.parameters():
        if p.dtype.kind == "f":
            return p.dtype
    return None


def _cast(array, dtype):
    """Floating inputs and targets take the model's dtype (float64 data would upcast a float32 model)."""
    if dtype is not None and array.dtype.kind == "f" and array.dtype != dtype:
        return array.astype(dtype)
    return array



def _check_pair(data, where):
    if not isinstance(data, tuple | list) or len(data) != 2:
        raise TypeError(f"{where}: expected a pair (x, y) of arrays, got {type(data).__name__}")
    x, y = (np.asarray(a) for a in data)
    if x.ndim == 0 or y.ndim == 0 or len(x) != len(y):
        raise ValueError(f"{where}: x and y need the same number of examples along axis 0, got shapes "
                         f"{x.shape} and {y.shape}")
    if len(x) == 0:
        raise ValueError(f"{where}: the data set is empty")
    return x, y
