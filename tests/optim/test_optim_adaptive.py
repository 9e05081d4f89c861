"""Adam against the book's eqs. 6.13-6.18 and PyTorch's rule; AdamW, RMSprop and Adagrad against
PyTorch's published algorithms -- each written out in numpy here, step by step."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from optim_testing import learning_rates, param, run, start_and_grads, unit_interval

from tinygrad_udl import Tensor
from tinygrad_udl.optim import Adagrad, Adam, AdamW, RMSprop

CLOSE = dict(rtol=1e-9, atol=1e-10)
epsilons = st.sampled_from([0.0, 1e-8, 1e-3, 0.1])


def book_adam(phi, grads, alpha, beta, gamma, eps):
    """Eqs. 6.15-6.17 with t = 0, 1, ...: m, v moving averages; m̃ = m/(1−β^(t+1)),
    ṽ = v/(1−γ^(t+1)); φ ← φ − α m̃/(√ṽ + ε)."""
    m, v, path = np.zeros_like(phi), np.zeros_like(phi), []
    for t, g in enumerate(grads):
        m = beta * m + (1 - beta) * g
        v = gamma * v + (1 - gamma) * g ** 2
        m_tilde = m / (1 - beta ** (t + 1))
        v_tilde = v / (1 - gamma ** (t + 1))
        phi = phi - alpha * m_tilde / (np.sqrt(v_tilde) + eps)
        path.append(phi)
    return path


def torch_adam(theta, grads, lr, beta1, beta2, eps, weight_decay=0.0, amsgrad=False, decoupled=False):
    """PyTorch's Adam / AdamW as implemented: step from 1, step_size = lr/bc1,
    denom = √v/√bc2 + ε (AMSGrad: the running max of v); AdamW first θ ← θ(1 − lr·λ)."""
    m, v, v_max, path = np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta), []
    for step, g in enumerate(grads, start=1):
        if decoupled:
            theta = theta * (1 - lr * weight_decay)
        elif weight_decay:
            g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        bias_correction1, bias_correction2 = 1 - beta1 ** step, 1 - beta2 ** step
        if amsgrad:
            v_max = np.maximum(v_max, v)
            denom = np.sqrt(v_max) / np.sqrt(bias_correction2) + eps
        else:
            denom = np.sqrt(v) / np.sqrt(bias_correction2) + eps
        theta = theta - lr / bias_correction1 * m / denom
        path.append(theta)
    return path


def torch_rmsprop(theta, grads, lr, alpha, eps, weight_decay, momentum, centered):
    """PyTorch's RMSprop: v ← αv + (1−α)g²; centered: ḡ ← αḡ + (1−α)g, v − ḡ² under the root;
    b ← μb + g/(√· + ε) with momentum, else θ ← θ − lr g/(√· + ε)."""
    v, mean, b, path = np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta), []
    for g in grads:
        if weight_decay:
            g = g + weight_decay * theta
        v = alpha * v + (1 - alpha) * g * g
        v_used = v
        if centered:
            mean = alpha * mean + (1 - alpha) * g
            v_used = np.maximum(v - mean * mean, 0.0)  # PyTorch would take sqrt of a rounding-negative
        denom = np.sqrt(v_used) + eps
        if momentum > 0:
            b = momentum * b + g / denom
            theta = theta - lr * b
        else:
            theta = theta - lr * g / denom
        path.append(theta)
    return path


def torch_adagrad(theta, grads, lr, lr_decay, weight_decay, initial, eps):
    """PyTorch's Adagrad: γ̃ = lr/(1 + (t−1)η); s ← s + g²; θ ← θ − γ̃ g/(√s + ε)."""
    s, path = np.full_like(theta, initial), []
    for t, g in enumerate(grads, start=1):
        if weight_decay:
            g = g + weight_decay * theta
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g
        theta = theta - clr * g / (np.sqrt(s) + eps)
        path.append(theta)
    return path


