"""The analysis tools of chapters 8, 9, 11 and 20 against exact answers."""
import math

import numpy as np
import pytest

import tinygrad_udl as tg
from tinygrad_udl import nn
from tinygrad_udl.analysis import (MaskedOptimizer, SubspaceModel, apply_masks, batchnorm_gradient_growth,
                                   bias_variance, dense_hessian, extreme_eigenvalues, fgsm, lanczos,
                                   loss_along_line, loss_hvp, magnitude_masks, mlp_parameters,
                                   randomize_labels, residual_variances, sparsity, two_layer_width_for)
from tinygrad_udl.analysis.common import mlp, parameter_vector
from tinygrad_udl.analysis.hessian import tridiagonal_eigh
from tinygrad_udl.nn.loss import binary_cross_entropy_with_logits, cross_entropy
from tinygrad_udl.optim import SGD


@pytest.fixture
def small_problem():
    rng = np.random.default_rng(0)
    model = mlp([6, 5], seed=0, inputs=4, outputs=3, dtype=np.float64)   # 83 parameters
    return model, rng.standard_normal((30, 4)), rng.integers(0, 3, 30)


# ---- Hessian spectra (figs. 20.8-20.9) -------------------------------------------------------------------------

def test_lanczos_matches_the_dense_hessian(small_problem):
    model, x, y = small_problem
    H = dense_hessian(model, x, y)
    exact = np.linalg.eigh(H)[0]
    hvp = loss_hvp(model, x, y)
    assert hvp.dim == 83 == H.shape[0] and np.allclose(H, H.T, atol=1e-12)
    v = np.random.default_rng(1).standard_normal(83)
    assert np.allclose(hvp(v), H @ v, atol=1e-10)                                  # H v without H
    top, bottom = extreme_eigenvalues(hvp, hvp.dim, k=3, steps=40, rng=0)          # 40 products, not 83
    assert np.allclose(top, exact[::-1][:3], rtol=1e-8, atol=1e-10)
    assert np.allclose(bottom, exact[:3], rtol=1e-8, atol=1e-10)
    assert bottom[0] < 0 < top[0]                                                   # an indefinite Hessian
    # Run to the end, Lanczos stops when the Krylov space is exhausted (a repeated eigenvalue, such
    # as the zeros of dead units, shows up once): every Ritz value is then an exact eigenvalue.
    alpha, beta, Q = lanczos(hvp, hvp.dim, hvp.dim, rng=0)
    assert np.allclose(Q @ Q.T, np.eye(len(alpha)), atol=1e-10)
    ritz = tridiagonal_eigh(alpha, beta)[0]
    assert all(np.min(np.abs(exact - r)) < 1e-8 for r in ritz)


def test_lanczos_on_a_known_matrix():
    rng = np.random.default_rng(3)
    Q, _ = np.linalg.qr(rng.standard_normal((200, 200)))
    values = np.concatenate([[50.0, 20.0], np.linspace(-1, 1, 196), [-30.0, -40.0]])
    A = (Q * values) @ Q.T
    top, bottom = extreme_eigenvalues(lambda v: A @ v, 200, k=2, steps=30, rng=0)
    assert np.allclose(top, [50, 20]) and np.allclose(bottom, [-40, -30])


# ---- FGSM (fig. 20.14) -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("label", [0.0, 1.0])
def test_fgsm_on_logistic_regression_moves_the_logit_by_eps_times_the_l1_norm(label):
    rng = np.random.default_rng(0)
    model = nn.Linear(6, 1, dtype=np.float64, rng=0)
    w = model.weight.data.ravel()
    x = rng.standard_normal((5, 6))
    y = np.full((5, 1), label)
    eps = 0.125
    x_adv = fgsm(model, x, y, eps, loss_fn=binary_cross_entropy_with_logits)
    delta = x_adv - x
    assert np.allclose(np.abs(delta), eps, rtol=0, atol=1e-15)                     # ‖δ‖∞ = ε, every entry ±ε
    change = model(tg.Tensor(x_adv)).data.ravel() - model(tg.Tensor(x)).data.ravel()
    direction = -1.0 if label == 1.0 else 1.0                                       # against the true class
    assert np.allclose(change, direction * eps * np.abs(w).sum(), rtol=1e-12)       # exactly ε‖w‖₁


def test_fgsm_raises_the_loss_of_a_network(small_problem):
    model, x, y = small_problem
    before = cross_entropy(model(tg.Tensor(x)), y).item()
    after = cross_entropy(model(tg.Tensor(fgsm(model, x, y, 0.05))), y).item()
    assert after > before


# ---- pruning and lottery tickets (fig. 20.15) ---------------------------------------------------------------------

@pytest.mark.parametrize("fraction", [0.0, 0.2, 0.5, 0.9, 0.98, 1.0])
@pytest.mark.parametrize("scope", ["global", "layer"])
def test_masks_remove_exactly_the_requested_fraction(fraction, scope):
    model = mlp([30, 20], seed=1)
    masks = magnitude_masks(model, fraction, scope=scope)
    weights = {name: p for name, p in model.named_parameters() if p.ndim == 2}
    assert set(masks) == set(weights)                                               # biases are not pruned
    total = sum(p.size for p in weights.values())
    removed = sum(m.size - m.sum() for m in masks.values())
    if scope == "global":
        assert removed == round(fraction * total)
    else:
        assert all(m.size - m.sum() == round(fraction * m.size) for m in masks.values())
    kept = np.concatenate([np.abs(weights[n].data[m]) for n, m in masks.items()])
    gone = np.concatenate([np.abs(weights[n].data[~m]) for n, m in masks.items()])
    if scope == "global" and kept.size and gone.size:
        assert gone.max() <= kept.min()                                             # the smallest went


