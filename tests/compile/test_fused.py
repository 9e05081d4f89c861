"""Fused optimizer steps (tinygrad_udl/compile/fused.py): bit for bit the optimizer's own step.

A small MLP is trained eagerly and compiled from the same weights on the same batches; after
every step the parameters, gradients and optimizer states must be equal bit for bit -- with the
learning rate changed between steps (a schedule), a state dict loaded in the middle, and options
the fused step does not cover (it must hand over to the optimizer's own step, still exactly).
"""
import warnings

import numpy as np
import pytest

import tinygrad_udl as tg
from tinygrad_udl import nn, optim
from tinygrad_udl.compile import CompileWarning, compile
from tinygrad_udl.compile.fused import FusedAdam, FusedSGD
from compile_runs import classifier_step

OPTIMIZERS = {
    "sgd": lambda ps: optim.SGD(ps, lr=0.05),
    "sgd-momentum": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9),
    "adam": lambda ps: optim.Adam(ps, lr=1e-2),
    # not covered by the fused steps: the optimizer's own step runs inside the replay
    "sgd-nesterov": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    "sgd-decay": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-3),
    "adam-amsgrad": lambda ps: optim.Adam(ps, lr=1e-2, amsgrad=True),
    "adamw": lambda ps: optim.AdamW(ps, lr=1e-2),
}
FUSED = {"sgd": FusedSGD, "sgd-momentum": FusedSGD, "adam": FusedAdam}


def _train(kind, compiled, steps=6, dtype=np.float32, between=None):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 8, dtype=dtype), nn.ReLU(), nn.Linear(8, 3, dtype=dtype))
    opt = OPTIMIZERS[kind](model.parameters())

    step = classifier_step(model, opt)

    fn = compile(step) if compiled else step
    rng = np.random.default_rng(1)
    history = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)
        for k in range(steps):
            x, y = rng.standard_normal((7, 5)).astype(dtype), rng.integers(0, 3, 7)
            loss = fn(x, y)
            history.append((loss, [p.data.copy() for p in model.parameters()],
                            [p.grad.data.copy() for p in model.parameters()],
                            {i: {n: np.copy(v) for n, v in s.items()} for i, s in enumerate(opt.state.values())}))
            if between is not None:
                between(k, opt)
    return history, fn


def _assert_equal(eager, compiled):
    for (l1, p1, g1, s1), (l2, p2, g2, s2) in zip(eager, compiled):
        assert l1 == l2
        for a, b in zip(p1 + g1, p2 + g2):
            assert a.dtype == b.dtype and np.array_equal(a, b)
        assert s1.keys() == s2.keys()
        for i in s1:
            assert s1[i].keys() == s2[i].keys()
            for n in s1[i]:
                assert np.array_equal(s1[i][n], s2[i][n]), (i, n)


def _fused_in(fn):
    (entry,) = fn._cache.values()
    return [instr.fn for instr in entry.program if instr.kind == "effect" and hasattr(instr.fn, "flat_grad")]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", sorted(OPTIMIZERS))
def test_compiled_steps_equal_eager_steps(kind, dtype):
    eager, _ = _train(kind, False, dtype=dtype)
    compiled, fn = _train(kind, True, dtype=dtype)
    _assert_equal(eager, compiled)
    fused = _fused_in(fn)
    assert [type(f) for f in fused] == ([FUSED[kind]] if kind in FUSED else [])


@pytest.mark.parametrize("kind", ["sgd-momentum", "adam"])
def test_a_learning_rate_schedule_is_read_at_every_replay(kind):
    def schedule(k, opt):
        opt.param_groups[0]["lr"] *= 0.5
    eager, _ = _train(kind, False, between=schedule)
    compiled, _ = _train(kind, True, between=schedule)
    _assert_equal(eager, compiled)


@pytest.mark.parametrize("kind", ["sgd-momentum", "adam"])
def test_a_state_loaded_between_steps_is_adopted(kind):
    """load_state_dict replaces the state arrays: the fused step copies them into its flat arrays."""
    saved = {}

    def reload(k, opt):
        if k == 2:
            saved["state"] = opt.state_dict()
        if k == 4:
            opt.load_state_dict(saved["state"])
    eager, _ = _train(kind, False, between=reload)
    compiled, _ = _train(kind, True, between=reload)
    _assert_equal(eager, compiled)


def test_options_changed_after_compiling_hand_over_to_the_optimizer():
    def change(k, opt):
        if k == 3:
            opt.param_groups[0]["nesterov"] = True
    eager, _ = _train("sgd-momentum", False, between=change)
    compiled, _ = _train("sgd-momentum", True, between=change)
    _assert_equal(eager, compiled)


def test_state_arrays_stay_arrays_of_the_parameters_shape():
    _, fn = _train("adam", True)
    (fused,) = _fused_in(fn)
    for p in fused.params:
        state = fused.opt.state[p]
        assert state["exp_avg"].shape == p.shape and state["exp_avg_sq"].shape == p.shape
        assert np.shares_memory(state["exp_avg"], fused.flat_state["exp_avg"])


@pytest.mark.parametrize("kind", ["sgd-momentum", "adam"])
def test_gradients_made_without_kernels_are_copied_in(kind):
    """A convolution's gradients come from calls without kernels (im2col's VJP, reshapes): the fused
    step copies them into its flat array, and the result is still the optimizer's own step."""
    def train(compiled):
        tg.manual_seed(0)
        model = nn.Sequential(nn.Conv1d(1, 4, 3, stride=2), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 9, 3))
        opt = OPTIMIZERS[kind](model.parameters())

        step = classifier_step(model, opt)
        fn = compile(step) if compiled else step
        rng = np.random.default_rng(3)
        losses = [fn(rng.standard_normal((6, 1, 20)).astype(np.float32), rng.integers(0, 3, 6)) for _ in range(5)]
        return losses, [p.data.copy() for p in model.parameters()], fn

    l1, p1, _ = train(False)
    l2, p2, fn = train(True)
    assert l1 == l2 and all(np.array_equal(a, b) for a, b in zip(p1, p2))
    assert [type(f) for f in _fused_in(fn)] == [FUSED[kind]]
