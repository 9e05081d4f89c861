"""Convolutions (chapter 10): im2col / col2im primitives, conv1d/2d, transposed convolutions, modules.

References are direct loops over output positions written here (the definition, eqs. 10.3-10.6),
never the code under test; gradients are checked against central differences in float64.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_udl import ShapeError, Tensor
from tinygrad_udl.autograd.tensor import apply
from tinygrad_udl.nn.activation import ReLU
from tinygrad_udl.nn.conv import (COL2IM, IM2COL, Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d, conv1d,
                                  conv2d, conv_output_size, conv_transpose1d, conv_transpose2d, fold, unfold)
from tinygrad_udl.nn.linear import Flatten, Linear
from tinygrad_udl.nn.module import Sequential

from nn_layers_testing import assert_grads, assert_module_grads

# ---- independent references ------------------------------------------------------------------------


def loop_conv(x, w, b, stride, pads, dilation, groups):
    """Cross-correlation by the definition: one output element at a time (any number of spatial axes)."""
    n, c_in = x.shape[:2]
    c_out, c_group = w.shape[:2]
    ks = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple(pads))
    out_shape = tuple((xp.shape[2 + i] - dilation[i] * (ks[i] - 1) - 1) // stride[i] + 1 for i in range(len(ks)))
    y = np.zeros((n, c_out) + out_shape)
    per_group = c_out // groups
    for b_i in range(n):
        for o in range(c_out):
            g = o // per_group
            for pos in np.ndindex(*out_shape):
                acc = 0.0 if b is None else b[o]
                for c in range(c_group):
                    for k in np.ndindex(*ks):
                        idx = tuple(pos[i] * stride[i] + k[i] * dilation[i] for i in range(len(ks)))
                        acc += w[(o, c) + k] * xp[(b_i, g * c_group + c) + idx]
                y[(b_i, o) + pos] = acc
    return y


def loop_conv_transpose(x, w, b, stride, padding, output_padding, dilation, groups):
    """Transposed convolution by scattering: every input element adds w-weighted copies (fig. 10.13)."""
    n, c_in = x.shape[:2]
    c_out_group = w.shape[1]
    ks = w.shape[2:]
    nd = len(ks)
    full = tuple((x.shape[2 + i] - 1) * stride[i] + dilation[i] * (ks[i] - 1) + 1 + output_padding[i]
                 for i in range(nd))
    y = np.zeros((n, c_out_group * groups) + full)
    in_group = c_in // groups
    for b_i in range(n):
        for c in range(c_in):
            g = c // in_group
            for pos in np.ndindex(*x.shape[2:]):
                for o in range(c_out_group):
                    for k in np.ndindex(*ks):
                        idx = tuple(pos[i] * stride[i] + k[i] * dilation[i] for i in range(nd))
                        y[(b_i, g * c_out_group + o) + idx] += x[(b_i, c) + pos] * w[(c, o) + k]
    crop = tuple(slice(p, f - p) for p, f in zip(padding, full))
    y = y[(slice(None), slice(None)) + crop]
    return y if b is None else y + b.reshape((-1,) + (1,) * nd)


def _layer(draw, nd):
    """What a convolution and a transposed one share: groups, channels (multiples of groups), kernel
    size, stride and dilation in `nd` dimensions, the batch size and a seed for the arrays."""
    groups = draw(st.integers(1, 2))
    return dict(groups=groups, c_in=groups * draw(st.integers(1, 2)), c_out=groups * draw(st.integers(1, 2)),
                ks=tuple(draw(st.integers(1, 3)) for _ in range(nd)),
                stride=tuple(draw(st.integers(1, 3)) for _ in range(nd)),
                dilation=tuple(draw(st.integers(1, 2)) for _ in range(nd)),
                n=draw(st.integers(1, 2)), seed=draw(st.integers(0, 2 ** 16)))


@st.composite
def conv_cases(draw, nd):
    """A convolution problem: shapes, stride, padding (int, 'same' or 'valid'), dilation, groups."""
    case = _layer(draw, nd)
    ks, stride, dilation = case["ks"], case["stride"], case["dilation"]
    kind = draw(st.sampled_from(["int", "same", "valid"] if all(s == 1 for s in stride) else ["int", "valid"]))
    pad = draw(st.integers(0, 2)) if kind == "int" else kind
    p = pad if isinstance(pad, int) else 0
    spatial = tuple(max(1, d * (k - 1) + 1 - 2 * p + draw(st.integers(0, 4))) for k, d in zip(ks, dilation))
    return dict(case, pad=pad, spatial=spatial)


def _pads(case):
    pad, ks, d = case["pad"], case["ks"], case["dilation"]
    if pad == "valid":
        return [(0, 0)] * len(ks)
    if pad == "same":  # PyTorch's rule: the extra element of an odd total goes on the right
        return [(d_ * (k - 1) // 2, d_ * (k - 1) - d_ * (k - 1) // 2) for k, d_ in zip(ks, d)]
    return [(pad, pad)] * len(ks)


def _arrays(case, transposed=False):
    """Input, weight and bias of `case`; a transposed convolution's weight is (C_in, C_out/groups, K...)."""
    rng = np.random.default_rng(case["seed"])
    c_in, c_out, groups = case["c_in"], case["c_out"], case["groups"]
    x = rng.standard_normal((case["n"], c_in) + case["spatial"])
    w = rng.standard_normal(((c_in, c_out // groups) if transposed else (c_out, c_in // groups)) + case["ks"])
    b = rng.standard_normal(c_out)
    return x, w, b


CONV = {1: conv1d, 2: conv2d}


# ---- forward against the definition ------------------------------------------------------------------


@pytest.mark.parametrize("nd", [1, 2])
@settings(max_examples=25)
@given(data=st.data())
def test_conv_matches_the_direct_loop(nd, data):
    case = data.draw(conv_cases(nd))
    x, w, b = _arrays(case)
    out = CONV[nd](Tensor(x), Tensor(w), Tensor(b), case["stride"], case["pad"], case["dilation"], case["groups"])
    expected = loop_conv(x, w, b, case["stride"], _pads(case), case["dilation"], case["groups"])
    np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-12)


@settings(max_examples=20)
@given(length=st.integers(1, 30), k=st.integers(1, 5), s=st.integers(1, 4), p=st.integers(0, 3), d=st.integers(1, 3))
def test_output_length_formula(length, k, s, p, d):
    # floor((L + 2p - d(K-1) - 1)/s) + 1, counted here by enumerating the window starts.
    starts = [i for i in range(0, length + 2 * p) if i + d * (k - 1) < length + 2 * p and i % s == 0]
    if not starts:
        return
    assert conv_output_size(length, k, s, p, d) == len(starts)
    x = Tensor(np.zeros((1, 1, length)))
    assert conv1d(x, Tensor(np.zeros((1, 1, k))), stride=s, padding=p, dilation=d).shape[-1] == len(starts)


def test_same_padding_keeps_the_length_also_for_even_kernels():
    x = Tensor(np.arange(7.0).reshape(1, 1, 7))
    for k in (2, 3, 4):
        assert conv1d(x, Tensor(np.ones((1, 1, k))), padding="same").shape == (1, 1, 7)
    # Even K: PyTorch puts the extra zero on the right; with K=2 and weights [1, 0] that is the identity.
    np.testing.assert_array_equal(conv1d(x, Tensor(np.array([[[1.0, 0.0]]])), padding="same").data, x.data)


def test_book_stride_two_centres_on_every_other_input():
    # Fig. 10.3: a zero-padded K=3, stride-2 conv centres on x1, x3, ... (1-indexed) = padding=1, stride=2.
    x = Tensor(np.arange(1.0, 10.0).reshape(1, 1, 9))
    centre = Tensor(np.array([[[0.0, 1.0, 0.0]]]))
    np.testing.assert_array_equal(conv1d(x, centre, stride=2, padding=1).data[0, 0], [1, 3, 5, 7, 9])


def test_dilation_rate_is_the_books_name_for_dilation_minus_one():
    rng = np.random.default_rng(1)
    x, w = Tensor(rng.standard_normal((1, 2, 12))), Tensor(rng.standard_normal((3, 2, 3)))
    np.testing.assert_array_equal(conv1d(x, w, dilation_rate=1).data, conv1d(x, w, dilation=2).data)
    np.testing.assert_array_equal(conv1d(x, w, dilation_rate=0).data, conv1d(x, w).data)
    with pytest.raises(ValueError, match="dilation_rate"):
        conv1d(x, w, dilation=2, dilation_rate=1)
    assert Conv1d(2, 3, 3, dilation_rate=2).dilation == (3,)


@pytest.mark.parametrize("mode, numpy_mode", [("reflect", "reflect"), ("replicate", "edge"), ("circular", "wrap")])
def test_padding_modes_match_numpy_pad(mode, numpy_mode):
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((2, 2, 5, 6)), rng.standard_normal((3, 2, 3, 3))
    out = conv2d(Tensor(x), Tensor(w), padding=(1, 2), padding_mode=mode)
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (2, 2)), mode=numpy_mode)
    np.testing.assert_allclose(out.data, loop_conv(padded, w, None, (1, 1), [(0, 0)] * 2, (1, 1), 1), rtol=1e-10)
    assert_grads(lambda x: conv2d(x, Tensor(w), padding=(1, 2), padding_mode=mode), x)


