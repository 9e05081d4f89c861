"""Chapter 9 regularisers: penalties, weight selection, the implicit GD term, noise, early stopping."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_udl as tg
from tinygrad_udl import nn
from tinygrad_udl.gradcheck import gradcheck

from nn_testing import check_grads
from support.finite_differences import numerical_grad


def model():
    return nn.Sequential(nn.Linear(3, 4, dtype=np.float64, rng=0), nn.PReLU(dtype=np.float64),
                         nn.Linear(4, 2, dtype=np.float64, rng=1))


@settings(max_examples=20, deadline=None)
@given(hnp.arrays(np.float64, (3, 2), elements=st.floats(-3, 3)), hnp.arrays(np.float64, 4, elements=st.floats(-3, 3)))
def test_l2_and_l1_penalties_and_their_gradients(a, b):
    assert nn.l2_penalty([tg.Tensor(a), tg.Tensor(b)]).item() == pytest.approx(np.sum(a ** 2) + np.sum(b ** 2))
    assert nn.l1_penalty([tg.Tensor(a), tg.Tensor(b)]).item() == pytest.approx(np.sum(np.abs(a)) + np.sum(np.abs(b)))
    check_grads(lambda x, y: nn.l2_penalty([x, y]), a, b)
    x = tg.Tensor(a, requires_grad=True)
    nn.l2_penalty([x]).backward()
    np.testing.assert_allclose(x.grad.data, 2 * a)  # eq. 9.5 adds 2λφ to the gradient
    a = np.where(np.abs(a) < 1e-3, 0.5, a)  # |.| has a kink at 0
    b = np.where(np.abs(b) < 1e-3, 0.5, b)
    check_grads(lambda x, y: nn.l1_penalty([x, y]), a, b)


def test_weights_only_selection_exempts_biases_and_one_dimensional_scales():
    m = model()
    assert [id(p) for p in nn.weight_parameters(m)] == [id(m[0].weight), id(m[2].weight)]
    groups = nn.parameter_groups(m, weight_decay=0.01)
    assert [g["weight_decay"] for g in groups] == [0.01, 0.0]
    assert {id(p) for p in groups[1]["params"]} == {id(m[0].bias), id(m[1].weight), id(m[2].bias)}
    assert sum(len(g["params"]) for g in groups) == len(list(m.parameters()))
    assert len(nn.parameter_groups(nn.Linear(2, 2, bias=False), 0.1)) == 1  # empty groups left out
    named_bias = nn.Module()
    named_bias.bias_matrix = nn.Parameter(np.zeros((2, 2)))
    assert nn.weight_parameters(named_bias) == []


def test_l2_of_a_module_covers_every_parameter():
    m = model()
    total = sum(np.sum(p.data ** 2) for p in m.parameters())
    assert nn.l2_penalty(m).item() == pytest.approx(total)
    with pytest.raises(ValueError, match="no parameters"):
        nn.l2_penalty([])


def test_gradient_norm_penalty_on_a_quadratic():
    # L = ½ φᵀAφ: ∂L/∂φ = Aφ, so (α/4)‖Aφ‖² has gradient (α/2) AᵀAφ (eq. 9.8)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 3))
    a = a + a.T
    phi0 = rng.standard_normal(3)
    lr = 0.1
    phi = tg.Tensor(phi0, requires_grad=True)
    loss = 0.5 * (phi * (tg.Tensor(a) @ phi)).sum()
    penalty = nn.gradient_norm_penalty(loss, [phi], lr)
    assert penalty.item() == pytest.approx(lr / 4 * np.sum((a @ phi0) ** 2))
    penalty.backward()
    np.testing.assert_allclose(phi.grad.data, lr / 2 * a.T @ a @ phi0, rtol=1e-12)


def test_input_noise_has_the_requested_spread_and_passes_gradients():
    x = tg.Tensor(np.zeros((200, 100)), requires_grad=True)
    noisy = nn.add_input_noise(x, 0.3, rng=0)
    assert abs(noisy.data.std() - 0.3) < 0.01 and abs(noisy.data.mean()) < 0.01
    noisy.sum().backward()
    np.testing.assert_array_equal(x.grad.data, 1.0)
    np.testing.assert_array_equal(nn.add_input_noise(np.ones(5), 0.1, rng=4).data,
                                  nn.add_input_noise(np.ones(5), 0.1, rng=4).data)
    assert nn.add_input_noise(np.zeros(3, np.float32), 0.1, rng=0).dtype == np.float32
    with pytest.raises(ValueError, match="std"):
        nn.add_input_noise(np.zeros(3), -1.0)


def test_weight_noise_perturbs_then_restores_exactly():
    m = model()
    before = {k: v.copy() for k, v in m.state_dict().items()}
    x = np.ones((1, 3))
    with nn.add_weight_noise(m, 0.1, rng=0):
        assert any(np.any(p.data != before[n]) for n, p in m.named_parameters())
        m(x).sum().backward()
        noisy_hidden = m[1](m[0](x)).data
    for n, p in m.named_parameters():
        np.testing.assert_array_equal(p.data, before[n])
    # the gradient was taken at the perturbed weights: d(sum of outputs)/dΩ_2 = 1 hᵀ with the noisy h
    np.testing.assert_allclose(m[2].weight.grad.data, np.ones((2, 1)) @ noisy_hidden, rtol=1e-12)
    clean_hidden = m[1](m[0](x)).data
    assert np.any(np.abs(clean_hidden - noisy_hidden) > 1e-6)


def test_weight_noise_restores_on_errors_too():
    m = model()
    before = m[0].weight.data.copy()
    with pytest.raises(RuntimeError, match="boom"):
        with nn.add_weight_noise(m.parameters(), 1.0, rng=0):
            raise RuntimeError("boom")
    np.testing.assert_array_equal(m[0].weight.data, before)


def test_early_stopping_counts_checks_without_improvement():
    stopper = nn.EarlyStopping(patience=2, min_delta=0.05)
    decisions = [stopper.step(v) for v in [1.0, 0.8, 0.78, 0.9, 0.7, 0.69, 0.72]]
    # 0.78 and 0.69 improve by less than min_delta; 0.9 and 0.72 are worse
    assert decisions == [False, False, False, True, False, False, True]
    assert stopper.best == 0.7 and stopper.best_step == 4


def test_early_stopping_keeps_and_restores_the_best_checkpoint():
    m = model()
    stopper = nn.EarlyStopping(patience=3, mode="max")
    best_state = None
    for step, accuracy in enumerate([0.5, 0.7, 0.6]):
        stopper.step(accuracy, m)
        if step == 1:
            best_state = {k: v.copy() for k, v in m.state_dict().items()}
        for p in m.parameters():
            p.data += 1.0  # "training" moves on
    stopper.restore_best(m)
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v, best_state[k])


def test_early_stopping_errors():
    with pytest.raises(ValueError, match="patience"):
        nn.EarlyStopping(patience=0)
    with pytest.raises(ValueError, match="mode"):
        nn.EarlyStopping(mode="lowest")
    with pytest.raises(ValueError, match="NaN"):
        nn.EarlyStopping().step(math.nan)
    with pytest.raises(RuntimeError, match="no checkpoint"):
        nn.EarlyStopping().restore_best(model())


def test_gradcheck_of_the_penalties():
    rng = np.random.default_rng(3)
    w = tg.Tensor(rng.standard_normal((3, 2)), requires_grad=True)
    b = tg.Tensor(rng.uniform(0.2, 1, 4) * rng.choice([-1, 1], 4), requires_grad=True)
    assert gradcheck(lambda p, q: nn.l2_penalty([p, q]) + 0.3 * nn.l1_penalty([p, q]), [w, b]).ok


def test_gradient_norm_penalty_gradient_against_finite_differences():
    # L = Σ p·tanh(p), ∂L/∂p = tanh(p) + p(1 − tanh²(p)) in closed form; the penalty's own gradient
    # needs the second derivative of L (create_graph), checked here by differencing the closed form.
    # (gradcheck cannot evaluate it: its numerical side runs fn under no_grad, where grad() has no graph.)
    p0 = np.random.default_rng(4).standard_normal((3, 2))

    def penalty_value(p):
        g = np.tanh(p) + p * (1 - np.tanh(p) ** 2)
        return 0.1 / 4 * np.sum(g * g)

    p = tg.Tensor(p0, requires_grad=True)
    penalty = nn.gradient_norm_penalty((p.tanh() * p).sum(), [p], 0.1)
    assert penalty.item() == pytest.approx(penalty_value(p0), rel=1e-12)
    penalty.backward()
    np.testing.assert_allclose(p.grad.data, numerical_grad(penalty_value, p0), rtol=1e-6, atol=1e-9)
