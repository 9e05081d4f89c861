"""Dropout (section 9.3.3): inverted and book scaling, explicit rng, channel dropout, gradients."""
import numpy as np
import pytest

import tinygrad_udl as tg
from tinygrad_udl import nn
from tinygrad_udl.gradcheck import gradcheck
from tinygrad_udl.nn import functional as F


def test_eval_mode_is_identity_inverted_and_weight_scaling_for_the_book():
    x = tg.Tensor(np.arange(1.0, 7.0))
    inverted, book = nn.Dropout(0.3).eval(), nn.Dropout(0.3, mode="book").eval()
    assert inverted(x) is x
    np.testing.assert_allclose(book(x).data, 0.7 * np.arange(1.0, 7.0))  # multiply by (1 − p)


@pytest.mark.parametrize("mode, scale", [("inverted", 1 / (1 - 0.25)), ("book", 1.0)])
def test_training_zeros_a_fraction_p_and_scales_the_rest(mode, scale):
    n = 40_000
    out = nn.Dropout(0.25, mode=mode, rng=0)(tg.ones(n, dtype=np.float64)).data
    zeros = np.sum(out == 0)
    # binomial(n, 0.25): standard deviation ~87; allow 5 of them
    assert abs(zeros - 0.25 * n) < 5 * np.sqrt(n * 0.25 * 0.75)
    np.testing.assert_allclose(out[out != 0], scale)


@pytest.mark.parametrize("mode", ["inverted", "book"])
def test_train_and_test_outputs_have_the_same_expectation(mode):
    layer = nn.Dropout(0.5, mode=mode, rng=1)
    x = tg.Tensor(np.linspace(1, 2, 5))
    train_mean = np.mean([layer(x).data for _ in range(4000)], axis=0)
    test_out = layer.eval()(x).data
    np.testing.assert_allclose(train_mean, test_out, rtol=0.06)


def test_masks_come_from_the_given_rng():
    x = tg.ones(100)
    a = F.dropout(x, 0.5, rng=np.random.default_rng(5)).data
    b = F.dropout(x, 0.5, rng=np.random.default_rng(5)).data
    c = F.dropout(x, 0.5, rng=np.random.default_rng(6)).data
    np.testing.assert_array_equal(a, b)
    assert np.any(a != c)
    tg.manual_seed(9)
    d = F.dropout(x, 0.5).data
    tg.manual_seed(9)
    np.testing.assert_array_equal(d, F.dropout(x, 0.5).data)
    m1, m2 = nn.Dropout(0.5, rng=3), nn.Dropout(0.5, rng=3)
    np.testing.assert_array_equal(m1(x).data, m2(x).data)


def test_gradient_is_the_mask_times_the_scale():
    x = tg.Tensor(np.linspace(1, 2, 50), requires_grad=True)
    out = F.dropout(x, 0.4, rng=np.random.default_rng(2))
    out.sum().backward()
    mask = out.data / x.data  # 0 where dropped, 1/(1 − p) where kept
    np.testing.assert_allclose(x.grad.data, mask)
    assert set(np.round(mask, 12)) == {0.0, round(1 / 0.6, 12)}


def test_channel_dropout_zeros_whole_channels():
    x = tg.ones(8, 6, 5, 4)
    out = nn.Dropout2d(0.5, rng=0)(x).data
    per_channel = out.reshape(8, 6, -1)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2.0).all(-1))
    assert 0 < np.sum((per_channel == 0).all(-1)) < 48
    with pytest.raises(ValueError, match="at least 2 axes"):
        F.dropout_channels(tg.ones(3), 0.5)


def test_edge_probabilities_and_errors():
    x = tg.Tensor(np.arange(1.0, 5.0))
    assert F.dropout(x, 0.0) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).data, 0)
    np.testing.assert_array_equal(F.dropout(x, 0.5, training=False).data, x.data)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="mode"):
        nn.Dropout(0.5, mode="gaussian")
    assert repr(nn.Dropout(0.2, mode="book")) == "Dropout(p=0.2, mode='book')"


def test_float32_stays_float32():
    assert F.dropout(tg.ones(4), 0.5, rng=np.random.default_rng(0)).dtype == np.float32


@pytest.mark.parametrize("fn", [F.dropout, F.dropout_channels])
def test_gradcheck_with_a_frozen_mask(fn):
    x = tg.Tensor(np.random.default_rng(0).standard_normal((3, 4, 2)), requires_grad=True)
    report = gradcheck(lambda t: fn(t, 0.5, rng=np.random.default_rng(7)), [x], order=2)
    assert report.ok, str(report)
