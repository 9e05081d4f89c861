"""Chapter 7's reproduction targets: fig. 7.7 (variance propagation) and fig. 7.8 (the training listing).

Oracles: a plain-numpy forward and backward pass (eqs. 7.16-7.24) written here, the variance-propagation
theory D_h·σ²/2 per layer (eqs. 7.29, 7.31), StepLR's closed form 0.1·0.5^⌊epoch/10⌋.
"""
import numpy as np
import pytest

from tinygrad_udl.zoo import layer_variances, train_fig7_8, variance_propagation, variance_rows
from tinygrad_udl.zoo.supervised.fig7_8 import fig7_8_rows


def relu(z):
    return np.maximum(z, 0.0)


# ---- fig. 7.7 -------------------------------------------------------------------------------------------


def numpy_variances(weights, x):
    """Forward f_0 = Ω_0 x, f_k = Ω_k ReLU(f_{k-1}); loss Σ f_K²; backward by eqs. 7.22-7.24 (row batches)."""
    fs = [x @ weights[0].T]
    for w in weights[1:]:
        fs.append(relu(fs[-1]) @ w.T)
    g = 2 * fs[-1]  # ∂ℓ/∂f_K of (f_K - 0)²
    grads = []
    for k in range(len(weights) - 1, 0, -1):
        g = (fs[k - 1] > 0) * (g @ weights[k])  # ∂ℓ/∂f_{k-1} = I[f_{k-1} > 0] ⊙ Ω_kᵀ ∂ℓ/∂f_k
        grads.append(g)
    grads.reverse()
    return np.array([f.var() for f in fs[:-1]]), np.array([g.var() for g in grads])


def test_layer_variances_match_a_numpy_forward_and_backward_pass():
    rng = np.random.default_rng(5)
    weights = [rng.normal(0, np.sqrt(0.05), (20, 20)) for _ in range(6)] + [rng.normal(0, 0.2, (1, 20))]
    x = rng.standard_normal((30, 20))
    forward, backward = layer_variances(weights, x)
    expected_forward, expected_backward = numpy_variances(weights, x)
    assert forward.shape == backward.shape == (6,)
    np.testing.assert_allclose(forward, expected_forward, rtol=1e-10)
    np.testing.assert_allclose(backward, expected_backward, rtol=1e-10)


@pytest.mark.parametrize("seed", [0, 1])
def test_per_layer_growth_matches_the_theory_factor(seed):
    width, layers = 50, 10
    profiles = variance_propagation(sigma2s=(0.01, 0.04, 0.1), layers=layers, width=width, batch=200, rng=seed)
    for s2, p in profiles.items():
        theory = width * s2 / 2  # eq. 7.29: σ²_f' = ½ D_h σ²_Ω σ²_f
        assert p.forward.shape == p.backward.shape == (layers,)
        forward_factor = (p.forward[-1] / p.forward[0]) ** (1 / (layers - 1))
        backward_factor = (p.backward[0] / p.backward[-1]) ** (1 / (layers - 1))
        for measured in (forward_factor, backward_factor):
            assert 0.75 < measured / theory < 1.33, (s2, measured, theory)
        # the first layer sees x ~ N(0, I) without a ReLU: var f_0 = D_i σ²
        assert p.forward[0] == pytest.approx(width * s2, rel=0.2)


def test_he_variance_is_stable_and_the_others_explode_or_vanish():
    profiles = variance_propagation(sigma2s=(0.004, 0.04, 0.4), layers=10, width=50, batch=100, rng=0)
    logs = {s2: (p.log10_ratio("forward"), p.log10_ratio("backward")) for s2, p in profiles.items()}
    assert all(abs(v) < 1 for v in logs[0.04])
    assert all(v < -5 for v in logs[0.004])  # theory: 9·log10(0.1) = -9
    assert all(v > 5 for v in logs[0.4])  # theory: 9·log10(10) = +9
    rows = variance_rows(profiles)
    assert len(rows) == 2 * 3 + 1
    assert rows[-1]["ours"] == "yes"
    assert rows[0]["book"] == pytest.approx(9 * np.log10(50 * 0.004 / 2), abs=0.01)


