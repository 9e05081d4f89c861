"""The training loop `fit`: step counts, the maths of one step, evaluation, seeds, early stopping.

Oracles: hand-written numpy (gradients of the least-squares loss, eq. 6.7, and of the L2 penalty,
eq. 9.5; the cross-entropy of eq. 5.24), and counting.
"""
import re

import numpy as np
import pytest

from tinygrad_udl import Tensor
from tinygrad_udl.nn import EarlyStopping, Linear, Module, l2_penalty, weight_parameters
from tinygrad_udl.nn.loss import cross_entropy, mse_loss
from tinygrad_udl.optim import SGD
from tinygrad_udl.training import TrainingDiverged, evaluate, fit


def _regression_data(n=30, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    y = x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3 + 0.1 * rng.normal(size=(n, 1))
    return x, y


def _linear(seed=0):
    return Linear(3, 1, dtype=np.float64, rng=seed)


class CountingOptimizer(SGD):
    def __init__(self, params, lr):
        super().__init__(params, lr=lr)
        self.steps = 0

    def step(self, closure=None):
        self.steps += 1
        return super().step(closure)


def test_steps_and_epochs_count_optimizer_steps_and_rows():
    x, y = _regression_data(30)
    model = _linear()
    opt = CountingOptimizer(model.parameters(), lr=0.01)
    history = fit(model, opt, (x, y), loss_fn=mse_loss, error_fn=None, steps=7, batch_size=4)
    assert opt.steps == 7
    # 30 examples in batches of 4: 8 steps per epoch, so 7 steps end inside epoch 1; rows: step 0 and the end.
    assert [r["step"] for r in history.rows] == [0, 7]
    model = _linear()
    opt = CountingOptimizer(model.parameters(), lr=0.01)
    history = fit(model, opt, (x, y), loss_fn=mse_loss, error_fn=None, epochs=3, batch_size=4, eval_every=2)
    assert opt.steps == 3 * 8
    assert [r["epoch"] for r in history.rows] == [0, 2, 3]
    assert history.info["steps_run"] == 24 and history.info["epochs_run"] == 3


def test_one_full_batch_step_matches_the_hand_gradient_with_l2_penalty():
    x, y = _regression_data(20)
    model = _linear(1)
    w0, b0 = model.weight.data.copy(), model.bias.data.copy()
    lr, lam = 0.05, 0.3
    fit(model, SGD(model.parameters(), lr=lr), (x, y), loss_fn=mse_loss, error_fn=None, steps=1, batch_size=20,
        penalty=lambda m: lam * l2_penalty(weight_parameters(m)))
    # mean squared error (1/I) Σ (f_i − y_i)², gradient (2/I) Σ r_i [x_i, 1]; penalty λ Σ w² on the weight only.
    r = x @ w0.T + b0 - y
    grad_w = 2 * (r * x).mean(axis=0, keepdims=True) + 2 * lam * w0
    grad_b = 2 * r.mean(axis=0)
    np.testing.assert_allclose(model.weight.data, w0 - lr * grad_w, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(model.bias.data, b0 - lr * grad_b, rtol=1e-12, atol=1e-12)


def test_evaluate_matches_numpy_cross_entropy_and_error():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(23, 4)).astype(np.float32)
    y = rng.integers(0, 5, size=23)
    model = Linear(4, 5, rng=0)
    result = evaluate(model, (x, y), cross_entropy, error_fn=lambda out, t: float(np.mean(out.data.argmax(1) != t)),
                      batch_size=5)  # uneven last batch: the batches must be weighted by their size
    logits = x.astype(np.float64) @ model.weight.data.T.astype(np.float64) + model.bias.data
    top = logits.max(1, keepdims=True)
    logp = logits - top - np.log(np.exp(logits - top).sum(1, keepdims=True))  # log-softmax
    np.testing.assert_allclose(result["loss"], -logp[np.arange(23), y].mean(), rtol=1e-5)
    assert result["error"] == pytest.approx(100 * np.mean(logits.argmax(1) != y))


def test_evaluate_restores_training_mode():
    model = _linear()
    x, y = _regression_data(5)
    model.train()
    evaluate(model, (x, y), mse_loss)
    assert model.training
    model.eval()
    evaluate(model, (x, y), mse_loss)
    assert not model.training


def test_same_seed_same_run_other_seed_other_batches():
    x, y = _regression_data(40)
    augment = lambda xb, rng: xb + rng.normal(0, 0.01, xb.shape)  # noqa: E731  (uses the loop's generator)

    def run(seed):
        model = _linear(0)
        history = fit(model, SGD(model.parameters(), lr=0.05), (x, y), loss_fn=mse_loss, error_fn=None, epochs=3,
                      batch_size=8, rng=seed, augment=augment)
        return model.weight.data.copy(), [r["train_loss"] for r in history.rows]

    w_a, loss_a = run(5)
    w_b, loss_b = run(5)
    w_c, _ = run(6)
    np.testing.assert_array_equal(w_a, w_b)
    assert loss_a == loss_b
    assert not np.array_equal(w_a, w_c)


def test_float_data_takes_the_model_dtype():
    x, y = _regression_data(10)  # float64 data, float32 model
    model = Linear(3, 1, rng=0)
    seen = []

    def loss_fn(out, t):
        seen.append(out.dtype)
        return mse_loss(out, t)

    fit(model, SGD(model.parameters(), lr=0.01), (x, y), loss_fn=loss_fn, error_fn=None, steps=2, batch_size=5)
    assert set(seen) == {np.dtype(np.float32)}


def test_early_stopping_stops_and_restores_the_best_checkpoint():
    # 12 training points, 40 noisy inputs: a linear model overfits and the validation loss rises.
    rng = np.random.default_rng(0)
    x_train, x_val = rng.normal(size=(12, 40)), rng.normal(size=(200, 40))
    w = rng.normal(size=(40, 1)) * 0.1
    y_train, y_val = x_train @ w + rng.normal(size=(12, 1)), x_val @ w + rng.normal(size=(200, 1))
    model = Linear(40, 1, dtype=np.float64, rng=0)
    stopper = EarlyStopping(patience=3)
    history = fit(model, SGD(model.parameters(), lr=0.05), (x_train, y_train), val=(x_val, y_val),
                  loss_fn=mse_loss, error_fn=None, epochs=500, batch_size=12, early_stopping=stopper)
    assert history.info["stopped_early"]
    assert history.info["epochs_run"] < 500
    best = min(r["val_loss"] for r in history.rows[1:])
    assert history.info["best_step"] == next(r["step"] for r in history.rows if r["val_loss"] == best)
    # the model holds the best checkpoint again, not the last parameters
    assert evaluate(model, (x_val, y_val), mse_loss)["loss"] == pytest.approx(best, rel=1e-12)
    assert history.last["val_loss"] > best
    assert history.final["val_loss"] == best and history.final["step"] == history.info["best_step"]


def test_argument_errors_are_clear():
    x, y = _regression_data(10)
    model = _linear()
    opt = SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="exactly one of epochs= or steps="):
        fit(model, opt, (x, y), loss_fn=mse_loss, error_fn=None, epochs=1, steps=1)
    with pytest.raises(ValueError, match="exactly one of epochs= or steps="):
        fit(model, opt, (x, y), loss_fn=mse_loss, error_fn=None)
    with pytest.raises(ValueError, match="val="):
        fit(model, opt, (x, y), loss_fn=mse_loss, error_fn=None, steps=1, early_stopping=EarlyStopping())
    with pytest.raises(ValueError, match="same number of examples"):
        fit(model, opt, (x, y[:5]), loss_fn=mse_loss, error_fn=None, steps=1)
    with pytest.raises(ValueError, match="steps must be a positive int"):
        fit(model, opt, (x, y), loss_fn=mse_loss, error_fn=None, steps=0)
    with pytest.raises(TypeError, match="scalar Tensor"):
        fit(model, opt, (x, y), loss_fn=lambda out, t: mse_loss(out, t, reduction="none"), error_fn=None, steps=1)


