"""The dtype policy and creation functions (tensor.py's module docstring, docs/tensors.md).

Python numbers and lists take the default float dtype (float32 unless set_default_dtype says
otherwise); numpy arrays keep their dtype; a Python scalar operand takes the tensor's dtype; two
arrays promote as numpy does.
"""
import numpy as np
import pytest

import tinygrad_udl as tg
from tinygrad_udl import Tensor


@pytest.fixture
def float64_default():
    before = tg.get_default_dtype()
    tg.set_default_dtype(np.float64)
    yield
    tg.set_default_dtype(before)


def test_python_data_takes_the_default_float_dtype():
    assert tg.get_default_dtype() == np.float32
    assert Tensor([1.0, 2.0]).dtype == np.float32
    assert Tensor([1, 2]).dtype == np.float32           # Python ints too (documented)
    assert Tensor(3.5).dtype == np.float32 and Tensor(3.5).shape == ()
    assert Tensor([True, False]).dtype == np.bool_


def test_numpy_arrays_keep_their_dtype():
    for dtype in (np.float64, np.float32, np.int64, np.bool_):
        assert Tensor(np.zeros(2, dtype)).dtype == dtype
    assert Tensor([1, 2], dtype="float64").dtype == np.float64


def test_set_default_dtype(float64_default):
    assert Tensor([1.0]).dtype == np.float64
    assert tg.zeros(2).dtype == tg.randn(2).dtype == np.float64


def test_set_default_dtype_refuses_non_floats():
    with pytest.raises(TypeError, match="floating-point"):
        tg.set_default_dtype(np.int32)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_python_scalars_take_the_tensor_dtype(dtype):
    x = Tensor(np.array([1.0, 2.0], dtype))
    for y in (x * 2.5, 2.5 * x, x + 1, 1 - x, x / 3.0, 3.0 / x, x ** 2, 2 ** x, x.maximum(0.5), tg.where(x > 1, x, 0.0)):
        assert y.dtype == dtype


def test_integer_tensors_with_integer_scalars_stay_integers():
    assert (Tensor(np.array([1, 2])) * 2).dtype == np.int64


def test_two_arrays_promote_as_numpy_does():
    a, b = Tensor(np.ones(2, np.float32)), Tensor(np.ones(2, np.float64))
    assert (a + b).dtype == np.result_type(np.float32, np.float64)
    assert (a @ b).dtype == np.float64


def test_unsupported_data_is_refused():
    with pytest.raises(TypeError, match="not supported"):
        Tensor(["a", "b"])
    with pytest.raises(TypeError, match="not supported"):
        Tensor({"a": 1})
    with pytest.raises(TypeError, match="cannot make an array"):
        Tensor([[1.0], [1.0, 2.0]])                  # ragged


def test_creation_functions():
    assert tg.zeros(2, 3).shape == (2, 3) and tg.zeros((2, 3)).shape == (2, 3)
    np.testing.assert_array_equal(tg.ones(2).data, [1.0, 1.0])
    np.testing.assert_array_equal(tg.full((2,), 7.0).data, [7.0, 7.0])
    np.testing.assert_array_equal(tg.arange(3).data, [0.0, 1.0, 2.0])
    assert tg.arange(3).dtype == np.float32 and tg.arange(3, dtype="int64").dtype == np.int64
    np.testing.assert_allclose(tg.linspace(0, 1, 5).data, np.linspace(0, 1, 5))
    np.testing.assert_array_equal(tg.eye(3).data, np.eye(3))
    assert tg.zeros(2, requires_grad=True).requires_grad
    like = Tensor(np.ones((2, 2), np.float64))
    for t in (tg.zeros_like(like), tg.ones_like(like), tg.full_like(like, 2.0), tg.randn_like(like), tg.rand_like(like)):
        assert t.shape == (2, 2) and t.dtype == np.float64


def test_random_tensors_are_reproducible():
    tg.manual_seed(3)
    a = tg.randn(4)
    tg.manual_seed(3)
    b = tg.randn(4)
    np.testing.assert_array_equal(a.data, b.data)
    r1, r2 = tg.randn(3, rng=np.random.default_rng(0)), tg.randn(3, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(r1.data, r2.data)
    np.testing.assert_array_equal(r1.data, np.random.default_rng(0).standard_normal(3).astype(np.float32))
    u = tg.uniform(-1, 1, (1000,), rng=np.random.default_rng(1))
    assert -1 <= u.data.min() and u.data.max() < 1
    assert 0 <= tg.rand(100).data.min() and tg.rand(100).data.max() < 1


def test_array_facts_and_conversions():
    t = Tensor(np.arange(6.0).reshape(2, 3))
    assert (t.shape, t.ndim, t.size, len(t)) == ((2, 3), 2, 6, 2)
    assert np.asarray(t) is t.data and t.numpy() is t.data
    assert t.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert [row.tolist() for row in t] == t.tolist()
    assert Tensor([2.5]).item() == 2.5 and float(Tensor(2.5)) == 2.5
    with pytest.raises(ValueError, match="6 elements"):
        t.item()
    assert "float64" in repr(t) and "requires_grad=True" in repr(Tensor([1.0], requires_grad=True))
    assert "op=mul" in repr(Tensor([1.0], requires_grad=True) * 2)
    assert "label='w'" in repr(Tensor([1.0], label="w"))


def test_tensor_of_a_tensor_returns_it():
    t = Tensor([1.0])
    assert tg.tensor(t) is t
    assert tg.tensor([1.0, 2.0], requires_grad=True).requires_grad


def test_module_functions_dispatch_on_the_argument():
    """tinygrad_udl.exp(x) & co.: numbers become Values, arrays Tensors, nodes stay themselves."""
    assert isinstance(tg.exp(1.0), tg.Value) and tg.exp(1.0).data == pytest.approx(np.e)
    t = tg.exp(np.array([0.0, 1.0]))
    assert isinstance(t, Tensor) and t.dtype == np.float64
    np.testing.assert_allclose(tg.sum(np.ones((2, 3)), axis=0).data, [2.0, 2.0, 2.0])
    x = Tensor([1.0, -1.0], requires_grad=True)
    tg.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 0.0])
