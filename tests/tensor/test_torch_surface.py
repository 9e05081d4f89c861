"""PyTorch's habits on a numpy-named Tensor: each call works as in PyTorch or fails loudly.

Oracles: numpy for numpy's names, and PyTorch's semantics written out here (torch is only in the
optional `bench` extra, so the expected results are stated, not computed by torch)."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_udl as tg
from tinygrad_udl import Tensor

A = np.arange(24.0).reshape(2, 3, 4)


@pytest.mark.parametrize("call, expected", [
    (lambda t: t.sum(dim=1), A.sum(axis=1)),
    (lambda t: t.mean(dim=(0, 2), keepdim=True), A.mean(axis=(0, 2), keepdims=True)),
    (lambda t: t.max(dim=-1), A.max(axis=-1)),
    (lambda t: t.softmax(dim=1), np.exp(A) / np.exp(A).sum(axis=1, keepdims=True)),
    (lambda t: t.cumsum(dim=2), A.cumsum(axis=2)),
    (lambda t: tg.cat([t, t], dim=1), np.concatenate([A, A], axis=1)),
    (lambda t: tg.stack([t, t], dim=0), np.stack([A, A])),
    (lambda t: t.unsqueeze(dim=0), A[None]),
    (lambda t: t.squeeze(dim=None), A),
    (lambda t: t.var(dim=0), A.var(axis=0)),
])
def test_dim_and_keepdim_are_axis_and_keepdims(call, expected):
    np.testing.assert_allclose(call(Tensor(A)).numpy(), expected, rtol=1e-6)


def test_giving_both_spellings_is_an_error():
    with pytest.raises(TypeError, match="both axis= and dim="):
        Tensor(A).sum(axis=0, dim=1)
    with pytest.raises(TypeError, match="both keepdims= and keepdim="):
        Tensor(A).mean(keepdims=True, keepdim=False)


def test_transpose_with_two_axes_swaps_them_as_pytorch():
    t = Tensor(A)
    assert t.transpose(0, 2).shape == (4, 3, 2)                       # torch.transpose(t, 0, 2)
    np.testing.assert_array_equal(t.transpose(0, 2).numpy(), A.swapaxes(0, 2))
    m = Tensor(A[0])
    np.testing.assert_array_equal(m.transpose(0, 1).numpy(), A[0].T)   # the ambiguous case: PyTorch's swap
    np.testing.assert_array_equal(m.transpose(1, 0).numpy(), A[0].T)


def test_a_permutation_permutes_as_numpy():
    t = Tensor(A)
    np.testing.assert_array_equal(t.transpose((2, 0, 1)).numpy(), A.transpose(2, 0, 1))
    np.testing.assert_array_equal(t.transpose(2, 0, 1).numpy(), A.transpose(2, 0, 1))
    np.testing.assert_array_equal(t.permute(2, 0, 1).numpy(), A.transpose(2, 0, 1))
    np.testing.assert_array_equal(t.transpose().numpy(), A.T)
    with pytest.raises(tg.ShapeError, match="permute: axes"):
        t.permute(0, 1)


def test_size_is_numpys_count_and_pytorchs_shape():
    t = Tensor(A)
    assert t.size == 24 and t.size * 2 == 48 and t.numel() == 24     # numpy: an int
    assert t.size() == (2, 3, 4) and t.size(1) == 3 and t.size(-1) == 4   # PyTorch: the shape
    assert t.dim() == 3 and t.view(6, 4).shape == (6, 4) and t.mT.shape == (2, 4, 3)
    with pytest.raises(tg.ShapeError, match="size: axis 3"):
        t.size(3)


def test_from_numpy_shares_memory_and_tensor_copies():
    a = np.zeros(3)
    shared, copied = tg.from_numpy(a), Tensor(a)
    a[0] = 5.0
    assert shared.numpy()[0] == 5.0 and copied.numpy()[0] == 0.0
    assert shared.tolist() == [5.0, 0.0, 0.0] and Tensor([2.5]).item() == 2.5


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                  elements=st.floats(-3, 3)))
def test_numpy_ufuncs_stay_on_the_graph(x):
    for ufunc, method in ((np.sin, "sin"), (np.exp, "exp"), (np.tanh, "tanh"), (np.negative, "__neg__")):
        t = Tensor(x, requires_grad=True)
        (g_numpy,) = tg.grad(ufunc(t).sum(), [t])
        (g_method,) = tg.grad(getattr(t, method)().sum(), [t])
        np.testing.assert_allclose(g_numpy.numpy(), g_method.numpy())


def test_array_and_tensor_arithmetic_keeps_the_graph():
    t = Tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    y = np.array([3.0, 4.0]) * t + np.array([1.0, 1.0])
    assert isinstance(y, Tensor)
    y.sum().backward()
    assert t.grad.tolist() == [3.0, 4.0]


def test_numpy_functions_use_the_librarys():
    t = Tensor(A, requires_grad=True)
    assert np.sum(t, axis=0).op == "sum" and np.concatenate([t, t]).op == "concatenate"
    assert np.linalg.norm(Tensor([3.0, 4.0])).item() == pytest.approx(5.0)
    assert np.shape(t) == (2, 3, 4) and np.allclose(t, A)             # facts run on the numbers
    assert not np.isfinite(Tensor([np.inf])).numpy()[0]


@pytest.mark.parametrize("call", [lambda t: np.median(t), lambda t: np.add.reduce(t),
                                  lambda t: np.sin(t, out=np.empty(3))])
def test_numpy_calls_that_would_drop_the_graph_raise(call):
    with pytest.raises(TypeError, match="drop the graph|not supported"):
        call(Tensor([1.0, 2.0, 3.0], requires_grad=True))


def test_a_float32_model_fed_float64_data_is_told_once():
    tg.autograd.tensor._WARNED_PROMOTIONS.discard("matmul")
    w = Tensor(np.ones((3, 2), np.float32), requires_grad=True)
    with pytest.warns(RuntimeWarning, match="matmul: a float32 tensor meets float64 data"):
        tg.matmul(Tensor(np.ones((4, 3))), w)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tg.matmul(Tensor(np.ones((4, 3))), w)                         # once per operation
