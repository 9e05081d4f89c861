"""Losses of chapter 5 against closed forms written here (scipy.stats / scipy.special), reductions,
stability at extreme logits, gradients against finite differences."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import integrate, special, stats

import tinygrad_udl as tg
from tinygrad_udl import nn
from tinygrad_udl.gradcheck import check_primitives, gradcheck
from tinygrad_udl.nn import functional as F

from nn_testing import check_grads

shapes = hnp.array_shapes(min_dims=1, max_dims=3, max_side=4)


def floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def arrays(shape, lo, hi):
    """float64 arrays of `shape` (a tuple, an int or a strategy) with values in [lo, hi]."""
    return hnp.arrays(np.float64, shape, elements=floats(lo, hi))


def reductions_agree(fn, per_element):
    """fn(reduction) for 'none' / 'sum' / 'mean' against a per-element numpy reference."""
    np.testing.assert_allclose(fn("none").data, per_element, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fn("sum").item(), per_element.sum(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fn("mean").item(), per_element.mean(), rtol=1e-10, atol=1e-12)


# ---- regression -----------------------------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(st.data())
def test_mse_and_l1(data):
    shape = data.draw(shapes)
    f = data.draw(arrays(shape, -5, 5))
    y = data.draw(arrays(shape, -5, 5))
    reductions_agree(lambda r: F.mse_loss(f, y, reduction=r), (f - y) ** 2)  # eq. 5.11 per example
    y = np.where(np.abs(f - y) < 1e-3, y + 0.01, y)  # |.| has a kink at 0
    reductions_agree(lambda r: F.l1_loss(f, y, reduction=r), np.abs(f - y))
    check_grads(lambda a, b: F.mse_loss(a, b, reduction="sum"), f, y)
    check_grads(lambda a, b: F.l1_loss(a, b, reduction="sum"), f, y)


def test_mse_default_is_pytorchs_mean_and_sum_is_the_books():
    f, y = np.array([[1.0, 2.0], [3.0, 5.0]]), np.array([[0.0, 2.0], [1.0, 1.0]])
    assert F.mse_loss(f, y).item() == pytest.approx((1 + 0 + 4 + 16) / 4)
    assert nn.MSELoss(reduction="sum")(f, y).item() == pytest.approx(21.0)


def test_target_takes_the_predictions_dtype():
    assert F.mse_loss(tg.zeros(3), np.ones(3)).dtype == np.float32


@settings(max_examples=20, deadline=None)
@given(st.data())
def test_gaussian_nll_fixed_and_learned_variance(data):
    shape = data.draw(shapes)
    mu = data.draw(arrays(shape, -3, 3))
    y = data.draw(arrays(shape, -3, 3))
    var = data.draw(arrays(shape, 0.1, 4))
    expected = -stats.norm.logpdf(y, mu, np.sqrt(var))  # eq. 5.7
    reductions_agree(lambda r: F.gaussian_nll_loss(mu, y, tg.Tensor(var), reduction=r), expected)
    reductions_agree(lambda r: F.gaussian_nll_loss(mu, y, 0.7, reduction=r), -stats.norm.logpdf(y, mu, np.sqrt(0.7)))
    np.testing.assert_allclose(F.gaussian_nll_loss(mu, y, tg.Tensor(var), full=False, reduction="none").data,
                               expected - 0.5 * np.log(2 * np.pi), rtol=1e-10, atol=1e-12)
    check_grads(lambda m, v: F.gaussian_nll_loss(m, y, v, reduction="sum"), mu, var)


@settings(max_examples=15, deadline=None)
@given(arrays((5, 2), -2, 2), arrays(5, -2, 2))
def test_heteroscedastic_regression_as_eqs_5_14_to_5_15(out, y):
    out[:, 1] = np.where(np.abs(out[:, 1]) < 0.2, 0.5, out[:, 1])  # keep σ² = f2² above the floor
    f1, f2 = out[:, 0], out[:, 1]
    book = -np.sum(np.log(1 / np.sqrt(2 * np.pi * f2 ** 2)) - (y - f1) ** 2 / (2 * f2 ** 2))  # eq. 5.15

    def loss(o):
        return F.gaussian_nll_loss(o[:, 0], y, o[:, 1] * o[:, 1], reduction="sum")
    assert loss(tg.Tensor(out)).item() == pytest.approx(book, rel=1e-10)
    check_grads(loss, out)


def test_least_squares_is_the_normal_nll_up_to_constants():
    # eqs. 5.9-5.11: with σ² = 1 the NLL is ½(y − f)² + ½ log 2π per example
    f, y = np.array([0.3, -1.2, 2.0]), np.array([0.1, 0.4, 2.5])
    nll = F.gaussian_nll_loss(f, y, 1.0, reduction="sum").item()
    assert nll == pytest.approx(0.5 * F.mse_loss(f, y, reduction="sum").item() + 1.5 * np.log(2 * np.pi))


def test_gaussian_nll_errors_and_the_variance_floor():
    with pytest.raises(ValueError, match="positive"):
        F.gaussian_nll_loss(np.zeros(2), np.zeros(2), 0.0)
    with pytest.raises(ValueError, match="negative"):
        F.gaussian_nll_loss(np.zeros(2), np.zeros(2), tg.Tensor([-1.0, 1.0]))
    with pytest.raises(tg.ShapeError, match="does not broadcast"):
        F.gaussian_nll_loss(np.zeros(2), np.zeros(2), tg.Tensor(np.ones(3)))
    v = tg.Tensor(np.array([0.0, 1.0]), requires_grad=True)
    out = F.gaussian_nll_loss(np.zeros(2), np.array([1e-4, 1.0]), v, reduction="sum")
    assert math.isfinite(out.item())
    out.backward()
    assert v.grad.data[0] == 0.0  # clamped at eps: no gradient


# ---- binary ----------------------------------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(st.data())
def test_bce_with_logits_against_eq_5_20(data):
    shape = data.draw(shapes)
    f = data.draw(arrays(shape, -15, 15))
    y = data.draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([0.0, 1.0])))
    lam = special.expit(f)  # eq. 5.18
    book = -(1 - y) * np.log(1 - lam) - y * np.log(lam)
    reductions_agree(lambda r: F.binary_cross_entropy_with_logits(f, y, reduction=r), book)
    (g,) = check_grads(lambda a: F.binary_cross_entropy_with_logits(a, y, reduction="sum"), f)
    np.testing.assert_allclose(g * 0 + F.binary_cross_entropy_with_logits(f, y, reduction="none").data, book,
                               rtol=1e-10, atol=1e-12)


def test_bce_with_logits_is_exact_at_extreme_logits():
    f = tg.Tensor(np.array([1e4, 1e4, -1e4, -1e4, 0.0]), requires_grad=True)
    y = np.array([1.0, 0.0, 1.0, 0.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(f, y, reduction="none")
    np.testing.assert_array_equal(loss.data, [0.0, 1e4, 1e4, 0.0, np.log(2)])
    loss.sum().backward()
    np.testing.assert_array_equal(f.grad.data, special.expit(f.data) - y)  # GUIDE §7: sig(f) − y


def test_bce_on_probabilities_and_its_clamp():
    p, y = np.array([0.2, 0.9, 0.5]), np.array([0.0, 1.0, 1.0])
    expected = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    np.testing.assert_allclose(F.binary_cross_entropy(p, y, reduction="none").data, expected, rtol=1e-12)
    check_grads(lambda a: F.binary_cross_entropy(a, y, reduction="sum"), p)
    p0 = tg.Tensor([0.0, 1.0], requires_grad=True)
    clamped = F.binary_cross_entropy(p0, np.array([1.0, 0.0]), reduction="none")
    np.testing.assert_array_equal(clamped.data, [100.0, 100.0])  # logs clamped at −100, as PyTorch
    clamped.sum().backward()
    np.testing.assert_array_equal(p0.grad.data, [0.0, 0.0])  # no gradient where clamped (and no NaN)
    with pytest.raises(ValueError, match="probabilities"):
        F.binary_cross_entropy(np.array([1.5]), np.array([1.0]))
    w = np.array([1.0, 2.0, 0.5])
    np.testing.assert_allclose(nn.BCELoss(weight=w, reduction="sum")(p, y).item(), np.sum(w * expected))


# ---- multiclass ------------------------------------------------------------------------------------------


def eq_5_24(f, y):
    """−(f_y − log Σ_k e^{f_k}) per example, written with scipy."""
    return special.logsumexp(f, axis=1) - f[np.arange(len(y)), y]


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 5), st.integers(2, 6), st.integers(0, 10_000))
def test_cross_entropy_against_eq_5_24(n, k, seed):
    rng = np.random.default_rng(seed)
    f = rng.normal(0, 3, (n, k))
    y = rng.integers(0, k, n)
    reductions_agree(lambda r: F.cross_entropy(f, y, reduction=r), eq_5_24(f, y))
    check_grads(lambda a: F.cross_entropy(a, y, reduction="sum"), f)
    x = tg.Tensor(f, requires_grad=True)
    F.cross_entropy(x, y, reduction="sum").backward()
    np.testing.assert_allclose(x.grad.data, special.softmax(f, axis=1) - np.eye(k)[y], atol=1e-14)  # softmax − q


def test_cross_entropy_is_exact_at_extreme_logits():
    f = tg.Tensor(np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, -1e4], [1e4, 1e4, -1e4]]), requires_grad=True)
    y = np.array([0, 0, 1])
    loss = F.cross_entropy(f, y, reduction="none")
    # exact up to the rounding of numbers of size 1e4 (ulp ~ 2e-12)
    np.testing.assert_allclose(loss.data, [0.0, 2e4, np.log(2)], rtol=1e-15, atol=1e-11)
    loss.sum().backward()
    expected = special.softmax(f.data, axis=1) - np.eye(3)[y]
    assert np.all(np.isfinite(f.grad.data))
    np.testing.assert_allclose(f.grad.data, expected, atol=1e-15)


@pytest.mark.parametrize("k, rho", [(2, 0.1), (5, 0.2), (10, 0.05)])
def test_label_smoothing_book_and_torch_forms(k, rho):
    rng = np.random.default_rng(k)
    f, y = rng.standard_normal((4, k)), rng.integers(0, k, 4)
    log_p = special.log_softmax(f, axis=1)
    book_q = np.full((4, k), rho / (k - 1))  # section 9.3.4: true 1 − ρ, others ρ/(K − 1)
    book_q[np.arange(4), y] = 1 - rho
    torch_q = np.full((4, k), rho / k) + (1 - rho) * np.eye(k)[y]  # PyTorch: 1 − ε + ε/K, ε/K
    book = F.cross_entropy(f, y, label_smoothing=rho, smoothing="book", reduction="none").data
    torch = F.cross_entropy(f, y, label_smoothing=rho, smoothing="torch", reduction="none").data
    np.testing.assert_allclose(book, -(book_q * log_p).sum(1), rtol=1e-12)
    np.testing.assert_allclose(torch, -(torch_q * log_p).sum(1), rtol=1e-12)
    eps = rho * k / (k - 1)  # the forms coincide at ε = ρK/(K − 1)
    np.testing.assert_allclose(F.cross_entropy(f, y, label_smoothing=eps, reduction="none").data, book, rtol=1e-12)
    # logit gradient = softmax − q (GUIDE §9)
    x = tg.Tensor(f, requires_grad=True)
    F.cross_entropy(x, y, label_smoothing=rho, smoothing="book", reduction="sum").backward()
    np.testing.assert_allclose(x.grad.data, special.softmax(f, axis=1) - book_q, atol=1e-12)


def test_cross_entropy_with_probability_targets():
    rng = np.random.default_rng(1)
    f = rng.standard_normal((3, 4))
    q = special.softmax(rng.standard_normal((3, 4)), axis=1)
    expected = -(q * special.log_softmax(f, axis=1)).sum(1)
    np.testing.assert_allclose(F.cross_entropy(f, q, reduction="none").data, expected, rtol=1e-12)
    smoothed = q * 0.9 + 0.1 / 4
    np.testing.assert_allclose(F.cross_entropy(f, q, label_smoothing=0.1, reduction="none").data,
                               -(smoothed * special.log_softmax(f, axis=1)).sum(1), rtol=1e-12)
    check_grads(lambda a, b: F.cross_entropy(a, b, reduction="sum"), f, q)


def test_cross_entropy_class_axis_layouts():
    rng = np.random.default_rng(2)
    f = rng.standard_normal((2, 3, 5))  # (N, K, d) as PyTorch
    y = rng.integers(0, 3, (2, 5))
    flat_f = np.moveaxis(f, 1, -1).reshape(-1, 3)
    expected = eq_5_24(flat_f, y.ravel()).reshape(2, 5)
    np.testing.assert_allclose(F.cross_entropy(f, y, reduction="none").data, expected, rtol=1e-12)
    tokens = np.moveaxis(f, 1, -1)  # (N, T, K) with axis=-1
    np.testing.assert_allclose(F.cross_entropy(tokens, y, axis=-1, reduction="none").data, expected, rtol=1e-12)
    single = F.cross_entropy(f[0, :, 0], np.array(y[0, 0]), reduction="none").item()  # (K,) logits
    assert single == pytest.approx(expected[0, 0])


def test_cross_entropy_weights_and_ignore_index():
    rng = np.random.default_rng(3)
    f, y = rng.standard_normal((6, 3)), np.array([0, 1, 2, 2, -100, 1])
    w = np.array([1.0, 2.0, 0.5])
    kept = y != -100
    per = eq_5_24(f[kept], y[kept])
    expected = np.sum(w[y[kept]] * per) / np.sum(w[y[kept]])  # PyTorch's weighted mean
    got = F.cross_entropy(f, y, weight=w, ignore_index=-100)
    assert got.item() == pytest.approx(expected, rel=1e-12)
    none = F.cross_entropy(f, y, ignore_index=-100, reduction="none").data
    assert none[4] == 0 and np.allclose(none[kept], per)
    check_grads(lambda a: F.cross_entropy(a, y, weight=w, ignore_index=-100), f)


def test_nll_loss_on_log_softmax_equals_cross_entropy():
    rng = np.random.default_rng(4)
    f, y = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    assert F.nll_loss(F.log_softmax(f, 1), y).item() == pytest.approx(F.cross_entropy(f, y).item(), rel=1e-12)
    assert nn.NLLLoss(reduction="sum")(F.log_softmax(f, 1), y).item() == pytest.approx(eq_5_24(f, y).sum())


def test_cross_entropy_errors():
    f = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"0..2 \(0-based"):
        F.cross_entropy(f, np.array([0, 3]))
    with pytest.raises(tg.ShapeError, match=r"targets of shape \(2,\)"):
        F.cross_entropy(f, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="smoothing"):
        F.cross_entropy(f, np.array([0, 1]), label_smoothing=0.1, smoothing="other")
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(f, np.array([0, 1]), reduction="average")
    with pytest.raises(ValueError, match="not supported"):
        F.cross_entropy(f, np.array([0, 1]), weight=np.ones(3), label_smoothing=0.1)


# ---- counts, angles, mixtures ----------------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(arrays(st.integers(1, 6), -3, 3), st.integers(0, 10_000))
def test_poisson_nll_against_eq_5_36(log_rate, seed):
    y = np.random.default_rng(seed).integers(0, 12, log_rate.shape).astype(np.float64)
    expected = -stats.poisson.logpmf(y, np.exp(log_rate))
    reductions_agree(lambda r: F.poisson_nll_loss(log_rate, y, reduction=r), expected)
    rate = np.exp(log_rate)
    np.testing.assert_allclose(F.poisson_nll_loss(rate, y, log_input=False, eps=0, reduction="none").data,
                               expected, rtol=1e-10)
    np.testing.assert_allclose(F.poisson_nll_loss(log_rate, y, full=False, reduction="none").data,
                               expected - special.gammaln(y + 1), rtol=1e-10, atol=1e-12)
    check_grads(lambda a: F.poisson_nll_loss(a, y, reduction="sum"), log_rate)
    with pytest.raises(ValueError, match="counts"):
        F.poisson_nll_loss(log_rate, -np.ones_like(y))


@settings(max_examples=20, deadline=None)
@given(arrays(4, -np.pi, np.pi), arrays(4, 0.05, 50), arrays(4, -np.pi, np.pi))
def test_von_mises_nll_against_eq_5_34(mu, kappa, y):
    expected = -stats.vonmises.logpdf(y, kappa, loc=mu)
    reductions_agree(lambda r: F.von_mises_nll_loss(mu, tg.Tensor(kappa), y, reduction=r), expected)
    check_grads(lambda m, k: F.von_mises_nll_loss(m, k, y, reduction="sum"), mu, kappa)


def test_von_mises_is_finite_and_right_for_large_concentrations():
    kappa = np.array([800.0, 1e4, 1e6])
    with np.errstate(over="ignore"):
        assert np.isinf(np.i0(800.0))  # the naive log(I0(κ)) overflows
    # asymptotic series: log I0(κ) = κ − ½ log(2πκ) + log(1 + 1/(8κ) + 9/(128κ²) + ...)
    asym = kappa - 0.5 * np.log(2 * np.pi * kappa) + np.log1p(1 / (8 * kappa) + 9 / (128 * kappa ** 2))
    np.testing.assert_allclose(F.log_i0(kappa).data, asym, rtol=1e-12)
    k = tg.Tensor(kappa, requires_grad=True)
    loss = F.von_mises_nll_loss(np.zeros(3), k, np.full(3, 0.01), reduction="sum")
    assert math.isfinite(loss.item())
    loss.backward()
    # d/dκ [log I0(κ) − κ cos(y − µ)] = I1/I0 − cos(y − µ), with I1/I0 ≈ 1 − 1/(2κ) − 1/(8κ²)
    np.testing.assert_allclose(k.grad.data, 1 - 1 / (2 * kappa) - 1 / (8 * kappa ** 2) - np.cos(0.01), atol=1e-9)


def bessel_ratio(x):
    return special.iv(1, x) / special.iv(0, x)


def test_log_i0_first_second_and_third_derivatives():
    kappa = np.array([0.0, 1e-6, 0.3, 2.0, 7.5, 40.0, -1.7])
    k = tg.Tensor(kappa, requires_grad=True)
    (d1,) = tg.grad(F.log_i0(k).sum(), [k], create_graph=True)
    np.testing.assert_allclose(d1.data, bessel_ratio(kappa), rtol=1e-12, atol=1e-300)  # d log I0 = I1/I0
    (d2,) = tg.grad(d1.sum(), [k], create_graph=True)
    h = 1e-6
    d2_fd = (bessel_ratio(kappa + h) - bessel_ratio(kappa - h)) / (2 * h)
    np.testing.assert_allclose(d2.data, d2_fd, rtol=1e-6, atol=1e-9)
    assert d2.data[0] == 0.5  # the limit at κ = 0
    (d3,) = tg.grad(d2.sum(), [k])
    h = 1e-4
    d3_fd = (bessel_ratio(kappa + 2 * h) - 2 * bessel_ratio(kappa) + bessel_ratio(kappa - 2 * h)) / (4 * h * h)
    np.testing.assert_allclose(d3.data, d3_fd, rtol=1e-5, atol=1e-6)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 10_000))
def test_gaussian_mixture_nll(n, k, seed):
    rng = np.random.default_rng(seed)
    logits, means = rng.standard_normal((n, k)), rng.normal(0, 2, (n, k))
    var, y = rng.uniform(0.2, 2, (n, k)), rng.normal(0, 2, n)
    lam = special.softmax(logits, axis=1)
    density = np.sum(lam * stats.norm.pdf(y[:, None], means, np.sqrt(var)), axis=1)
    reductions_agree(lambda r: F.gaussian_mixture_nll_loss(logits, means, var, y, reduction=r), -np.log(density))
    check_grads(lambda a, b, c: F.gaussian_mixture_nll_loss(a, b, c, y, reduction="sum"), logits, means, var)


def test_two_component_mixture_is_eq_5_35_and_survives_far_targets():
    f, y = 0.4, np.array([0.3, 150.0])
    lam = special.expit(f)
    means, var = np.array([[-1.0, 2.0]] * 2), np.array([[0.5, 1.5]] * 2)
    logits = np.array([[f, 0.0]] * 2)  # softmax([f, 0]) = [sig f, 1 − sig f]
    got = F.gaussian_mixture_nll_loss(logits, means, var, y, reduction="none").data
    direct = -np.log(lam * stats.norm.pdf(0.3, -1, np.sqrt(0.5)) + (1 - lam) * stats.norm.pdf(0.3, 2, np.sqrt(1.5)))
    assert got[0] == pytest.approx(direct, rel=1e-12)
    # at y = 150 both densities underflow to 0; the log-sum-exp form stays finite and exact
    far = -special.logsumexp(np.log([lam, 1 - lam]) + stats.norm.logpdf(150.0, [-1, 2], np.sqrt([0.5, 1.5])))
    assert stats.norm.pdf(150.0, 2, np.sqrt(1.5)) == 0.0
    assert got[1] == pytest.approx(far, rel=1e-12)


@pytest.mark.parametrize("mq, vq, mp, vp", [(0.3, 0.5, 0.0, 1.0), (-1.0, 2.0, 0.5, 0.3), (2.0, 1.0, 2.0, 1.0)])
def test_kl_between_normals_against_numerical_integration(mq, vq, mp, vp):
    q, p = stats.norm(mq, np.sqrt(vq)), stats.norm(mp, np.sqrt(vp))
    numeric, _ = integrate.quad(lambda x: q.pdf(x) * (q.logpdf(x) - p.logpdf(x)), -30, 30)  # eq. 5.27
    got = F.kl_normal(np.array([mq]), np.array([vq]), mp, vp, reduction="sum").item()
    assert got == pytest.approx(numeric, abs=1e-9)


def test_kl_to_the_standard_normal_is_the_vae_term_and_its_gradient():
    mu, var = np.array([0.5, -1.0, 0.0]), np.array([0.3, 2.0, 1.0])
    expected = 0.5 * (var + mu ** 2 - 1 - np.log(var))
    np.testing.assert_allclose(F.kl_normal(mu, var, reduction="none").data, expected, rtol=1e-12)
    check_grads(lambda m, v: F.kl_normal(m, v, reduction="sum"), mu, var)
    with pytest.raises(ValueError, match="var_q must be positive"):
        F.kl_normal(mu, -var)


def test_loss_modules_pass_their_settings():
    f, y = np.array([[2.0, -1.0]]), np.array([1])
    assert nn.CrossEntropyLoss(label_smoothing=0.2, smoothing="book")(f, y).item() == pytest.approx(
        F.cross_entropy(f, y, label_smoothing=0.2, smoothing="book").item())
    assert repr(nn.MSELoss(reduction="sum")) == "MSELoss(reduction='sum')"
    assert nn.BCEWithLogitsLoss()(np.array([0.0]), np.array([1.0])).item() == pytest.approx(np.log(2))


@pytest.mark.parametrize("fn, args", [
    (F.mse_loss, (np.zeros(2), np.zeros(3))),
    (F.binary_cross_entropy_with_logits, (np.zeros((2, 1)), np.zeros(2))),
    (F.poisson_nll_loss, (np.zeros(2), np.zeros((1, 2)))),
])
def test_shape_mismatches_are_errors_not_broadcasts(fn, args):
    with pytest.raises(tg.ShapeError, match="must be equal"):
        fn(*args)


# ---- the library's gradient checker (first and second order, float64) -----------------------------------

def _loss_cases():
    rng = np.random.default_rng(5)
    f, y = rng.standard_normal((4, 3)), rng.integers(0, 3, 4)
    pos = rng.uniform(0.3, 2.0, (4, 3))
    angles = rng.uniform(-3, 3, (4, 3))
    return {
        "mse": (lambda a: F.mse_loss(a, f * 0.5), [f]),
        "gaussian_nll": (lambda a, v: F.gaussian_nll_loss(a, f * 0.5, v), [f, pos]),
        "bce_logits": (lambda a: F.binary_cross_entropy_with_logits(a, (f > 0) * 1.0), [f]),
        "bce_probs": (lambda a: F.binary_cross_entropy(a, (f > 0) * 1.0), [pos / 2.5]),
        "cross_entropy": (lambda a: F.cross_entropy(a, y, label_smoothing=0.1, smoothing="book"), [f]),
        "poisson": (lambda a: F.poisson_nll_loss(a, np.floor(pos * 3)), [f]),
        "von_mises": (lambda m, k: F.von_mises_nll_loss(m, k, angles), [angles * 0.5, pos * 5]),
        "mixture": (lambda a, m, v: F.gaussian_mixture_nll_loss(a, m, v, f[:, 0]), [f, angles, pos]),
        "kl_normal": (lambda m, v: F.kl_normal(m, v, angles * 0.1, pos[::-1]), [f, pos]),
    }


@pytest.mark.parametrize("name", sorted(_loss_cases()))
def test_gradcheck_losses_first_and_second_order(name):
    fn, arrays = _loss_cases()[name]
    report = gradcheck(fn, [tg.Tensor(a, requires_grad=True) for a in arrays], order=2)
    assert report.ok, str(report)


def test_primitives_of_this_module_pass_the_op_sweep():
    results = check_primitives(["log_i0", "bessel_ratio"], order=2)
    assert [r.status for r in results] == ["ok", "ok"]
