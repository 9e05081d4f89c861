"""Categorical and Bernoulli: log_prob against scipy's pmfs, entropy against scipy, sample
frequencies, stability from large logits, and gradients against central differences."""
import numpy as np
import pytest
from distributions_testing import assert_grads_match, weights
from hypothesis import given
from hypothesis import strategies as st
from scipy import special, stats

import tinygrad_udl as tg
from tinygrad_udl.distributions import Bernoulli, Categorical

seeds = st.integers(0, 2**32 - 1)


def dirichlet(seed, shape, k):
    return np.random.default_rng(seed).dirichlet(np.ones(k), size=shape)


def one_hot(index, k):
    return np.eye(k)[index]


# ---- Categorical ------------------------------------------------------------------------------------


@given(seeds, st.integers(1, 6))
def test_categorical_log_prob_from_probs_matches_the_scipy_pmf(seed, k):
    probs = dirichlet(seed, (3,), k)
    value = np.random.default_rng(seed + 1).integers(0, k, size=(2, 3))
    got = Categorical(probs=probs).log_prob(value)
    assert got.shape == (2, 3)
    expected = [[stats.multinomial(1, probs[j]).logpmf(one_hot(value[i, j], k)) for j in range(3)] for i in range(2)]
    np.testing.assert_allclose(got.data, expected, rtol=1e-10)


@given(seeds, st.integers(1, 6), st.floats(0.1, 30))
def test_categorical_log_prob_from_logits_matches_the_softmax_pmf(seed, k, spread):
    logits = spread * np.random.default_rng(seed).standard_normal((3, k))
    value = np.random.default_rng(seed + 1).integers(0, k, size=3)
    expected = [stats.multinomial(1, special.softmax(logits[j])).logpmf(one_hot(value[j], k)) for j in range(3)]
    np.testing.assert_allclose(Categorical(logits=logits).log_prob(value).data, expected, rtol=1e-6, atol=1e-9)


@given(seeds, st.integers(1, 6))
def test_categorical_entropy_matches_scipy(seed, k):
    probs = dirichlet(seed, (2,), k)
    np.testing.assert_allclose(Categorical(probs=probs).entropy().data, stats.entropy(probs, axis=-1), rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_allclose(Categorical(logits=np.log(probs)).entropy().data, stats.entropy(probs, axis=-1),
                               rtol=1e-9, atol=1e-12)


def test_categorical_with_zero_probabilities():
    d = Categorical(probs=np.array([0.0, 0.25, 0.75, 0.0]))
    assert d.log_prob(0).item() == -np.inf
    np.testing.assert_allclose(d.entropy().item(), stats.entropy([0.25, 0.75]))
    counts = np.bincount(d.sample(10_000, rng=0).data, minlength=4)
    assert counts[0] == counts[3] == 0


def test_categorical_logits_of_minus_infinity_mask_a_category():
    d = Categorical(logits=np.array([0.0, -np.inf, 0.0]))
    np.testing.assert_allclose(d.probs.data, [0.5, 0.0, 0.5])
    assert d.log_prob(1).item() == -np.inf
    np.testing.assert_allclose(d.entropy().item(), np.log(2))
    assert 1 not in d.sample(1000, rng=0).data


def test_categorical_from_huge_logits_stays_finite():
    logits = tg.Tensor(np.array([[1e4, -1e4, 0.0], [5e3, 5e3, -5e3]]), requires_grad=True)
    d = Categorical(logits=logits)
    lp = d.log_prob([1, 0])
    np.testing.assert_allclose(lp.data, [-2e4, -np.log(2)], rtol=1e-12)
    (lp.sum() + d.entropy().sum()).backward()
    assert np.isfinite(logits.grad.data).all()


def test_categorical_sample_frequencies_match_probs():
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.3, 0.2]])
    n = 40_000
    x = Categorical(probs=probs).sample((n,), rng=1)
    assert x.shape == (n, 2) and x.dtype == np.int64 and not x.requires_grad
    freq = np.stack([np.bincount(x.data[:, j], minlength=3) / n for j in range(2)])
    np.testing.assert_allclose(freq, probs, atol=5 * np.sqrt(0.25 / n))
    np.testing.assert_array_equal(Categorical(probs=probs).sample(7, rng=5).data,
                                  Categorical(probs=probs).sample(7, rng=5).data)