def test_float64_survives_the_largest_variance_of_fig_7_7():
    p = variance_propagation(sigma2s=(1.0,), layers=50, width=100, batch=20, rng=0)[1.0]
    assert np.all(np.isfinite(p.forward)) and np.all(np.isfinite(p.backward))
    assert p.forward[-1] > 1e70  # float32 would overflow near 3.4e38


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="layers"):
        variance_propagation(layers=1)
    with pytest.raises(ValueError, match="weight variance"):
        variance_propagation(sigma2s=(0.02, 0.0))


# ---- fig. 7.8 -------------------------------------------------------------------------------------------


def numpy_gradients(w, b, x, y):
    """Hand-written backward of Linear-ReLU-Linear-ReLU-Linear with a mean squared error (float64)."""
    f0 = x @ w[0].T + b[0]
    h1 = relu(f0)
    f1 = h1 @ w[1].T + b[1]
    h2 = relu(f1)
    pred = h2 @ w[2].T + b[2]
    g2 = 2 * (pred - y) / pred.size  # MSELoss: mean over batch × outputs
    g1 = (g2 @ w[2]) * (f1 > 0)
    g0 = (g1 @ w[1]) * (f0 > 0)
    return {"0.weight": g0.T @ x, "0.bias": g0.sum(0), "2.weight": g1.T @ h1, "2.bias": g1.sum(0),
            "4.weight": g2.T @ h2, "4.bias": g2.sum(0)}


def test_fig7_8_listing_trains_with_the_books_schedule():
    seen = {"lrs": {}, "first": None}

    def on_backward(epoch, i, x_batch, y_batch, model, optimizer):
        seen["lrs"].setdefault(epoch, optimizer.param_groups[0]["lr"])
        if seen["first"] is None:
            params = dict(model.named_parameters())
            seen["first"] = ({n: p.data.astype(np.float64) for n, p in params.items()},
                             {n: p.grad.data.astype(np.float64) for n, p in params.items()},
                             x_batch.astype(np.float64), y_batch.astype(np.float64))

    run = train_fig7_8(epochs=25, rng=3, on_backward=on_backward)
    # the learning rate: 0.1 halved every 10 epochs (StepLR(step_size=10, gamma=0.5))
    assert sorted(seen["lrs"]) == list(range(25))
    for epoch, lr in seen["lrs"].items():
        assert lr == pytest.approx(0.1 * 0.5 ** (epoch // 10))
    np.testing.assert_allclose(run.lrs, [seen["lrs"][e] for e in range(25)])
    # the loss falls: epoch-loss means over 5-epoch blocks decrease, and the last epoch is well below the first
    losses = run.epoch_losses
    assert losses.shape == (25,)
    blocks = losses.reshape(5, 5).mean(axis=1)
    assert np.all(np.diff(blocks) < 0)
    assert losses[-1] < 0.5 * losses[0]
    # the first batch's gradient equals the hand-written backward pass
    params, grads, xb, yb = seen["first"]
    assert xb.shape == (10, 10) and yb.shape == (10, 5)
    assert np.all(params["0.bias"] == 0) and np.all(np.abs(params["0.weight"]) <= np.sqrt(6 / 10))
    expected = numpy_gradients([params[f"{k}.weight"] for k in (0, 2, 4)], [params[f"{k}.bias"] for k in (0, 2, 4)],
                               xb, yb)
    assert set(expected) == set(grads)
    for name, g in expected.items():
        np.testing.assert_allclose(grads[name], g, rtol=1e-4, atol=1e-6, err_msg=name)


def test_fig7_8_is_reproducible_and_reports_rows():
    a, b = train_fig7_8(epochs=3, rng=7), train_fig7_8(epochs=3, rng=7)
    np.testing.assert_array_equal(a.epoch_losses, b.epoch_losses)
    rows = fig7_8_rows(a)
    assert rows[0]["ours"] == pytest.approx(a.epoch_losses[0])
    assert rows[1]["ours"] == pytest.approx(a.epoch_losses[-1])
