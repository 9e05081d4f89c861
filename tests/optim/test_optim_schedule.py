"""Learning-rate schedules: the documented sequences (PyTorch's docs examples, fig. 7.8, the closed
forms written out here), composition, the rate the optimizer actually uses, and state dicts."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from optim_testing import param, set_grad

from tinygrad_udl.optim import (SGD, Adam, ChainedScheduler, CosineAnnealingLR, ExponentialLR, LambdaLR, LinearLR,
                                LinearWarmup, LineSearchGD, SequentialLR, StepLR, lr_scheduler)


def sgd(lr=0.1, groups=1):
    return SGD([{"params": [param([0.0])], "lr": lr * (g + 1)} for g in range(groups)], lr=lr)


def rates(scheduler, epochs):
    """get_last_lr() at epochs 0..epochs-1 (step() after each epoch, as in a training loop)."""
    out = []
    for _ in range(epochs):
        out.append(scheduler.get_last_lr())
        scheduler.step()
    return np.array(out)


def test_fig_7_8_halves_the_rate_every_10_epochs():
    opt = SGD([param([0.0])], lr=0.1, momentum=0.9)
    got = rates(StepLR(opt, step_size=10, gamma=0.5), 100)[:, 0]
    expected = np.repeat([0.1, 0.05, 0.025, 0.0125, 0.00625, 0.003125, 0.0015625, 0.00078125, 0.000390625,
                          0.0001953125], 10)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_pytorch_doc_examples():
    # StepLR(step_size=30, gamma=0.1) from lr 0.05: 0.05 below 30, 0.005 below 60, 0.0005 below 90
    got = rates(StepLR(sgd(0.05), step_size=30, gamma=0.1), 90)[:, 0]
    np.testing.assert_allclose(got, np.repeat([0.05, 0.005, 0.0005], 30), rtol=1e-12)
    # LinearLR(start_factor=0.5, total_iters=4) from lr 0.05: 0.025, 0.03125, 0.0375, 0.04375, then 0.05
    got = rates(LinearLR(sgd(0.05), start_factor=0.5, total_iters=4), 7)[:, 0]
    np.testing.assert_allclose(got, [0.025, 0.03125, 0.0375, 0.04375, 0.05, 0.05, 0.05], rtol=1e-12)
    # ChainedScheduler([ConstantLR(factor=0.1, total_iters=2), ExponentialLR(gamma=0.9)]) from lr 1:
    # 0.1 for epochs 0-1, times 0.9^t. (The docs' comment lists these one epoch early, 0.09 at epoch 0,
    # but ExponentialLR leaves epoch 0 at the base rate in PyTorch too.)
    opt = sgd(1.0)
    constant = LambdaLR(opt, lambda e: 0.1 if e < 2 else 1.0)
    chain = ChainedScheduler([constant, ExponentialLR(opt, gamma=0.9)])
    np.testing.assert_allclose(rates(chain, 5)[:, 0], [0.1, 0.09, 0.81, 0.729, 0.6561], rtol=1e-12)
    # SequentialLR([ConstantLR(factor=0.1, total_iters=2), ExponentialLR(0.9)], milestones=[2]) from lr 1
    opt = sgd(1.0)
    seq = SequentialLR(opt, [LambdaLR(opt, lambda e: 0.1), ExponentialLR(opt, gamma=0.9)], milestones=[2])
    np.testing.assert_allclose(rates(seq, 5)[:, 0], [0.1, 0.1, 1.0, 0.9, 0.81], rtol=1e-12)


@given(base=st.floats(1e-4, 1.0), gamma=st.floats(0.1, 1.0), epochs=st.integers(1, 40))
@settings(max_examples=20, deadline=None)
def test_exponential(base, gamma, epochs):
    got = rates(ExponentialLR(sgd(base), gamma), epochs)[:, 0]
    np.testing.assert_allclose(got, [base * gamma ** t for t in range(epochs)], rtol=1e-12)


@given(base=st.floats(1e-3, 1.0), t_max=st.integers(1, 30), eta_min=st.floats(0.0, 1e-3))
@settings(max_examples=20, deadline=None)
def test_cosine_annealing(base, t_max, eta_min):
    got = rates(CosineAnnealingLR(sgd(base), T_max=t_max, eta_min=eta_min), t_max + 1)[:, 0]
    expected = [eta_min + (base - eta_min) * (1 + math.cos(math.pi * t / t_max)) / 2 for t in range(t_max + 1)]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    assert got[0] == pytest.approx(base) and got[-1] == pytest.approx(eta_min)


@given(warmup=st.integers(1, 12))
@settings(max_examples=12, deadline=None)
def test_linear_warmup_reaches_the_full_rate_at_step_w(warmup):
    got = rates(LinearWarmup(sgd(0.3), warmup), warmup + 3)[:, 0]
    expected = [0.3 * (t + 1) / warmup for t in range(warmup)] + [0.3] * 3
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_warmup_then_cosine():
    opt = sgd(1.0)
    schedule = SequentialLR(opt, [LinearWarmup(opt, 4), CosineAnnealingLR(opt, T_max=6)], milestones=[4])
    got = rates(schedule, 11)[:, 0]
    expected = [0.25, 0.5, 0.75, 1.0] + [(1 + math.cos(math.pi * t / 6)) / 2 for t in range(7)]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_chained_multiplies_the_factors():
    opt = sgd(0.2)
    chain = ChainedScheduler([StepLR(opt, 3, 0.5), ExponentialLR(opt, 0.9), LinearWarmup(opt, 2)])
    got = rates(chain, 8)[:, 0]
    expected = [0.2 * 0.5 ** (t // 3) * 0.9 ** t * min(1, (t + 1) / 2) for t in range(8)]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_every_group_scales_its_own_base_rate():
    opt = sgd(0.1, groups=3)
    got = rates(LambdaLR(opt, [lambda e: 1.0, lambda e: 0.5 ** e, lambda e: 1 / (e + 1)]), 4)
    expected = [[0.1, 0.2 * 0.5 ** t, 0.3 / (t + 1)] for t in range(4)]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_the_optimizer_uses_the_scheduled_rate():
    p = param([0.0])
    opt = SGD([p], lr=1.0)
    scheduler = StepLR(opt, step_size=2, gamma=0.1)
    moves = []
    for _ in range(5):
        before = p.data.copy()
        set_grad(p, [1.0])
        opt.step()
        moves.append((before - p.data)[0])
        scheduler.step()
    np.testing.assert_allclose(moves, [1.0, 1.0, 0.1, 0.1, 0.01], rtol=1e-12)


def test_adam_lr_is_scheduled_too():
    opt = Adam([param([0.0])], lr=0.01)
    scheduler = ExponentialLR(opt, 0.5)
    scheduler.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.005) and scheduler.get_last_lr() == [pytest.approx(0.005)]


def test_state_dict_resumes_the_schedule():
    opt = sgd(0.1)
    scheduler = StepLR(opt, 2, 0.5)
    for _ in range(5):
        scheduler.step()
    state = scheduler.state_dict()
    opt2 = sgd(0.1)
    resumed = StepLR(opt2, 2, 0.5)
    resumed.load_state_dict(state)
    assert resumed.last_epoch == 5 and opt2.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5 ** 2)
    np.testing.assert_allclose(rates(resumed, 3), rates(scheduler, 3), rtol=1e-15)
    with pytest.raises(ValueError, match="parameter group"):
        StepLR(sgd(0.1, groups=2), 2).load_state_dict(state)
    with pytest.raises(ValueError, match="keys"):
        StepLR(sgd(0.1), 2).load_state_dict({"last_epoch": 3})


def test_lr_scheduler_alias_is_pytorchs_module_name():
    assert lr_scheduler.StepLR is StepLR


@pytest.mark.parametrize("make, error, match", [
    (lambda o: StepLR(o, 0), ValueError, "step_size"),
    (lambda o: StepLR(o, 2.5), TypeError, "step_size"),
    (lambda o: ExponentialLR(o, -0.1), ValueError, "gamma"),
    (lambda o: CosineAnnealingLR(o, 0), ValueError, "T_max"),
    (lambda o: LinearWarmup(o, 0), ValueError, "warmup_steps"),
    (lambda o: LambdaLR(o, 0.5), TypeError, "lr_lambda"),
    (lambda o: LambdaLR(o, lambda e: -1.0), ValueError, "lr_lambda"),
    (lambda o: SequentialLR(o, [StepLR(o, 2), StepLR(o, 3)], milestones=[]), ValueError, "milestone"),
    (lambda o: SequentialLR(o, [StepLR(o, 2), StepLR(sgd(), 3)], milestones=[2]), ValueError, "same optimizer"),
    (lambda o: ChainedScheduler([]), TypeError, "non-empty"),
    (lambda o: StepLR(object(), 2), TypeError, "optimizer"),
    (lambda o: StepLR(LineSearchGD([param([1.0])]), 2), TypeError, "no learning rate"),
])
def test_bad_arguments_are_refused(make, error, match):
    with pytest.raises(error, match=match):
        make(sgd())


def test_a_group_added_after_the_scheduler_is_an_error():
    opt = sgd()
    scheduler = StepLR(opt, 2)
    opt.add_param_group({"params": [param([1.0])]})
    with pytest.raises(RuntimeError, match="after adding all groups"):
        scheduler.step()
