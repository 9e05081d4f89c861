"""Line search by bracketing (fig. 6.10) and gradient descent with it (fig. 6.1)."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from optim_testing import param

from tinygrad_udl import Tensor, Value
from tinygrad_udl.data import make_linear_1d
from tinygrad_udl.optim import LineSearchGD, gradient_descent_line_search, line_search

UNIMODAL = {
    "quadratic": lambda x, c: (x - c) ** 2,
    "abs": lambda x, c: abs(x - c),
    "asymmetric": lambda x, c: (x - c) if x > c else 10 * (c - x),
    "quartic-flat": lambda x, c: (x - c) ** 4,
    "exp": lambda x, c: math.expm1(x - c) - (x - c),  # expm1: resolves the minimum to 1e-9
}


@given(name=st.sampled_from(sorted(UNIMODAL)), a=st.floats(-10, 10), width=st.floats(0.1, 20),
       where=st.floats(0, 1), tol=st.sampled_from([1e-3, 1e-6, 1e-9]))
@settings(max_examples=80, deadline=None)
def test_finds_the_minimum_of_a_unimodal_function(name, a, width, where, tol):
    d = a + width
    c = a + where * width  # the minimizer, anywhere in [a, d] (ends included)
    calls = []

    def f(x):
        calls.append(x)
        assert a <= x <= d  # never evaluated outside the bracket
        return UNIMODAL[name](x, c)
    x = line_search(f, a, d, tol=tol)
    assert abs(x - c) <= tol / 2 + 1e-12 * max(1.0, abs(c))
    # golden section: one evaluation per iteration, bracket shrinking by 0.618
    assert len(calls) <= 2 + math.ceil(math.log(tol / width) / math.log(0.618)) + 1


def test_fig_6_10_first_decisions():
    """L[b] > L[c] drops [a, b] (fig. 6.10a), L[b] < L[c] drops [c, d] (fig. 6.10b)."""
    seen = []
    line_search(lambda x: (seen.append(x), (x - 0.9) ** 2)[1], 0.0, 1.0, tol=0.01)
    b, c = seen[0], seen[1]
    assert 0 < b < c < 1 and seen[2] > c  # the minimum is right of c: [a, b] dropped, new point beyond c
    seen.clear()
    line_search(lambda x: (seen.append(x), (x - 0.1) ** 2)[1], 0.0, 1.0, tol=0.01)
    assert seen[2] < seen[0]  # [c, d] dropped, new point left of b


def test_accepts_tensors_values_and_nan():
    assert line_search(lambda x: Tensor([(x - 2.0) ** 2]), 0.0, 5.0) == pytest.approx(2.0, abs=1e-6)
    assert line_search(lambda x: Value((x - 2.0) ** 2), 0.0, 5.0) == pytest.approx(2.0, abs=1e-6)
    # a loss that overflows to nan past x = 3 counts as +inf, so the search stays left of it
    assert line_search(lambda x: float("nan") if x > 3 else (x - 2.5) ** 2, 0.0, 10.0) == pytest.approx(2.5, abs=1e-6)


@pytest.mark.parametrize("a, d, tol, error", [(1.0, 1.0, 1e-3, ValueError), (2.0, 1.0, 1e-3, ValueError),
                                              (0.0, 1.0, 0.0, ValueError), (0.0, float("inf"), 1e-3, ValueError),
                                              ("0", 1.0, 1e-3, TypeError)])
def test_bad_brackets(a, d, tol, error):
    with pytest.raises(error):
        line_search(lambda x: x * x, a, d, tol=tol)


def least_squares_problem(seed=0):
    x, y = make_linear_1d(12, rng=seed)
    X = np.stack([np.ones_like(x), x], axis=1)  # f = φ₀ + φ₁x (eq. 6.4)
    phi = param([-0.5, 2.0])

    def loss_fn():  # eq. 6.5: summed squared error
        return ((Tensor(X) @ phi - Tensor(y)) ** 2).sum()
    return X, y, phi, loss_fn


def test_gradient_descent_with_line_search_reaches_least_squares_solution():
    X, y, phi, loss_fn = least_squares_problem()
    losses = gradient_descent_line_search(loss_fn, [phi], steps=60, max_lr=1.0, tol=1e-10)
    expected = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(phi.data, expected, atol=1e-6)
    assert all(b <= a + 1e-12 for a, b in zip(losses, losses[1:]))  # α = 0 is always on the table
    assert len(losses) == 61


def test_exact_line_search_makes_successive_gradients_orthogonal():
    """At the best α along −g, d/dα L[φ − αg] = −∇L(φ_new)·g = 0: each new gradient is
    orthogonal to the previous one (the zig-zag of fig. 6.1)."""
    X, y, phi, loss_fn = least_squares_problem(1)
    opt = LineSearchGD([phi], max_lr=1.0, tol=1e-12)
    grad = lambda p: 2 * X.T @ (X @ p - y)  # noqa: E731 -- the closed-form gradient of eq. 6.5
    for _ in range(4):
        g_old = grad(phi.data.copy())
        loss = opt.step(loss_fn)
        assert loss.item() == pytest.approx(np.sum((X @ (phi.data + opt.last_lr * g_old) - y) ** 2))
        g_new = grad(phi.data)
        assert abs(g_new @ g_old) <= 1e-6 * np.linalg.norm(g_new) * np.linalg.norm(g_old) + 1e-12
        np.testing.assert_allclose(phi.grad.data, g_old, rtol=1e-10)  # step() set .grad at the start point


def test_stops_when_the_gradient_vanishes():
    X, y, phi, loss_fn = least_squares_problem()
    losses = gradient_descent_line_search(loss_fn, [phi], steps=500, tol=1e-12, grad_tol=1e-3)
    assert len(losses) < 100


def test_line_search_gd_arguments():
    p = param([1.0])
    with pytest.raises(TypeError, match="loss_fn"):
        LineSearchGD([p]).step()
    with pytest.raises(ValueError, match="single parameter group"):
        LineSearchGD([{"params": [p]}, {"params": [param([2.0])]}])
    with pytest.raises(ValueError, match="max_lr"):
        LineSearchGD([p], max_lr=0.0)
    with pytest.raises(ValueError, match="steps"):
        gradient_descent_line_search(lambda: (p * p).sum(), [p], steps=-1)
