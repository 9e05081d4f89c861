"""Pooling, unpooling and upsampling (§10.4, figs. 10.11-10.12) against loop references."""
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tinygrad_udl import ShapeError, Tensor
from tinygrad_udl.nn.pooling import (AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d, MaxUnpool1d, MaxUnpool2d, Upsample,
                                     avg_pool1d, avg_pool2d, max_pool1d, max_pool2d, max_unpool1d, max_unpool2d,
                                     upsample)

from nn_layers_testing import assert_grads, distinct_values

MAX = {1: max_pool1d, 2: max_pool2d}
AVG = {1: avg_pool1d, 2: avg_pool2d}


def loop_pool(x, ks, stride, pad, dilation, reduce, pad_value):
    """Pool by the definition: for each window, reduce its taps; also the flat index (in the unpadded
    plane) of the first maximum, scanning the window in row-major order."""
    nd = len(ks)
    spatial = x.shape[2:]
    out = tuple((spatial[i] + 2 * pad[i] - dilation[i] * (ks[i] - 1) - 1) // stride[i] + 1 for i in range(nd))
    values = np.zeros(x.shape[:2] + out)
    index = np.zeros(x.shape[:2] + out, dtype=np.int64)
    for n, c in np.ndindex(*x.shape[:2]):
        for pos in np.ndindex(*out):
            taps, where = [], []
            for k in np.ndindex(*ks):
                coord = tuple(pos[i] * stride[i] - pad[i] + k[i] * dilation[i] for i in range(nd))
                inside = all(0 <= coord[i] < spatial[i] for i in range(nd))
                taps.append(x[(n, c) + coord] if inside else pad_value)
                where.append(np.ravel_multi_index(coord, spatial) if inside else -1)
            values[(n, c) + pos] = reduce(taps)
            index[(n, c) + pos] = where[int(np.argmax(taps))]
    return values, index


@st.composite
def pool_cases(draw, nd, dilated=True):
    ks = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    pad = tuple(draw(st.integers(0, k // 2)) for k in ks)
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd)) if dilated else (1,) * nd
    spatial = tuple(max(1, d * (k - 1) + 1 - 2 * p + draw(st.integers(0, 4))) for k, d, p in zip(ks, dilation, pad))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) + spatial
    return dict(ks=ks, stride=stride, pad=pad, dilation=dilation, shape=shape, seed=draw(st.integers(0, 2 ** 16)))


# ---- max pooling --------------------------------------------------------------------------------------


def _window(case):
    """The window arguments of `case`: kernel size, stride, padding, dilation."""
    return case["ks"], case["stride"], case["pad"], case["dilation"]


def _max_pool_problem(data, nd):
    """A case, its input (distinct values: no ties) and the loop's maxima and their indices; only
    cases whose every window holds an input element (a window of padding alone is an error, tested
    below)."""
    case = data.draw(pool_cases(nd))
    x = distinct_values(np.random.default_rng(case["seed"]), case["shape"])
    values, index = loop_pool(x, *_window(case), max, -np.inf)
    assume((index >= 0).all())
    return case, x, values, index


@pytest.mark.parametrize("nd", [1, 2])
@settings(max_examples=25)
@given(data=st.data())
def test_max_pool_values_and_indices_match_the_loop(nd, data):
    case, x, values, expected_index = _max_pool_problem(data, nd)
    out, index = MAX[nd](Tensor(x), *_window(case), return_indices=True)
    np.testing.assert_array_equal(out.data, values)
    np.testing.assert_array_equal(index.data, expected_index)


@pytest.mark.parametrize("nd", [1, 2])
@settings(max_examples=15)
@given(data=st.data())
def test_max_pool_gradient_away_from_ties(nd, data):
    case, x, _, _ = _max_pool_problem(data, nd)
    assert_grads(lambda x: MAX[nd](x, *_window(case)), x)


def test_max_pool_second_derivative():
    x = distinct_values(np.random.default_rng(0), (2, 2, 5, 4))
    assert_grads(lambda x: max_pool2d(x, 2, 1) ** 2, x, order=2)


def test_tie_sends_the_whole_gradient_to_the_first_maximum():
    # A kink on purpose: [3, 3 | 1, 3]: window 0 has a tie -> element 0; window 1's max is element 3.
    x = Tensor(np.array([[[3.0, 3.0, 1.0, 3.0]]]), requires_grad=True)
    max_pool1d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[[1.0, 0.0, 0.0, 1.0]]])
    # 2-D: row-major order inside the window decides; the all-equal window picks its top-left element.
    y = Tensor(np.full((1, 1, 2, 2), 5.0), requires_grad=True)
    out, index = max_pool2d(y, 2, return_indices=True)
    out.sum().backward()
    np.testing.assert_array_equal(y.grad.data, [[[[1.0, 0.0], [0.0, 0.0]]]])
    assert index.data.item() == 0