def test_divergence_is_reported_with_the_step():
    x, y = _regression_data(10)
    model = _linear()
    with pytest.raises(TrainingDiverged, match="at step [0-9]+.*Lower the learning rate"):
        fit(model, SGD(model.parameters(), lr=1e3), (x, 1e3 * y), loss_fn=mse_loss, error_fn=None, steps=200,
            batch_size=10)


def test_a_diverged_run_leaves_the_model_with_its_last_finite_weights():
    """Full-batch SGD on MSE, replayed by hand (w <- w - lr * 2/N X^T (Xw + b - y)): fit must hand
    back the last weights of that sequence that are finite, not the NaN of the bad update."""
    x, y = _regression_data(10)
    y = 1e3 * y
    model = _linear()
    w, b = model.weight.data.copy(), model.bias.data.copy()
    with pytest.raises(TrainingDiverged, match=r"last finite weights again \(those after step (\d+)\)") as info:
        fit(model, SGD(model.parameters(), lr=1e3), (x, y), loss_fn=mse_loss, error_fn=None, steps=200,
            batch_size=10)
    kept = int(re.search(r"those after step (\d+)", str(info.value)).group(1))
    with np.errstate(all="ignore"):
        for _ in range(kept):
            r = x @ w.T + b - y
            w, b = w - 1e3 * 2 / len(x) * r.T @ x, b - 1e3 * 2 / len(x) * r.sum(axis=0)
    assert np.isfinite(model.weight.data).all() and np.isfinite(model.bias.data).all()
    np.testing.assert_allclose(model.weight.data, w, rtol=1e-9)
    np.testing.assert_allclose(model.bias.data, b, rtol=1e-9)


