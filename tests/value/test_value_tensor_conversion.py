"""One call each way between the engines: tg.from_values (Values -> Tensor), tg.to_values (Tensor ->
Values). Both copy the numbers and cut the graph: no gradient crosses."""
import numpy as np
import pytest

import tinygrad_udl as tg
from tinygrad_udl import Value


def test_from_values_copies_the_numbers_in_the_shape_of_the_lists():
    rows = [[Value(1.5), Value(-2.0), 3], [Value(0.25), 4.0, Value(1e-300)]]
    t = tg.from_values(rows, dtype=np.float64)
    assert t.shape == (2, 3) and t.dtype == np.float64
    assert t.tolist() == [[1.5, -2.0, 3.0], [0.25, 4.0, 1e-300]]
    assert tg.from_values(Value(2.0)).shape == ()
    assert tg.from_values([Value(0.1)]).dtype == tg.get_default_dtype()  # like Tensor([...])


def test_from_values_cuts_the_graph():
    x = Value(3.0)
    y = x * x                                   # y has a graph back to x
    t = tg.from_values([y, x], requires_grad=True, dtype=np.float64)
    assert t.is_leaf and t.requires_grad
    (t * t).sum().backward()
    assert t.grad.tolist() == [18.0, 6.0]       # d(sum t²)/dt = 2t, at the copied numbers
    assert x.grad == 0.0 and y.grad == 0.0      # nothing reached the Values


def test_from_values_refuses_what_is_not_a_number():
    with pytest.raises(TypeError, match="from_values: expected Values"):
        tg.from_values([Value(1.0), "2"])
    with pytest.raises(TypeError, match="from_values"):
        tg.from_values([True])


def test_to_values_gives_labelled_leaves_shaped_like_tolist():
    a = np.arange(6.0).reshape(2, 3) - 2.5
    values = tg.to_values(tg.Tensor(a), label="w")
    assert [[v.data for v in row] for row in values] == a.tolist()
    assert values[1][2].label == "w[1, 2]" and all(v.is_leaf for row in values for v in row)
    single = tg.to_values(tg.Tensor(np.float64(7.0)), label="s")
    assert isinstance(single, Value) and single.data == 7.0 and single.label == "s"
    assert [v.data for v in tg.to_values(np.array([1, 2], dtype=np.int64))] == [1.0, 2.0]


def test_to_values_cuts_the_graph():
    W = tg.Tensor(np.array([[1.0, -2.0]]), requires_grad=True)
    h = W * 3.0
    values = tg.to_values(h)
    loss = sum(v.sin() for v in values[0])
    loss.backward()
    assert [v.grad for v in values[0]] == pytest.approx(np.cos([3.0, -6.0]).tolist())
    assert W.grad is None                       # the tensor's graph was not touched


def test_a_round_trip_is_exact_in_float64():
    a = np.random.default_rng(0).standard_normal((3, 4))
    assert np.array_equal(tg.from_values(tg.to_values(tg.Tensor(a)), dtype=np.float64).numpy(), a)
