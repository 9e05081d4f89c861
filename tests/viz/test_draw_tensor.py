"""draw_graph on Tensor graphs: shapes and dtypes, small arrays in full, large ones summarised,
interior gradients computed for the drawing (against closed forms), determinism."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_udl import Tensor
from tinygrad_udl.viz import draw_graph
from tinygrad_udl.viz import format as fmt

from .dotparse import numbers, parse


def affine_model(seed=0):
    """l = sum((W x + b)^2) with W (2, 3), b (2,), x (3,) a constant: dl/dh = 2h, dl/dW = 2h x^T."""
    rng = np.random.default_rng(seed)
    W = Tensor(rng.standard_normal((2, 3)), requires_grad=True, label="W")
    b = Tensor(rng.standard_normal(2), requires_grad=True, label="b")
    x = Tensor(rng.standard_normal(3), label="x")
    h = (W @ x + b).retain_grad()
    h.label = "h"
    return (h ** 2).sum(), W.data, b.data, x.data


def label_numbers(dot, name, prefix):
    """The numbers of the rows from `prefix` up to the next row of another kind."""
    rows = dot.by_name(name)["rows"]
    start = next(i for i, r in enumerate(rows) if r.startswith(prefix + " "))
    end = next((i for i in range(start + 1, len(rows)) if rows[i].startswith(("grad ", "check"))), len(rows))
    return numbers(" ".join(rows[start:end])[len(prefix):])


def test_small_arrays_are_shown_in_full_with_shape_and_dtype():
    loss, W, b, x = affine_model()
    dot = parse(draw_graph(loss).source)
    h = W @ x + b
    assert "(2, 3) float64" in dot.by_name("W")["rows"]
    np.testing.assert_allclose(label_numbers(dot, "W", "data"), W.ravel(), rtol=5e-4)
    np.testing.assert_allclose(label_numbers(dot, "h", "data"), h, rtol=5e-4)
    # gradients by hand: dl/dh = 2h, dl/dW = 2h x^T, dl/db = 2h, dl/dl = 1
    np.testing.assert_allclose(label_numbers(dot, "h", "grad"), 2 * h, rtol=5e-4)
    np.testing.assert_allclose(label_numbers(dot, "W", "grad"), np.outer(2 * h, x).ravel(), rtol=5e-4)
    np.testing.assert_allclose(label_numbers(dot, "b", "grad"), 2 * h, rtol=5e-4)
    assert label_numbers(dot, "sum1", "grad") == [1.0]


def test_interior_gradients_need_no_retain_grad():
    """The matmul node never kept a .grad; the drawing computes d(loss)/d(matmul) = 2h itself."""
    loss, W, b, x = affine_model()
    dot = parse(draw_graph(loss).source)
    np.testing.assert_allclose(label_numbers(dot, "matmul1", "grad"), 2 * (W @ x + b), rtol=5e-4)


def test_constants_have_no_gradient_row():
    loss, *_ = affine_model()
    dot = parse(draw_graph(loss).source)
    assert not [r for r in dot.by_name("x")["rows"] if r.startswith("grad")]
    assert dot.by_name("x")["attrs"]["shape"] == "ellipse"      # a leaf
    assert "rounded" in dot.by_name("W")["attrs"]["style"]      # requires_grad leaf: a parameter


def test_large_arrays_are_summarised():
    rng = np.random.default_rng(3)
    data = rng.standard_normal((4, 5))
    X = Tensor(data, requires_grad=True, label="X")
    loss = (X * X).sum()
    dot = parse(draw_graph(loss).source)
    summary = label_numbers(dot, "X", "data")
    np.testing.assert_allclose(summary, [data.min(), data.mean(), data.max(), np.linalg.norm(data)], rtol=5e-4)
    grad = label_numbers(dot, "X", "grad")  # d/dX sum(X^2) = 2X
    np.testing.assert_allclose(grad, [2 * data.min(), 2 * data.mean(), 2 * data.max(), 2 * np.linalg.norm(data)],
                               rtol=5e-4)


def test_non_scalar_root_shows_gradients_of_its_sum():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True, label="x")
    y = x * x
    dot = parse(draw_graph(y).source)
    np.testing.assert_allclose(label_numbers(dot, "x", "grad"), [2.0, 4.0, 6.0])


def test_the_same_tensor_computation_gives_identical_dot():
    assert draw_graph(affine_model(5)[0]).source == draw_graph(affine_model(5)[0]).source


def test_interior_tensor_gradients_after_backward_are_not_invented():
    loss, *_ = affine_model()
    loss.backward()
    dot = parse(draw_graph(loss).source)
    assert dot.row("matmul1", "grad") == "not kept (retain_grad())"
    assert label_numbers(dot, "h", "grad")  # retained


@settings(max_examples=40)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                  elements=st.floats(-1e3, 1e3, allow_subnormal=False)))
def test_formatting_shows_small_arrays_exactly_and_summarises_large_ones(a):
    shown = numbers(" ".join(fmt.lines(a, 4)))
    if a.size <= fmt.SMALL:
        np.testing.assert_allclose(shown, a.ravel(), rtol=5e-4, atol=1e-300)
    else:
        expected = [a.min(), a.mean(), a.max(), np.linalg.norm(a)]
        np.testing.assert_allclose(shown, expected, rtol=5e-4, atol=1e-9 * max(1.0, np.abs(a).max()))
