"""Benchmark W7 (a GPT training step): every installed system computes the same step, and the
hand-written numpy floor's backward pass matches central differences of its own forward pass."""
import math

import numpy as np
import pytest

from benchmarks import harness, w7_gpt
from benchmarks.harness import NUMPY, OURS, TORCH


def test_w7_is_registered():
    assert [wl.key for wl in harness.load_workloads(quick=True, only=["W7"])] == ["W7"]


def test_w7_systems_take_the_same_step():
    (wl,) = w7_gpt.workloads(quick=True)
    checks = {sc.system: sc.make().check() for sc in wl.cases if harness.installed(sc.requires)}
    assert {OURS, NUMPY} <= set(checks) <= {OURS, NUMPY, TORCH}
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