def test_overlapping_windows_choosing_one_element_add_their_gradients():
    x = Tensor(np.array([[[0.0, 5.0, 1.0, 2.0]]]), requires_grad=True)
    out = max_pool1d(x, 3, stride=1)  # windows [0,5,1] and [5,1,2] both choose element 1
    np.testing.assert_array_equal(out.data, [[[5.0, 5.0]]])
    (out * Tensor(np.array([[[2.0, 3.0]]]))).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[[0.0, 5.0, 0.0, 0.0]]])


def test_padding_never_wins_and_minus_infinity_inputs_are_handled():
    x = np.array([[[-1.0, -2.0, -3.0]]])
    out, index = max_pool1d(Tensor(x), 2, stride=2, padding=1, return_indices=True)
    np.testing.assert_array_equal(out.data, [[[-1.0, -2.0]]])  # windows [pad, -1] and [-2, -3]
    np.testing.assert_array_equal(index.data, [[[0, 1]]])
    inf = np.array([[[-np.inf, -np.inf, 4.0]]])
    out, index = max_pool1d(Tensor(inf), 2, stride=2, padding=1, return_indices=True)
    np.testing.assert_array_equal(out.data, [[[-np.inf, 4.0]]])
    np.testing.assert_array_equal(index.data, [[[0, 2]]])  # a real element, never the padding


def test_max_pool_errors():
    with pytest.raises(ValueError, match="half of kernel_size"):
        max_pool1d(Tensor(np.ones((1, 1, 6))), 2, padding=2)
    with pytest.raises(ShapeError, match="expected an input"):
        max_pool2d(Tensor(np.ones((6,))), 2)
    with pytest.raises(ValueError, match="padding only"):  # taps at -1 and 1 of a length-1 input
        max_pool1d(Tensor(np.ones((1, 1, 1))), 2, stride=1, padding=1, dilation=2)
    with pytest.raises(TypeError, match="floating-point"):
        max_pool1d(Tensor(np.ones((1, 1, 6), dtype=np.int64)), 2)


# ---- unpooling ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("nd", [1, 2])
@settings(max_examples=15)
@given(data=st.data())
def test_max_unpool_puts_each_maximum_back_in_place(nd, data):
    case = data.draw(pool_cases(nd, dilated=False))
    x = distinct_values(np.random.default_rng(case["seed"]), case["shape"])
    out, index = MAX[nd](Tensor(x), case["ks"], case["stride"], case["pad"], return_indices=True)
    unpool = {1: max_unpool1d, 2: max_unpool2d}[nd]
    back = unpool(out, index, case["ks"], case["stride"], case["pad"], output_size=x.shape)
    expected = np.zeros_like(x)
    for n, c in np.ndindex(*x.shape[:2]):
        chosen = np.unique(index.data[n, c])
        plane = expected[n, c].reshape(-1)
        plane[chosen] = x[n, c].reshape(-1)[chosen]  # PyTorch: write each maximum at its position
    np.testing.assert_array_equal(back.data, expected)
    assert_grads(lambda v: unpool(v, index, case["ks"], case["stride"], case["pad"], output_size=x.shape),
                 out.data)