def test_non_contiguous_inputs_are_read_through_their_strides():
    # A conv's output is a transposed view of its (C_out, N*P) product; the next conv reads it in place.
    rng = np.random.default_rng(9)
    x, w1, w2 = rng.standard_normal((2, 3, 5, 6)), rng.standard_normal((4, 3, 2, 2)), rng.standard_normal((2, 4, 2, 3))
    hidden = conv2d(Tensor(x), Tensor(w1)).relu()
    assert not hidden.data.flags.c_contiguous
    np.testing.assert_allclose(conv2d(hidden, Tensor(w2), stride=(1, 2)).data,
                               loop_conv(hidden.data, w2, None, (1, 2), [(0, 0)] * 2, (1, 1), 1), rtol=1e-12)


def test_unbatched_input_and_float32_stays_float32():
    w = Tensor(np.ones((4, 3, 3), dtype=np.float32), requires_grad=True)
    x = Tensor(np.ones((3, 10), dtype=np.float32), requires_grad=True)
    y = conv1d(x, w, Tensor(np.zeros(4, dtype=np.float32)))
    assert y.shape == (4, 8) and y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_bad_inputs_give_clear_errors():
    w = Tensor(np.ones((4, 3, 3)))
    with pytest.raises(ShapeError, match="3 .*expected|channels"):
        conv1d(Tensor(np.ones((1, 2, 10))), w)
    with pytest.raises(ShapeError, match="extent"):
        conv1d(Tensor(np.ones((1, 3, 2))), w)
    with pytest.raises(ValueError, match="groups"):
        conv1d(Tensor(np.ones((1, 3, 10))), w, groups=3)
    with pytest.raises(ValueError, match="same"):
        conv1d(Tensor(np.ones((1, 3, 10))), w, stride=2, padding="same")
    with pytest.raises(ShapeError, match="expected an input"):
        conv2d(Tensor(np.ones((10,))), Tensor(np.ones((1, 1, 3, 3))))
    with pytest.raises(TypeError, match="stride"):
        conv1d(Tensor(np.ones((1, 3, 10))), w, stride=1.5)