class _Classifier(Module):
    def __init__(self):
        super().__init__()
        self.fc = Linear(2, 2, rng=0)

    def forward(self, x):
        return self.fc(x)


def test_progress_bar_shows_loss_and_error(capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = _Classifier()
    fit(model, SGD(model.parameters(), lr=0.5), (x, y), test=(x, y), loss_fn=cross_entropy, steps=40,
        batch_size=20, progress=True)
    shown = capsys.readouterr().out
    assert "loss=" in shown and "err=" in shown and "test_err=" in shown
    fit(model, SGD(model.parameters(), lr=0.5), (x, y), loss_fn=cross_entropy, steps=5, batch_size=20, progress=False)
    assert capsys.readouterr().out == ""


def test_the_model_receives_tensors():
    seen = []

    class Probe(Module):
        def __init__(self):
            super().__init__()
            self.fc = Linear(3, 1, dtype=np.float64, rng=0)

        def forward(self, x):
            seen.append(type(x))
            return self.fc(x)

    x, y = _regression_data(6)
    model = Probe()
    fit(model, SGD(model.parameters(), lr=0.01), (x, y), loss_fn=mse_loss, error_fn=None, steps=1, batch_size=6)
    assert set(seen) == {Tensor}


def test_fit_runs_the_books_nesterov_which_needs_the_gradient_at_the_look_ahead_point():
    # eq. 6.12 (final print): m <- beta m + (1 - beta) grad L(phi - alpha beta m); phi <- phi - alpha m
    x, y = _regression_data(20)
    model = _linear(seed=1)
    w, b = model.weight.data.copy(), model.bias.data.copy()
    alpha, beta = 0.05, 0.9
    opt = SGD(model.parameters(), lr=alpha, momentum=beta, nesterov=True, style="book")
    fit(model, opt, (x, y), loss_fn=mse_loss, error_fn=None, steps=3, batch_size=20)  # full batch

    def gradient(w, b):  # of mean((x w^T + b - y)^2)
        r = x @ w.T + b - y
        return 2 * r.T @ x / len(x), 2 * r.sum(axis=0) / len(x)

    mw, mb = np.zeros_like(w), np.zeros_like(b)
    for _ in range(3):
        gw, gb = gradient(w - alpha * beta * mw, b - alpha * beta * mb)
        mw, mb = beta * mw + (1 - beta) * gw, beta * mb + (1 - beta) * gb
        w, b = w - alpha * mw, b - alpha * mb
    np.testing.assert_allclose(model.weight.data, w, rtol=1e-12)
    np.testing.assert_allclose(model.bias.data, b, rtol=1e-12)