def test_max_unpool_default_size_and_fig_10_12b():
    x = Tensor(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    index = np.array([[[[1, 2], [12, 15]]]])  # positions in a 4x4 plane
    out = max_unpool2d(x, index, 2)
    assert out.shape == (1, 1, 4, 4)  # (2-1)*2 + 2
    expected = np.zeros(16)
    expected[[1, 2, 12, 15]] = [1, 2, 3, 4]
    np.testing.assert_array_equal(out.data.reshape(-1), expected)
    # Overlapping windows that chose the same element: it is written once (not summed), and only the
    # first copy receives a gradient.
    x1 = Tensor(np.array([[[0.0, 5.0, 1.0, 2.0]]]))
    pooled, idx = max_pool1d(x1, 3, stride=1, return_indices=True)
    pooled = Tensor(pooled.data, requires_grad=True)
    back = max_unpool1d(pooled, idx, 3, stride=1, output_size=(4,))
    np.testing.assert_array_equal(back.data, [[[0.0, 5.0, 0.0, 0.0]]])
    (back * Tensor(np.array([[[1.0, 7.0, 1.0, 1.0]]]))).sum().backward()
    np.testing.assert_array_equal(pooled.grad.data, [[[7.0, 0.0]]])
    with pytest.raises(ValueError, match="outside the output plane"):
        max_unpool2d(x, index + 10, 2)
    with pytest.raises(ShapeError, match="indices"):
        max_unpool1d(Tensor(np.ones((1, 1, 2))), np.zeros((1, 1, 3), dtype=np.int64), 2)


# ---- mean pooling ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("nd", [1, 2])
@pytest.mark.parametrize("count_include_pad", [True, False])
@settings(max_examples=12)
@given(data=st.data())
def test_avg_pool_matches_the_loop_and_its_gradient(nd, count_include_pad, data):
    case = data.draw(pool_cases(nd, dilated=False))
    x = np.random.default_rng(case["seed"]).standard_normal(case["shape"])
    out = AVG[nd](Tensor(x), case["ks"], case["stride"], case["pad"], count_include_pad)
    if count_include_pad:
        reduce = lambda taps: np.mean(np.nan_to_num(taps, nan=0.0))  # noqa: E731 (padding counts as 0)
    else:
        reduce = lambda taps: np.nanmean(taps)  # noqa: E731 (padding left out)
    expected, _ = loop_pool(x, case["ks"], case["stride"], case["pad"], (1,) * nd, reduce, np.nan)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    assert_grads(lambda x: AVG[nd](x, case["ks"], case["stride"], case["pad"], count_include_pad), x)


def test_mean_pool_of_fig_10_11c():
    x = Tensor(np.array([[[[1.0, 3.0, 0.0, 0.0], [5.0, 7.0, 2.0, 2.0]]]]))
    np.testing.assert_array_equal(avg_pool2d(x, 2).data, [[[[4.0, 1.0]]]])


# ---- upsampling -----------------------------------------------------------------------------------------


def test_nearest_upsampling_duplicates_fig_10_12a():
    x = np.arange(6.0).reshape(1, 1, 2, 3)
    out = upsample(Tensor(x), scale_factor=2)
    np.testing.assert_array_equal(out.data, np.repeat(np.repeat(x, 2, axis=2), 2, axis=3))
    # With a size, PyTorch's rule: source index floor(dst * in / out).
    out = upsample(Tensor(np.arange(4.0).reshape(1, 1, 4)), size=6)
    np.testing.assert_array_equal(out.data[0, 0], [0, 0, 1, 2, 2, 3])


def test_linear_upsampling_values_as_pytorch():
    x = Tensor(np.arange(4.0).reshape(1, 1, 4))
    # PyTorch: F.interpolate(torch.arange(4.).view(1,1,4), scale_factor=2, mode='linear')
    np.testing.assert_allclose(upsample(x, scale_factor=2, mode="linear").data[0, 0],
                               [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3])
    np.testing.assert_allclose(upsample(x, size=7, mode="linear", align_corners=True).data[0, 0],
                               np.linspace(0, 3, 7))


@settings(max_examples=20)
@given(h=st.integers(1, 5), w=st.integers(1, 5), oh=st.integers(1, 9), ow=st.integers(1, 9), align=st.booleans(),
       coef=st.tuples(*[st.floats(-2, 2)] * 4))
def test_bilinear_reproduces_bilinear_functions_exactly(h, w, oh, ow, align, coef):
    # Bilinear interpolation is exact for f(i, j) = a + b i + c j + d i j, evaluated at the source
    # coordinates (clamped to the grid), with PyTorch's coordinate rules.
    a, b, c, d = coef
    f = lambda i, j: a + b * i + c * j + d * i * j  # noqa: E731
    i, j = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    out = upsample(Tensor(f(i, j)[None, None]), size=(oh, ow), mode="bilinear", align_corners=align).data[0, 0]

    def source(n_in, n_out):
        dst = np.arange(n_out)
        if align:
            return dst * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
        return np.clip((dst + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)

    si, sj = np.meshgrid(source(h, oh), source(w, ow), indexing="ij")
    np.testing.assert_allclose(out, f(si, sj), atol=1e-12)


def test_upsampling_gradients_and_errors():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 2, 3, 4))
    assert_grads(lambda x: upsample(x, scale_factor=(2, 1.5), mode="bilinear").tanh(), x, order=2)
    assert_grads(lambda x: upsample(x, size=(5, 7)), x)
    assert_grads(lambda x: upsample(x, scale_factor=3, mode="linear"), rng.standard_normal((2, 1, 3)))
    with pytest.raises(ShapeError, match="bilinear"):
        upsample(Tensor(np.ones((1, 1, 4))), scale_factor=2, mode="bilinear")
    with pytest.raises(ValueError, match="exactly one"):
        upsample(Tensor(np.ones((1, 1, 4))))
    with pytest.raises(ValueError, match="align_corners"):
        upsample(Tensor(np.ones((1, 1, 4))), scale_factor=2, align_corners=True)


