"""Benchmark W7 (a GPT training step): every installed system computes the same step, our compiled
row is our eager row bit for bit, the hand-written numpy floor's backward pass matches central
differences of its own forward pass, and the Adam written out for the floor and JAX is PyTorch's."""
import math
import warnings

import numpy as np
import pytest

from benchmarks import harness, w7_gpt
from benchmarks.harness import JAX, NUMPY, OURS, TORCH
from tinygrad_udl.compile import CompileWarning


def test_w7_is_registered():
    assert [wl.key for wl in harness.load_workloads(quick=True, only=["W7"])] == ["W7"]


def test_w7_systems_take_the_same_step():
    (wl,) = w7_gpt.workloads(quick=True)
    checks = {sc.system: sc.make().check() for sc in wl.cases if harness.installed(sc.requires)}
    assert {OURS, f"{OURS} compiled", NUMPY} <= set(checks) <= {OURS, f"{OURS} compiled", NUMPY, TORCH, JAX}
    # (loss, sum of squared gradients, loss after one Adam step); the first loss near log 65 at initialisation
    for system, value in checks.items():
        np.testing.assert_allclose(value, checks[NUMPY], rtol=10 * wl.check_rtol, err_msg=system)
    loss, _, after = checks[NUMPY]
    assert after < loss


def test_w7_numpy_backward_matches_central_differences():
    case = w7_gpt.Numpy()
    case.params = {k: v.astype(np.float64) for k, v in case.params.items()}
    case.mask = case.mask.astype(np.float64)
    _, grads = case.loss_and_grads()
    rng = np.random.default_rng(5)
    direction = {k: rng.standard_normal(v.shape) for k, v in case.params.items()}
    norm = math.sqrt(sum(float((d * d).sum()) for d in direction.values()))
    base = dict(case.params)

    def loss_at(t):
        case.params = {k: base[k] + t * direction[k] / norm for k in base}
        return case.loss_and_grads()[0]

    eps = 1e-5
    numeric = (loss_at(eps) - loss_at(-eps)) / (2 * eps)
    analytic = sum(float((g * direction[k]).sum()) for k, g in zip(w7_gpt.NAMES, grads)) / norm
    assert analytic == pytest.approx(numeric, rel=1e-6)


def test_w7_compiled_step_is_the_eager_step_bit_for_bit():
    eager, compiled = w7_gpt.Ours(), w7_gpt.OursCompiled()
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)   # a fallback to eager mode would pass unnoticed
        for _ in range(3):  # two traces, then a replay
            (loss, grads), (want, want_grads) = compiled.train_step(), eager.train_step()
            assert loss == want
            for g, w in zip(grads, want_grads):
                np.testing.assert_array_equal(g, w)
    assert set(compiled.step_on.stats().values()) == {"replay"}
    assert compiled.loss() == eager.loss()


def test_adam_update_is_pytorch_s_adam_over_three_steps():
    rng = np.random.default_rng(2)
    params = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    grads = [[rng.standard_normal(p.shape) for p in params] for _ in range(3)]
    m, v = [np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params]
    ours = list(params)
    for t, g in enumerate(grads, 1):
        ours, m, v = w7_gpt.adam_update(ours, g, m, v, *w7_gpt.adam_corrections(t), np.sqrt)
    # the textbook form (eqs. 6.15-6.17 with bias-corrected moments), computed independently
    b1, b2 = w7_gpt.BETAS
    for i, p in enumerate(params):
        m_i = v_i = 0.0
        p = p.copy()
        for t, g in enumerate(grads, 1):
            m_i = b1 * m_i + (1 - b1) * g[i]
            v_i = b2 * v_i + (1 - b2) * g[i] ** 2
            p -= w7_gpt.LR * (m_i / (1 - b1 ** t)) / (np.sqrt(v_i / (1 - b2 ** t)) + w7_gpt.EPS)
        np.testing.assert_allclose(ours[i], p, rtol=1e-12)