def test_categorical_log_prob_and_entropy_gradients_match_finite_differences():
    value = np.array([2, 0, 1])
    w = weights(3)
    assert_grads_match(lambda z: (Categorical(logits=z).log_prob(value) * w).sum(), weights((3, 4), seed=1))
    assert_grads_match(lambda z: (Categorical(logits=z).entropy() * w).sum(), weights((3, 4), seed=2))


def test_categorical_gradients_with_respect_to_probs_are_the_closed_forms():
    probs = tg.Tensor(np.array([0.0, 0.25, 0.75]), requires_grad=True)
    d = Categorical(probs=probs)
    d.log_prob(2).backward()
    np.testing.assert_allclose(probs.grad.data, [0.0, 0.0, 1 / 0.75])  # d log λ_2 / dλ = e_2 / λ_2
    probs.grad = None
    d.entropy().backward()  # d(-Σ λ log λ)/dλ_k = -(log λ_k + 1) where λ_k > 0; 0 log 0 contributes nothing
    np.testing.assert_allclose(probs.grad.data, [0.0, -(np.log(0.25) + 1), -(np.log(0.75) + 1)])


def test_categorical_shapes_and_moments():
    d = Categorical(logits=np.zeros((2, 3, 5)))
    assert (d.batch_shape, d.event_shape, d.num_categories) == ((2, 3), (), 5)
    assert d.sample((4,), rng=0).shape == (4, 2, 3)
    assert d.log_prob(np.zeros((7, 1, 1), np.int64)).shape == (7, 2, 3)
    assert np.isnan(d.mean.data).all() and d.mean.shape == (2, 3) and np.isnan(d.variance.data).all()
    np.testing.assert_array_equal(Categorical(probs=np.array([0.2, 0.5, 0.3])).mode.data, 1)


def test_categorical_bad_arguments():
    with pytest.raises(ValueError, match="Categorical: give exactly one of probs= or logits=, got neither"):
        Categorical()
    with pytest.raises(ValueError, match="got probs= and logits="):
        Categorical(probs=[1.0], logits=[0.0])
    with pytest.raises(ValueError, match="Categorical: probs must sum to 1"):
        Categorical(probs=[0.5, 0.6])
    with pytest.raises(ValueError, match=r"Categorical: probs must lie in \[0, 1\], got -0.5 at index \[1\]"):
        Categorical(probs=[0.5, -0.5, 1.0])
    with pytest.raises(ValueError, match=r"Categorical: logits must be finite, or -inf .* got inf at index \[1\]"):
        Categorical(logits=[0.0, np.inf])
    with pytest.raises(ValueError, match=r"all logits are -inf at batch index \[1\]"):
        Categorical(logits=[[0.0, -np.inf], [-np.inf, -np.inf]])
    with pytest.raises(ValueError, match="needs a last axis of K >= 1 categories"):
        Categorical(logits=2.0)
    with pytest.raises(ValueError, match=r"Categorical.log_prob: the value must be a category index in 0..2, got 3"):
        Categorical(logits=np.zeros(3)).log_prob([0, 3])
    with pytest.raises(ValueError, match="category index"):
        Categorical(logits=np.zeros(3)).log_prob(0.5)
    with pytest.raises(ValueError, match=r"value \(2,\), batch_shape \(3,\)"):
        Categorical(logits=np.zeros((3, 4))).log_prob([0, 1])
    with pytest.raises(NotImplementedError, match="Categorical has no reparameterised sample"):
        Categorical(logits=np.zeros(3)).rsample()


# ---- Bernoulli --------------------------------------------------------------------------------------


@given(st.lists(st.floats(0, 1), min_size=3, max_size=3), seeds)
def test_bernoulli_log_prob_from_probs_matches_scipy(probs, seed):
    probs = np.array(probs)
    y = np.random.default_rng(seed).integers(0, 2, size=(4, 3))
    with np.errstate(divide="ignore"):
        expected = stats.bernoulli(probs).logpmf(y)
    np.testing.assert_allclose(Bernoulli(probs=probs).log_prob(y).data, expected, rtol=1e-10)