# ---- modules ------------------------------------------------------------------------------------------


def test_modules_wrap_the_functions():
    rng = np.random.default_rng(2)
    x = distinct_values(rng, (2, 3, 6, 6))
    pool = MaxPool2d(2, return_indices=True)
    out, index = pool(Tensor(x))
    np.testing.assert_array_equal(out.data, max_pool2d(Tensor(x), 2).data)
    np.testing.assert_array_equal(MaxUnpool2d(2)(out, index).data, max_unpool2d(out, index, 2).data)
    np.testing.assert_array_equal(AvgPool2d(3, 1, 1)(Tensor(x)).data, avg_pool2d(Tensor(x), 3, 1, 1).data)
    x1 = x[:, :, 0]
    np.testing.assert_array_equal(MaxPool1d(3, 2)(Tensor(x1)).data, max_pool1d(Tensor(x1), 3, 2).data)
    np.testing.assert_array_equal(AvgPool1d(2)(Tensor(x1)).data, avg_pool1d(Tensor(x1), 2).data)
    o1, i1 = max_pool1d(Tensor(x1), 2, return_indices=True)
    np.testing.assert_array_equal(MaxUnpool1d(2)(o1, i1).data, max_unpool1d(o1, i1, 2).data)
    assert Upsample(scale_factor=2, mode="bilinear")(Tensor(x)).shape == (2, 3, 12, 12)
    assert MaxPool2d(2).num_parameters() == 0
    assert max_pool2d(Tensor(x[0]), 2).shape == (3, 3, 3)  # unbatched (C, H, W)
    assert math.isclose(float(avg_pool2d(Tensor(np.ones((1, 1, 4, 4), np.float32)), 2).data.sum()), 4.0)