# ---- the primitives -----------------------------------------------------------------------------------


def loop_unfold(x, ks, stride, dilation):
    """PyTorch's unfold by hand, (N, C*K, P): column p = the patch at output position p, rows (c, k...)."""
    n, c = x.shape[:2]
    out = tuple((x.shape[2 + i] - dilation[i] * (ks[i] - 1) - 1) // stride[i] + 1 for i in range(len(ks)))
    cols = np.zeros((n, c * math.prod(ks), math.prod(out)))
    for p, pos in enumerate(np.ndindex(*out)):
        for r, (ch, *k) in enumerate(np.ndindex(c, *ks)):
            where = tuple(pos[i] * stride[i] + k[i] * dilation[i] for i in range(len(ks)))
            cols[:, r, p] = x[(slice(None), ch) + where]
    return cols


@settings(max_examples=15)
@given(data=st.data())
def test_im2col_matches_the_patch_loop_and_col2im_is_its_adjoint(data):
    case = data.draw(conv_cases(2))
    rng = np.random.default_rng(case["seed"])
    spatial = tuple(s + d * (k - 1) for s, k, d in zip(case["spatial"], case["ks"], case["dilation"]))
    x = rng.standard_normal((case["n"], case["c_in"]) + spatial)
    params = dict(kernel_size=case["ks"], stride=case["stride"], dilation=case["dilation"])
    cols = apply(IM2COL, Tensor(x), **params)
    # im2col's layout: one column per patch of the whole batch, (C*K, N*P), example-major.
    per_example = loop_unfold(x, case["ks"], case["stride"], case["dilation"])
    np.testing.assert_array_equal(cols.data, np.concatenate(list(per_example), axis=1))
    c = rng.standard_normal(cols.shape)
    back = apply(COL2IM, Tensor(c), shape=x.shape, **params)
    # <im2col(x), c> = <x, col2im(c)>: col2im is the transpose of the linear map im2col.
    assert np.sum(cols.data * c) == pytest.approx(np.sum(x * back.data), rel=1e-12)


def test_im2col_and_col2im_first_and_second_derivatives():
    rng = np.random.default_rng(3)
    params = dict(kernel_size=(3, 2), stride=(2, 1), dilation=(1, 2))
    x = rng.standard_normal((2, 3, 6, 5))
    # A non-linear function of the columns so that the second derivative is not zero.
    assert_grads(lambda x: apply(IM2COL, x, **params) ** 3, x, order=2)
    cols = rng.standard_normal((18, 12))
    assert_grads(lambda c: apply(COL2IM, c, shape=x.shape, **params) ** 3, cols, order=2)


def test_unfold_and_fold_are_pytorchs():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 5, 6))
    cols = unfold(Tensor(x), (2, 3), padding=1, stride=(1, 2))
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    np.testing.assert_array_equal(cols.data, loop_unfold(padded, (2, 3), (1, 2), (1, 1)))
    c = rng.standard_normal(cols.shape)
    folded = fold(Tensor(c), (5, 6), (2, 3), padding=1, stride=(1, 2))
    assert folded.shape == x.shape
    assert np.sum(cols.data * c) == pytest.approx(np.sum(x * folded.data), rel=1e-12)