@given(st.lists(st.floats(-15, 15), min_size=3, max_size=3), seeds)
def test_bernoulli_log_prob_from_logits_matches_scipy(logits, seed):
    # scipy evaluates log(1 - sig z), which loses digits as z grows; huge logits are checked below.
    logits = np.array(logits)
    y = np.random.default_rng(seed).integers(0, 2, size=3).astype(np.float64)
    expected = stats.bernoulli(special.expit(logits)).logpmf(y)
    np.testing.assert_allclose(Bernoulli(logits=logits).log_prob(y).data, expected, rtol=1e-7, atol=1e-12)


@given(st.lists(st.floats(0, 1), min_size=3, max_size=3))
def test_bernoulli_entropy_matches_scipy(probs):
    probs = np.array(probs)
    expected = stats.bernoulli(probs).entropy()
    np.testing.assert_allclose(Bernoulli(probs=probs).entropy().data, expected, rtol=1e-10, atol=1e-15)
    inner = (probs > 1e-6) & (probs < 1 - 1e-6)  # logits of 0 or 1 would be infinite
    np.testing.assert_allclose(Bernoulli(logits=special.logit(probs[inner])).entropy().data, expected[inner],
                               rtol=1e-7, atol=1e-12)


def test_bernoulli_from_huge_logits_is_exact():
    # log sig(z) = -log(1 + e^-z): np.logaddexp is the independent reference.
    z = tg.Tensor(np.array([-1e4, -40.0, 0.0, 40.0, 1e4]), requires_grad=True)
    d = Bernoulli(logits=z)
    np.testing.assert_allclose(d.log_prob(np.ones(5)).data, -np.logaddexp(0, -z.data), rtol=1e-12)
    np.testing.assert_allclose(d.log_prob(np.zeros(5)).data, -np.logaddexp(0, z.data), rtol=1e-12)
    (d.log_prob(np.ones(5)).sum() + d.entropy().sum()).backward()
    assert np.isfinite(z.grad.data).all()


def test_bernoulli_moments_samples_and_mode():
    probs = np.array([0.1, 0.5, 0.9])
    d = Bernoulli(probs=probs)
    np.testing.assert_array_equal(d.mean.data, probs)
    np.testing.assert_allclose(d.variance.data, probs * (1 - probs))
    np.testing.assert_array_equal(d.mode.data, [0.0, 0.0, 1.0])  # λ = 0.5 gives 0, as section 5.4 says
    x = d.sample((40_000,), rng=2)
    assert x.shape == (40_000, 3) and x.dtype == np.float64 and set(np.unique(x.data)) <= {0.0, 1.0}
    np.testing.assert_allclose(x.data.mean(0), probs, atol=5 * np.sqrt(0.25 / 40_000))
    np.testing.assert_array_equal(Bernoulli(probs=[0.0, 1.0]).sample(100, rng=0).data.mean(0), [0.0, 1.0])
    np.testing.assert_array_equal(d.sample(9, rng=8).data, d.sample(9, rng=8).data)


def test_bernoulli_logits_from_probs():
    logits = Bernoulli(probs=np.array([0.0, 0.25, 1.0])).logits
    np.testing.assert_allclose(logits.data, [-np.inf, np.log(1 / 3), np.inf])


def test_bernoulli_gradients_match_finite_differences():
    y = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    w = weights((2, 3))
    for param in ("logits", "probs"):
        start = np.array([0.3, 0.6, 0.8]) if param == "probs" else np.array([-2.0, 0.5, 3.0])
        assert_grads_match(lambda t: (Bernoulli(**{param: t}).log_prob(y) * w).sum(), start)
        assert_grads_match(lambda t: (Bernoulli(**{param: t}).entropy() * w[0]).sum(), start)


def test_bernoulli_bad_arguments():
    with pytest.raises(ValueError, match="Bernoulli: give exactly one of probs= or logits="):
        Bernoulli()
    with pytest.raises(ValueError, match=r"Bernoulli: probs must lie in \[0, 1\], got 1.5"):
        Bernoulli(probs=[0.5, 1.5])
    with pytest.raises(ValueError, match="Bernoulli: logits contains NaN"):
        Bernoulli(logits=[np.nan])
    with pytest.raises(ValueError, match="Bernoulli.log_prob: the value must be 0 or 1, got 2"):
        Bernoulli(probs=0.5).log_prob(2)
    with pytest.raises(ValueError, match=r"Bernoulli.log_prob: shapes do not broadcast"):
        Bernoulli(probs=np.full(3, 0.5)).log_prob(np.zeros(2))