def test_iterative_masks_keep_pruned_weights_pruned_and_training_keeps_them_zero():
    model = mlp([30, 20], seed=1)
    first = magnitude_masks(model, 0.5)
    second = magnitude_masks(model, 0.75, previous=first)
    assert sparsity(second) == pytest.approx(0.75, abs=1e-3)
    assert all(not (~first[n] & second[n]).any() for n in first)                  # nothing comes back
    apply_masks(model, second)
    x, y = np.random.default_rng(0).standard_normal((50, 40)).astype(np.float32), np.arange(50) % 10
    optimizer = MaskedOptimizer(SGD(model.parameters(), lr=0.1), model, second)
    for _ in range(5):
        loss = cross_entropy(model(tg.Tensor(x)), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    params = dict(model.named_parameters())
    assert all((params[n].data[~m] == 0).all() and (params[n].data[m] != 0).any() for n, m in second.items())


# ---- parameter counts of fig. 20.2 and fig. 8.10 ------------------------------------------------------------------

def test_fig_20_2_parameter_counts():
    def formula(layers, width):  # (40+1)·D + (layers−1)·(D+1)·D + (D+1)·10
        return 41 * width + (layers - 1) * (width + 1) * width + (width + 1) * 10

    printed = {1: (298, 15208), 2: (100, 15210), 3: (75, 15235), 4: (63, 15319)}    # the book's 15,139: a misprint
    for layers, (width, count) in printed.items():
        assert formula(layers, width) == count == mlp_parameters([width] * layers)
        assert mlp([width] * layers, seed=0).num_parameters() == count
    assert mlp_parameters([100, 100]) == 15210                                       # fig. 8.2
    assert two_layer_width_for(mlp_parameters([43, 43])) == pytest.approx(43)       # H² + 52H + 10


def test_randomized_labels():
    y = np.arange(1000) % 10
    noisy = randomize_labels(y, 0.15, rng=0)
    changed = np.mean(noisy != y)
    assert 0.15 * 0.8 < changed <= 0.15 and np.array_equal(randomize_labels(y, 0.15, rng=0), noisy)


# ---- bias and variance (eq. 8.7) ---------------------------------------------------------------------------------

@pytest.mark.parametrize("capacity", [2, 4, 9])
def test_bias_plus_variance_plus_noise_is_the_expected_test_error(capacity):
    r = bias_variance(capacity, n_train=15, datasets=600, test_points=200, rng=capacity)
    assert r["expected_error"] == pytest.approx(r["bias"] + r["variance"] + r["noise"])
    assert abs(r["expected_error"] - r["test_error"]) < 4 * r["test_error_se"]       # Monte Carlo, seeded
    assert r["noise"] == pytest.approx(0.09)


def test_the_book_s_minimum_of_bias_plus_variance_is_at_capacity_4():
    totals = {c: bias_variance(c, datasets=300, rng=0)["bias_plus_variance"] for c in range(1, 9)}
    assert min(totals, key=totals.get) == 4


# ---- residual variances (fig. 11.6, P11.10) -----------------------------------------------------------------------

def test_residual_variances_follow_fig_11_6():
    seeds = range(4)
    plain = np.mean([residual_variances("plain", blocks=6, width=64, batch=500, rng=s) for s in seeds], axis=0)
    scaled = np.mean([residual_variances("scaled", blocks=6, width=64, batch=500, rng=s) for s in seeds], axis=0)
    bn = np.mean([residual_variances("batchnorm", blocks=6, width=64, batch=500, rng=s) for s in seeds], axis=0)
    assert np.allclose(plain, 2.0 ** np.arange(1, 7), rtol=0.35)
    assert np.allclose(scaled, 1.0, rtol=0.35)
    assert np.allclose(bn, np.arange(2, 8), rtol=0.2)


def test_batchnorm_without_skips_grows_the_gradients_by_1_21_per_layer():
    growth = batchnorm_gradient_growth(layers=20, width=64, batch=500, rng=0)["growth"]
    assert growth == pytest.approx(math.sqrt(math.pi / (math.pi - 1)), abs=0.05)


# ---- lines and subspaces (figs. 20.5-20.6) -------------------------------------------------------------------------

def test_loss_along_a_line_ends_at_its_endpoints_and_restores_the_model(small_problem):
    model, x, y = small_problem
    start = parameter_vector(model)
    end = start + np.random.default_rng(0).standard_normal(start.size) * 0.1
    line = loss_along_line(model, start, end, (x, y), [0.0, 0.5, 1.0])
    assert line["loss"][0] == pytest.approx(cross_entropy(model(tg.Tensor(x)), y).item())
    assert np.array_equal(parameter_vector(model), start)
    other = mlp([6, 5], seed=0, inputs=4, outputs=3, dtype=np.float64)
    from tinygrad_udl.analysis.common import set_parameter_vector
    set_parameter_vector(other, end)
    assert line["loss"][-1] == pytest.approx(cross_entropy(other(tg.Tensor(x)), y).item())


def test_subspace_model_starts_at_the_initialisation_and_trains_only_d(small_problem):
    model, x, y = small_problem
    sub = SubspaceModel(model, 7, rng=0)
    assert [n for n, _ in sub.named_parameters()] == ["d"]
    assert np.allclose(sub(tg.Tensor(x)).data, model(tg.Tensor(x)).data)
    before = parameter_vector(model)
    optimizer = SGD(sub.parameters(), lr=0.5)
    for _ in range(3):
        loss = cross_entropy(sub(tg.Tensor(x)), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert np.array_equal(parameter_vector(model), before)                          # φ₀ is not changed
    moved = sub.vector().data - before
    P = sub._P.data
    assert np.allclose(P @ np.linalg.lstsq(P, moved, rcond=None)[0], moved)       # φ − φ₀ lies in span(P)
