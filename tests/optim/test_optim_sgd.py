"""SGD in both conventions against numpy written from the book's equations (6.3, 6.10-6.12, 9.13)
and from PyTorch's published SGD algorithm."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from optim_testing import learning_rates, param, run, set_grad, start_and_grads, unit_interval

from tinygrad_udl import Tensor
from tinygrad_udl.optim import SGD

TIGHT = dict(rtol=1e-10, atol=1e-10)


# ---- numpy references, step by step --------------------------------------------------------------

def book_momentum(phi, grads, alpha, beta, decay=0.0):
    """Eq. 6.11 (with eq. 9.13's decay): m ← βm + (1−β)g; φ ← (1−λ′)φ − αm; m₀ = 0."""
    m, path = np.zeros_like(phi), []
    for g in grads:
        m = beta * m + (1 - beta) * g
        phi = (1 - decay) * phi - alpha * m
        path.append(phi)
    return path


def torch_sgd(theta, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    """PyTorch's documented SGD: g += λθ; b = g at t=1 else μb + (1−τ)g; g = g + μb (Nesterov) or b;
    θ ← θ − γg."""
    b, path = None, []
    for g in grads:
        if weight_decay:
            g = g + weight_decay * theta
        if momentum:
            b = g if b is None else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        theta = theta - lr * g
        path.append(theta)
    return path


def book_nesterov(phi, grad_fn, steps, alpha, beta, draft=False):
    """Eq. 6.12: m ← βm + (1−β)∇L[φ − αβm] (draft: ∇L[φ − αm]); φ ← φ − αm. Returns φ_1..φ_T,
    the final-print look-ahead points φ_t − αβm_t for t = 1..T, and the points where ∇L was taken."""
    m, path, lookahead, evaluated = np.zeros_like(phi), [], [], []
    for _ in range(steps):
        evaluated.append(phi - (alpha if draft else alpha * beta) * m)
        m = beta * m + (1 - beta) * grad_fn(evaluated[-1])
        phi = phi - alpha * m
        path.append(phi)
        lookahead.append(phi - alpha * beta * m)
    return path, lookahead, evaluated


# ---- plain gradient descent (eqs. 6.3, 6.10) -----------------------------------------------------

@given(data=start_and_grads(), lr=learning_rates, style=st.sampled_from(["torch", "book"]))
@settings(max_examples=30, deadline=None)
def test_plain_sgd_is_eq_6_10_in_both_styles(data, lr, style):
    phi0, grads = data
    p = param(phi0)
    path = run(SGD([p], lr=lr, style=style), p, grads)
    expected = phi0
    for g, got in zip(grads, path):
        expected = expected - lr * g
        np.testing.assert_allclose(got, expected, **TIGHT)


# ---- momentum ------------------------------------------------------------------------------------

@given(data=start_and_grads(), lr=learning_rates, beta=unit_interval)
@settings(max_examples=40, deadline=None)
def test_book_momentum_is_eq_6_11(data, lr, beta):
    phi0, grads = data
    p = param(phi0)
    path = run(SGD([p], lr=lr, momentum=beta, style="book"), p, grads)
    np.testing.assert_allclose(path, book_momentum(phi0, grads, lr, beta), **TIGHT)


@given(data=start_and_grads(), lr=learning_rates, mu=st.floats(0.0, 1.5), dampening=st.floats(0.0, 1.0),
       weight_decay=st.floats(0.0, 0.5), nesterov=st.booleans())
@settings(max_examples=60, deadline=None)
def test_torch_style_matches_pytorchs_rule(data, lr, mu, dampening, weight_decay, nesterov):
    phi0, grads = data
    if nesterov:
        mu, dampening = max(mu, 0.1), 0.0
    p = param(phi0)
    opt = SGD([p], lr=lr, momentum=mu, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov)
    path = run(opt, p, grads)
    np.testing.assert_allclose(path, torch_sgd(phi0, grads, lr, mu, dampening, weight_decay, nesterov), **TIGHT)


@given(data=start_and_grads(), lr=learning_rates, style=st.sampled_from(["torch", "book"]))
@settings(max_examples=20, deadline=None)
def test_momentum_zero_is_plain_sgd(data, lr, style):
    phi0, grads = data
    a, b = param(phi0), param(phi0)
    path_momentum = run(SGD([a], lr=lr, momentum=0.0, style=style), a, grads)
    path_plain = [phi0 - lr * np.cumsum(grads[:k + 1], axis=0)[-1] for k in range(len(grads))]
    np.testing.assert_allclose(path_momentum, path_plain, **TIGHT)
    run(SGD([b], lr=lr, style=style), b, grads)
    np.testing.assert_array_equal(a.data, b.data)
    # with β = 0 the book's damped rule is SGD as well
    c = param(phi0)
    np.testing.assert_allclose(run(SGD([c], lr=lr, momentum=0.0, style="book"), c, grads), path_plain, **TIGHT)


@given(data=start_and_grads(), alpha=learning_rates, beta=st.floats(0.01, 0.99))
@settings(max_examples=40, deadline=None)
def test_torch_sgd_with_scaled_lr_reproduces_book_momentum(data, alpha, beta):
    """docs/conventions.md, "Momentum": SGD(lr=α(1−β), momentum=β) in PyTorch's form is eq. 6.11 exactly."""
    phi0, grads = data
    torch_p, book_p = param(phi0), param(phi0)
    torch_path = run(SGD([torch_p], lr=alpha * (1 - beta), momentum=beta), torch_p, grads)
    book_path = run(SGD([book_p], lr=alpha, momentum=beta, style="book"), book_p, grads)
    np.testing.assert_allclose(torch_path, book_path, rtol=1e-9, atol=1e-9)


def test_dampening_beta_is_not_the_book_rule():
    """PyTorch's dampening=β skips the damping on step 1, so it differs from eq. 6.11 (docs/conventions.md, "Momentum")."""
    phi0, grads, beta = np.zeros(1), [np.ones(1)] * 2, 0.9
    p = param(phi0)
    torch_path = run(SGD([p], lr=1.0, momentum=beta, dampening=beta), p, grads)
    np.testing.assert_allclose(torch_path[0], [-1.0])  # undamped first step: −g
    assert not np.allclose(torch_path, book_momentum(phi0, grads, 1.0, beta))


# ---- Nesterov ------------------------------------------------------------------------------------

def quadratic(curvature, centre):
    """L = ½ Σ a (φ − c)², ∇L = a (φ − c): a loss whose gradient is known in closed form."""
    return lambda phi: curvature * (phi - centre)


@st.composite
def nesterov_problems(draw):
    n = draw(st.integers(1, 4))
    floats = st.floats(-5, 5, allow_subnormal=False)
    phi0 = np.array(draw(st.lists(floats, min_size=n, max_size=n)))
    centre = np.array(draw(st.lists(floats, min_size=n, max_size=n)))
    curvature = np.array(draw(st.lists(st.floats(0.1, 3.0), min_size=n, max_size=n)))
    return phi0, quadratic(curvature, centre), curvature, centre


def closure_for(opt, p, curvature, centre):
    """A PyTorch-style closure: clear, evaluate the loss on the engine, backward, return the loss."""
    def closure():
        opt.zero_grad()
        loss = 0.5 * (Tensor(curvature) * (p - Tensor(centre)) ** 2).sum()
        loss.backward()
        return loss
    return closure


@given(problem=nesterov_problems(), alpha=st.floats(0.01, 0.5), beta=st.floats(0.05, 0.95),
       steps=st.integers(1, 6), draft=st.booleans())
@settings(max_examples=40, deadline=None)
def test_book_nesterov_is_eq_6_12(problem, alpha, beta, steps, draft):
    phi0, grad_fn, curvature, centre = problem
    p = param(phi0)
    opt = SGD([p], lr=alpha, momentum=beta, nesterov=True, style="book", draft_lookahead=draft)
    closure = closure_for(opt, p, curvature, centre)
    path = []
    for _ in range(steps):
        loss = opt.step(closure)
        path.append(p.data.copy())
    expected, _, evaluated = book_nesterov(phi0, grad_fn, steps, alpha, beta, draft)
    np.testing.assert_allclose(path, expected, **TIGHT)
    # step() returns the closure's loss: the loss at the last look-ahead point
    np.testing.assert_allclose(loss.item(), 0.5 * np.sum(curvature * (evaluated[-1] - centre) ** 2), **TIGHT)


def test_book_nesterov_final_and_draft_differ():
    grad_fn = quadratic(np.array([1.0]), np.array([0.0]))
    final = book_nesterov(np.array([1.0]), grad_fn, 3, 0.5, 0.9)[0]
    draft = book_nesterov(np.array([1.0]), grad_fn, 3, 0.5, 0.9, draft=True)[0]
    paths = {}
    for flag in (False, True):
        p = param([1.0])
        opt = SGD([p], lr=0.5, momentum=0.9, nesterov=True, style="book", draft_lookahead=flag)
        closure = closure_for(opt, p, np.array([1.0]), np.array([0.0]))
        paths[flag] = [(opt.step(closure), p.data.copy())[1] for _ in range(3)]
    np.testing.assert_allclose(paths[False], final, **TIGHT)
    np.testing.assert_allclose(paths[True], draft, **TIGHT)
    assert not np.allclose(final, draft)


@given(problem=nesterov_problems(), alpha=st.floats(0.01, 0.5), beta=st.floats(0.05, 0.95), steps=st.integers(1, 6))
@settings(max_examples=30, deadline=None)
def test_torch_nesterov_follows_the_books_lookahead_points(problem, alpha, beta, steps):
    """PyTorch's Nesterov with lr = α(1−β), gradient at its own parameters, visits exactly the book's
    look-ahead points φ_t − αβm_t (eq. 6.12): a reparameterisation, not the same φ_t."""
    phi0, grad_fn, _, _ = problem
    p = param(phi0)
    opt = SGD([p], lr=alpha * (1 - beta), momentum=beta, nesterov=True)
    path = []
    for _ in range(steps):
        set_grad(p, grad_fn(p.data))
        opt.step()
        path.append(p.data.copy())
    lookahead = book_nesterov(phi0, grad_fn, steps, alpha, beta)[1]
    np.testing.assert_allclose(path, lookahead, rtol=1e-9, atol=1e-9)


def test_book_nesterov_needs_a_closure_and_restores_parameters_on_error():
    p = param([1.0, 2.0])
    opt = SGD([p], lr=0.1, momentum=0.9, nesterov=True, style="book")
    with pytest.raises(ValueError, match="closure"):
        opt.step()
    closure = closure_for(opt, p, np.ones(2), np.zeros(2))
    opt.step(closure)
    before = p.data.copy()

    def failing():
        raise RuntimeError("boom")
    with pytest.raises(RuntimeError, match="boom"):
        opt.step(failing)
    np.testing.assert_array_equal(p.data, before)  # moved to the look-ahead point and back


def test_book_nesterov_ignores_stale_gradients():
    """step() clears gradients before calling the closure, so a gradient computed at φ (not at the
    look-ahead point) cannot leak into the update even if the closure forgets zero_grad()."""
    curvature, centre = np.array([2.0]), np.array([0.5])
    p = param([1.0])
    opt = SGD([p], lr=0.2, momentum=0.5, nesterov=True, style="book")

    def closure():  # no zero_grad()
        loss = 0.5 * (Tensor(curvature) * (p - Tensor(centre)) ** 2).sum()
        loss.backward()
        return loss
    path = []
    for _ in range(4):
        set_grad(p, [123.0])  # a stale gradient
        opt.step(closure)
        path.append(p.data.copy())
    expected = book_nesterov(np.array([1.0]), quadratic(curvature, centre), 4, 0.2, 0.5)[0]
    np.testing.assert_allclose(path, expected, **TIGHT)


# ---- weight decay (eqs. 9.13, 9.22-9.23) ---------------------------------------------------------

@given(data=start_and_grads(), alpha=learning_rates, beta=unit_interval, decay=st.floats(0.0, 0.5))
@settings(max_examples=30, deadline=None)
def test_book_weight_decay_is_eq_9_13(data, alpha, beta, decay):
    phi0, grads = data
    p = param(phi0)
    path = run(SGD([p], lr=alpha, momentum=beta, weight_decay=decay, style="book"), p, grads)
    np.testing.assert_allclose(path, book_momentum(phi0, grads, alpha, beta, decay), **TIGHT)


@given(phi0=st.lists(st.floats(-3, 3), min_size=1, max_size=4), alpha=st.floats(0.01, 0.3),
       decay=st.floats(0.001, 0.3), steps=st.integers(1, 5))
@settings(max_examples=25, deadline=None)
def test_weight_decay_equals_l2_with_coefficient_over_2_alpha(phi0, alpha, decay, steps):
    """Eq. 9.23: decay λ′ under SGD = gradient descent on L + λ′/(2α)·Σφ² (here through backward)."""
    target = np.linspace(-1, 1, len(phi0))
    a, b, c = param(phi0), param(phi0), param(phi0)
    book = SGD([a], lr=alpha, weight_decay=decay, style="book")
    torch = SGD([b], lr=alpha, weight_decay=decay / alpha)  # PyTorch's wd = λ′/α
    plain = SGD([c], lr=alpha)
    for _ in range(steps):
        for opt, q, penalty in ((book, a, 0.0), (torch, b, 0.0), (plain, c, decay / (2 * alpha))):
            opt.zero_grad()
            loss = ((q - Tensor(target)) ** 2).sum() + penalty * (q ** 2).sum()
            loss.backward()
            opt.step()
    np.testing.assert_allclose(a.data, c.data, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.data, c.data, rtol=1e-10, atol=1e-12)


# ---- convergence on least squares (fig. 6.1's setting) --------------------------------------------

@pytest.mark.parametrize("kwargs", [dict(), dict(momentum=0.9, style="book"), dict(momentum=0.5),
                                    dict(momentum=0.5, nesterov=True)])
def test_gradient_descent_converges_to_least_squares_solution(kwargs):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 3))
    y = rng.normal(size=30)
    phi = param(np.zeros(3))
    lr = 0.9 / np.linalg.eigvalsh(2 * x.T @ x).max()  # stable for the summed loss of eq. 6.5
    opt = SGD([phi], lr=lr, **kwargs)
    for _ in range(600):
        opt.zero_grad()
        loss = ((Tensor(x) @ phi - Tensor(y)) ** 2).sum()
        loss.backward()
        opt.step()
    expected = np.linalg.lstsq(x, y, rcond=None)[0]
    np.testing.assert_allclose(phi.data, expected, atol=1e-8)


# ---- bad arguments -------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, match", [
    (dict(style="keras"), "style"),
    (dict(momentum=1.0, style="book"), "momentum"),
    (dict(momentum=0.5, dampening=0.5, style="book"), "dampening"),
    (dict(nesterov=True), "nesterov"),
    (dict(momentum=0.9, dampening=0.1, nesterov=True), "nesterov"),
    (dict(draft_lookahead=True), "draft_lookahead"),
    (dict(momentum=-0.1), "momentum"),
    (dict(weight_decay=1.0, style="book"), "weight_decay"),
    (dict(lr=-1.0), "lr"),
    (dict(lr=float("nan")), "lr"),
])
def test_bad_hyperparameters_are_refused(kwargs, match):
    kwargs = {"lr": 0.1, **kwargs}
    with pytest.raises(ValueError, match=match):
        SGD([param([1.0])], **kwargs)


def test_lr_is_required_and_must_be_a_number():
    with pytest.raises(TypeError):
        SGD([param([1.0])])
    with pytest.raises(TypeError, match="lr must be a number"):
        SGD([param([1.0])], lr="0.1")
