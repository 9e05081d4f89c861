"""Benchmark W8 (a DQN agent's inner loop): the systems compute the same steps, our compiled row is
our eager row bit for bit, our step is `rl.dqn`'s loss, and the numpy floor's hand-written
gradients match central differences of its own loss in float64.

Independent references: the first action values and TD loss recomputed here in float64 from the
shared weights and data; central differences; `rl.dqn`'s `fitted_q_loss` / `q_learning_targets`.
"""
import warnings

import numpy as np
import pytest

import tinygrad_udl as tg
from benchmarks import harness, w8_dqn
from benchmarks.harness import NUMPY, OURS
from tinygrad_udl.compile import CompileWarning
from tinygrad_udl.rl.dqn import fitted_q_loss, q_learning_targets


def q64(weights, x):
    """The Q-network in float64 (the reference forward)."""
    w1, b1, w2, b2, w3, b3 = (w.astype(np.float64) for w in weights)
    h = np.maximum(x @ w1.T + b1, 0)
    return np.maximum(h @ w2.T + b2, 0) @ w3.T + b3


def test_w8_is_registered():
    assert [wl.key for wl in harness.load_workloads(quick=True, only=["W8"])] == ["W8"]


def test_w8_systems_agree_with_the_first_step_computed_here():
    (wl,) = w8_dqn.workloads(quick=True)
    checks = {sc.system: sc.make().check() for sc in wl.cases if harness.installed(sc.requires)}
    assert {OURS, f"{OURS} compiled", NUMPY} <= set(checks)
    data = w8_dqn.setup()
    s, a, r, s2, d = (column[0] for column in data.batches)
    y = r + w8_dqn.GAMMA * (1 - d) * q64(data.weights, s2).max(axis=1)
    first_loss = ((q64(data.weights, s)[np.arange(len(a)), a] - y) ** 2).mean()
    expected = (*q64(data.weights, data.states[0])[0], first_loss)
    for system, value in checks.items():
        np.testing.assert_allclose(value[:3], expected, rtol=wl.check_rtol, err_msg=system)
        np.testing.assert_allclose(value, checks[NUMPY], rtol=wl.check_rtol, err_msg=system)


def test_every_system_acts_greedily():
    (wl,) = w8_dqn.workloads(quick=True)
    data = w8_dqn.setup()
    for sc in wl.cases:
        if harness.installed(sc.requires):
            case = sc.make()
            for state in data.states[:20]:
                assert case.act(state) == int(q64(data.weights, state).argmax()), sc.system


def test_compiled_row_is_the_eager_row_bit_for_bit():
    eager, compiled = w8_dqn.Ours(inner=3), w8_dqn.OursCompiled(inner=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)   # a fallback to eager mode would pass unnoticed
        for i in range(6):  # two traces, then replays
            state = eager.data.states[i]
            np.testing.assert_array_equal(compiled.q_values(state), eager.q_values(state))
            assert compiled.env_step() == eager.env_step()
        compiled.step()
        eager.step()
    assert set(compiled.forward.stats().values()) == set(compiled.learn.stats().values()) == {"replay"}
    for p, q in zip(compiled.net.parameters(), eager.net.parameters()):
        np.testing.assert_array_equal(p.data, q.data)


def test_our_training_step_is_rl_dqn_s_loss():
    """The benchmark's step (its target from Tensor ops) against `rl.dqn`'s functions (eq. 19.16)."""
    data = w8_dqn.setup()
    s, a, r, s2, d = (column[3] for column in data.batches)
    case = w8_dqn.Ours(inner=1)
    case.optimizer.step = lambda: None   # compare the gradients before any update
    loss = case.learn(s, a, r, s2, d)
    grads = [p.grad.data.copy() for p in case.net.parameters()]
    case.optimizer.zero_grad()
    targets = q_learning_targets(case.target, r, s2, d.astype(bool), w8_dqn.GAMMA)
    reference = fitted_q_loss(case.net(tg.Tensor(s)), a, targets)
    reference.backward()
    assert loss == pytest.approx(reference.item(), rel=1e-6)
    for g, p in zip(grads, case.net.parameters()):
        np.testing.assert_allclose(g, p.grad.data, rtol=1e-5, atol=1e-7)


def test_numpy_floor_gradients_match_central_differences():
    case = w8_dqn.Numpy(inner=1)
    case.params = [p.astype(np.float64) for p in case.params]
    case.target_params = [p.astype(np.float64) for p in case.target_params]
    batch = [column[5].astype(np.float64) if column.dtype.kind == "f" else column[5] for column in case.data.batches]
    _, grads = case.loss_and_grads(*batch)
    eps = 1e-6
    for p, g in zip(case.params, grads):
        numeric = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + eps
            up = case.loss_and_grads(*batch)[0]
            p[idx] = old - eps
            down = case.loss_and_grads(*batch)[0]
            p[idx] = old
            numeric[idx] = (up - down) / (2 * eps)
        np.testing.assert_allclose(g, numeric, rtol=1e-5, atol=1e-8)