# ---- gradients ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("nd", [1, 2])
@settings(max_examples=15)
@given(data=st.data())
def test_conv_gradients_match_finite_differences(nd, data):
    case = data.draw(conv_cases(nd))
    x, w, b = _arrays(case)
    assert_grads(lambda x, w, b: CONV[nd](x, w, b, case["stride"], case["pad"], case["dilation"], case["groups"]),
                 x, w, b)


def test_conv2d_second_derivatives():
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((2, 4, 5, 5)), rng.standard_normal((4, 2, 3, 2))
    assert_grads(lambda x, w: conv2d(x, w, stride=(2, 1), padding=1, dilation=(1, 2), groups=2).tanh(), x, w, order=2)


# ---- transposed convolution ------------------------------------------------------------------------------


@st.composite
def transpose_cases(draw, nd):
    """A transposed convolution problem: `_layer`'s sizes, an output padding below max(stride,
    dilation) and a padding that leaves at least one output element."""
    case = _layer(draw, nd)
    ks, stride, dilation = case["ks"], case["stride"], case["dilation"]
    out_pad = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    spatial = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    full = [(m - 1) * s + d * (k - 1) + 1 for m, s, d, k in zip(spatial, stride, dilation, ks)]
    padding = tuple(draw(st.integers(0, (f - 1) // 2)) for f in full)
    return dict(case, out_pad=out_pad, spatial=spatial, padding=padding)


TRANSPOSE = {1: conv_transpose1d, 2: conv_transpose2d}


@pytest.mark.parametrize("nd", [1, 2])
@settings(max_examples=20)
@given(data=st.data())
def test_conv_transpose_matches_the_scatter_loop(nd, data):
    case = data.draw(transpose_cases(nd))
    x, w, b = _arrays(case, transposed=True)
    out = TRANSPOSE[nd](Tensor(x), Tensor(w), Tensor(b), case["stride"], case["padding"], case["out_pad"],
                        case["groups"], case["dilation"])
    expected = loop_conv_transpose(x, w, b, case["stride"], case["padding"], case["out_pad"], case["dilation"],
                                   case["groups"])
    np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-12)


@settings(max_examples=10)
@given(data=st.data())
def test_conv_transpose_is_the_adjoint_of_conv(data):
    # Fig. 10.13: the transposed convolution's matrix is the transpose of the strided convolution's.
    case = data.draw(conv_cases(2))
    if isinstance(case["pad"], str):
        return
    x, w, _ = _arrays(case)
    y = conv2d(Tensor(x), Tensor(w), None, case["stride"], case["pad"], case["dilation"], case["groups"]).data
    g = np.random.default_rng(case["seed"] + 1).standard_normal(y.shape)
    # output_padding recovers the input size when the strided conv dropped trailing elements.
    extra = tuple(case["spatial"][i] - ((y.shape[2 + i] - 1) * case["stride"][i] - 2 * case["pad"]
                                        + case["dilation"][i] * (case["ks"][i] - 1) + 1) for i in range(2))
    if any(e >= max(s, d) for e, s, d in zip(extra, case["stride"], case["dilation"])):
        return
    back = conv_transpose2d(Tensor(g), Tensor(w), None, case["stride"], case["pad"], extra, case["groups"],
                            case["dilation"])
    assert back.shape == x.shape
    assert np.sum(y * g) == pytest.approx(np.sum(x * back.data), rel=1e-10)


def test_conv_transpose_gradients_first_and_second_order():
    rng = np.random.default_rng(6)
    x, w, b = rng.standard_normal((2, 4, 3, 2)), rng.standard_normal((4, 1, 3, 2)), rng.standard_normal(2)
    assert_grads(lambda x, w, b: conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2), x, w, b)
    x1, w1 = rng.standard_normal((1, 2, 4)), rng.standard_normal((2, 3, 3))
    assert_grads(lambda x, w: conv_transpose1d(x, w, stride=2, dilation=2).tanh(), x1, w1, order=2)


def test_conv_transpose_output_size_and_errors():
    x = Tensor(np.ones((1, 2, 5)))
    w = Tensor(np.ones((2, 3, 4)))
    # (L-1)s - 2p + d(K-1) + output_padding + 1
    assert conv_transpose1d(x, w, stride=3, padding=2, output_padding=1, dilation=2).shape == (1, 3, 12 - 4 + 6 + 1 + 1)
    with pytest.raises(ValueError, match="output_padding"):
        conv_transpose1d(x, w, stride=2, output_padding=2)
    with pytest.raises(ShapeError, match="channels"):
        conv_transpose1d(Tensor(np.ones((1, 3, 5))), w)


# ---- modules ------------------------------------------------------------------------------------------


def test_modules_have_pytorchs_parameter_names_and_shapes():
    assert {k: v.shape for k, v in Conv2d(4, 6, (3, 2), groups=2).state_dict().items()} == \
        {"weight": (6, 2, 3, 2), "bias": (6,)}
    assert {k: v.shape for k, v in ConvTranspose2d(4, 6, 3, groups=2).state_dict().items()} == \
        {"weight": (4, 3, 3, 3), "bias": (6,)}
    assert list(Conv1d(2, 3, 3, bias=False).state_dict()) == ["weight"]
    assert ConvTranspose1d(2, 3, 3, stride=2, output_padding=1)(np.ones((1, 2, 4))).shape == (1, 3, 10)


def test_default_initialisation_is_he_uniform_with_zero_bias():
    layer = Conv2d(8, 16, 3, rng=0)
    bound = math.sqrt(6 / (8 * 9))  # fan-in C_in*K^2 (section 10.5), as Linear's He-uniform
    w = layer.weight.data
    assert np.all(np.abs(w) <= bound) and np.abs(w).max() > 0.9 * bound
    assert w.var() == pytest.approx(2 / (8 * 9), rel=0.15)
    np.testing.assert_array_equal(layer.bias.data, 0)
    np.testing.assert_array_equal(Conv2d(8, 16, 3, rng=0).weight.data, w)  # rng makes it reproducible
    assert layer.weight.dtype == np.float32


def test_mnist1d_cnn_of_figure_10_7_has_2050_parameters():
    # 40 -> 19 -> 9 -> 4 positions with valid K=3, stride-2 convs; 4 * 15 = 60 features (GUIDE ch. 10).
    model = Sequential(Conv1d(1, 15, 3, stride=2), ReLU(), Conv1d(15, 15, 3, stride=2), ReLU(),
                       Conv1d(15, 15, 3, stride=2), ReLU(), Flatten(), Linear(60, 10))
    assert model.num_parameters() == 2_050
    x = np.random.default_rng(7).standard_normal((100, 1, 40)).astype(np.float32)
    assert model[:6](x).shape == (100, 15, 4)
    out = model(x)
    assert out.shape == (100, 10) and out.dtype == np.float32


def test_module_gradients():
    rng = np.random.default_rng(8)
    assert_module_grads(Conv2d(2, 4, 3, stride=2, padding=1, groups=2, rng=rng), rng.standard_normal((2, 2, 5, 4)))
    assert_module_grads(ConvTranspose1d(2, 3, 3, stride=2, padding=1, rng=rng), rng.standard_normal((2, 2, 4)))
    assert_module_grads(Conv1d(2, 3, 2, padding="same", padding_mode="circular", rng=rng),
                        rng.standard_normal((1, 2, 5)))