# ---- Adam ------------------------------------------------------------------------------------------

@given(data=start_and_grads(), lr=learning_rates, beta=unit_interval, gamma=unit_interval, eps=epsilons)
@settings(max_examples=50, deadline=None)
def test_adam_is_eqs_6_15_to_6_17(data, lr, beta, gamma, eps):
    phi0, grads = data
    if eps == 0:  # keep away from x/0 where g² is zero or underflows
        grads = [np.where(np.abs(g) < 1e-3, 1.0, g) for g in grads]
    p = param(phi0)
    path = run(Adam([p], lr=lr, betas=(beta, gamma), eps=eps), p, grads)
    np.testing.assert_allclose(path, book_adam(phi0, grads, lr, beta, gamma, eps), **CLOSE)


@given(data=start_and_grads(), lr=learning_rates, beta1=unit_interval, beta2=unit_interval,
       eps=st.sampled_from([1e-8, 1e-3]), weight_decay=st.sampled_from([0.0, 0.01, 0.3]), amsgrad=st.booleans())
@settings(max_examples=50, deadline=None)
def test_adam_matches_pytorchs_rule(data, lr, beta1, beta2, eps, weight_decay, amsgrad):
    phi0, grads = data
    p = param(phi0)
    opt = Adam([p], lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
    path = run(opt, p, grads)
    np.testing.assert_allclose(path, torch_adam(phi0, grads, lr, beta1, beta2, eps, weight_decay, amsgrad), **CLOSE)


@given(data=start_and_grads(), lr=learning_rates, beta1=unit_interval, beta2=unit_interval,
       weight_decay=st.sampled_from([0.0, 0.01, 0.3]), amsgrad=st.booleans())
@settings(max_examples=40, deadline=None)
def test_adamw_matches_pytorchs_rule(data, lr, beta1, beta2, weight_decay, amsgrad):
    phi0, grads = data
    p = param(phi0)
    path = run(AdamW([p], lr=lr, betas=(beta1, beta2), weight_decay=weight_decay, amsgrad=amsgrad), p, grads)
    expected = torch_adam(phi0, grads, lr, beta1, beta2, 1e-8, weight_decay, amsgrad, decoupled=True)
    np.testing.assert_allclose(path, expected, **CLOSE)


def test_adamw_default_decay_and_difference_from_adam_l2():
    """AdamW's decay is not Adam's L2 (section 9.1 Notes): same λ, different parameters."""
    g = [np.array([0.5, -2.0])] * 3
    a, w = param([1.0, 1.0]), param([1.0, 1.0])
    run(Adam([a], lr=0.1, weight_decay=0.01), a, g)
    opt = AdamW([w], lr=0.1)
    assert opt.param_groups[0]["weight_decay"] == 0.01
    run(opt, w, g)
    assert not np.allclose(a.data, w.data)


@given(g=st.lists(st.floats(1e-3, 1e3) | st.floats(-1e3, -1e-3), min_size=1, max_size=6),
       lr=learning_rates, beta=unit_interval, gamma=unit_interval)
@settings(max_examples=40, deadline=None)
def test_adam_first_step_is_minus_lr_times_sign(g, lr, beta, gamma):
    """m̃ = g and ṽ = g² after one step, so the step is −α g/(|g| + ε) = −α sign(g) up to ε."""
    g = np.array(g)
    p = param(np.zeros_like(g))
    eps = 1e-8
    run(Adam([p], lr=lr, betas=(beta, gamma), eps=eps), p, [g])
    np.testing.assert_allclose(p.data, -lr * np.sign(g), rtol=0, atol=lr * eps / np.abs(g).min() * 1.01 + 1e-15)


@given(data=start_and_grads(), lr=learning_rates, eps=st.sampled_from([1e-8, 1e-2]))
@settings(max_examples=25, deadline=None)
def test_adam_without_momentum_is_the_normalized_gradient(data, lr, eps):
    """betas=(0, 0) gives eqs. 6.13-6.14: φ ← φ − α g/(√(g²) + ε)."""
    phi0, grads = data
    p = param(phi0)
    path = run(Adam([p], lr=lr, betas=(0.0, 0.0), eps=eps), p, grads)
    expected, phi = [], phi0
    for g in grads:
        phi = phi - lr * g / (np.sqrt(g ** 2) + eps)
        expected.append(phi)
    np.testing.assert_allclose(path, expected, **CLOSE)


def test_adam_converges_on_an_anisotropic_bowl():
    """Fig. 6.9's setting: a loss much steeper in one direction; Adam reaches the minimum."""
    scale = np.array([1.0, 100.0])
    phi = param([3.0, -2.0])
    opt = Adam([phi], lr=0.05)
    for _ in range(2000):
        opt.zero_grad()
        (Tensor(scale) * phi ** 2).sum().backward()
        opt.step()
    np.testing.assert_allclose(phi.data, [0.0, 0.0], atol=1e-3)


# ---- RMSprop and Adagrad -----------------------------------------------------------------------------

@given(data=start_and_grads(), lr=learning_rates, alpha=unit_interval, eps=st.sampled_from([1e-8, 1e-3]),
       weight_decay=st.sampled_from([0.0, 0.1]), momentum=st.sampled_from([0.0, 0.5, 0.9]), centered=st.booleans())
@settings(max_examples=60, deadline=None)
def test_rmsprop_matches_pytorchs_rule(data, lr, alpha, eps, weight_decay, momentum, centered):
    phi0, grads = data
    p = param(phi0)
    opt = RMSprop([p], lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered)
    path = run(opt, p, grads)
    np.testing.assert_allclose(path, torch_rmsprop(phi0, grads, lr, alpha, eps, weight_decay, momentum, centered), **CLOSE)


@given(data=start_and_grads(), lr=learning_rates, lr_decay=st.sampled_from([0.0, 0.1]),
       weight_decay=st.sampled_from([0.0, 0.1]), initial=st.sampled_from([0.0, 0.1]),
       eps=st.sampled_from([1e-10, 1e-3]))
@settings(max_examples=50, deadline=None)
def test_adagrad_matches_pytorchs_rule(data, lr, lr_decay, weight_decay, initial, eps):
    phi0, grads = data
    p = param(phi0)
    path = run(Adagrad([p], lr=lr, lr_decay=lr_decay, weight_decay=weight_decay, initial_accumulator_value=initial,
                       eps=eps), p, grads)
    np.testing.assert_allclose(path, torch_adagrad(phi0, grads, lr, lr_decay, weight_decay, initial, eps), **CLOSE)


def test_defaults_are_pytorchs():
    p = param([1.0])
    assert {k: Adam([p]).defaults[k] for k in ("lr", "betas", "eps")} == {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8}
    assert {k: RMSprop([p]).defaults[k] for k in ("lr", "alpha", "eps")} == {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8}
    assert {k: Adagrad([p]).defaults[k] for k in ("lr", "eps")} == {"lr": 1e-2, "eps": 1e-10}


@pytest.mark.parametrize("make, match", [
    (lambda p: Adam(p, betas=(0.9, 1.0)), "γ"),
    (lambda p: Adam(p, betas=(-0.1, 0.9)), "β"),
    (lambda p: Adam(p, betas=(0.9,)), "pair"),
    (lambda p: Adam(p, eps=-1.0), "eps"),
    (lambda p: Adam(p, amsgrad=1), "amsgrad"),
    (lambda p: AdamW(p, weight_decay=-0.1), "weight_decay"),
    (lambda p: RMSprop(p, alpha=1.0), "alpha"),
    (lambda p: RMSprop(p, momentum=-1.0), "momentum"),
    (lambda p: Adagrad(p, lr_decay=-1.0), "lr_decay"),
])
def test_bad_hyperparameters_are_refused(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make([param([1.0])])
