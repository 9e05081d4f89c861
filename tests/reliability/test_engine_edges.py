"""Regression tests for the engine defects found by adversarial use: each failed before its fix."""
import gc
import math
import sys
import threading
import warnings

import numpy as np
import pytest

import tinygrad_udl as tg
from tinygrad_udl import Tensor, Value, nn


# ---- the garbage collector under threads --------------------------------------------------------


def _backward_in_threads(n_threads, rounds):
    barrier = threading.Barrier(n_threads)

    def work():
        barrier.wait()
        for _ in range(rounds):
            x = Tensor(np.ones(50), requires_grad=True)
            y = x
            for _ in range(30):
                y = (y * 1.01).tanh()
            y.sum().backward()

    threads = [threading.Thread(target=work) for _ in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_backward_in_many_threads_leaves_the_collector_on():
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)   # switch threads as often as possible: the interleavings that lost it
    try:
        for _ in range(5):
            _backward_in_threads(8, 20)
            assert gc.isenabled()
    finally:
        sys.setswitchinterval(old)


def test_backward_leaves_a_collector_that_was_off_off():
    gc.disable()
    try:
        _backward_in_threads(4, 5)
        assert not gc.isenabled()
    finally:
        gc.enable()


# ---- 0-d tensors ----------------------------------------------------------------------------------


def test_gradients_accumulate_into_a_0d_tensor():
    w = Tensor(0.5, requires_grad=True)
    (w * 2).backward()
    (w * 3).backward()
    assert w.grad.shape == () and w.grad.item() == 5.0


def test_a_learnable_swish_takes_two_micro_batches():
    act = nn.Swish(learnable=True)
    x = np.linspace(-1, 1, 5).astype(np.float32)
    act(Tensor(x)).sum().backward()
    first = act.beta.grad.item()
    act(Tensor(x)).sum().backward()
    assert act.beta.grad.item() == pytest.approx(2 * first)


def test_retain_grad_on_a_0d_tensor_accumulates():
    x = Tensor(1.5, requires_grad=True)
    y = (x * x).retain_grad()
    (y * 2).backward(retain_graph=True)
    (y * 2).backward()
    assert y.grad.item() == 4.0


# ---- sqrt and log at 0: one IEEE policy -----------------------------------------------------------


@pytest.mark.parametrize("op", ["sqrt", "log"])
def test_scalar_gradient_at_the_domain_edge_is_ieee_inf_as_for_tensors(op):
    x = Value(0.0)
    getattr(x, op)().backward()
    t = Tensor(0.0, dtype=np.float64, requires_grad=True)
    with np.errstate(divide="ignore"):
        getattr(t, op)().backward()
    assert x.grad == math.inf and t.grad.item() == math.inf


def test_gradcheck_cli_says_edge_of_domain_for_sqrt_at_zero(capsys):
    from tinygrad_udl.cli import main
    code = main(["gradcheck", "sqrt(x)", "--at", "x=0"])
    err = capsys.readouterr().err
    assert code != 0 and "edge of fn's domain" in err and "Traceback" not in err


# ---- empty and 0-d reductions ---------------------------------------------------------------------


def test_mean_of_an_empty_tensor_is_nan_with_a_warning_as_numpy():
    x = Tensor(np.zeros((0, 3)))
    with pytest.warns(RuntimeWarning, match="empty slice"):
        assert math.isnan(x.mean().item())
    with pytest.warns(RuntimeWarning):
        assert np.isnan(x.mean(axis=0).numpy()).all() and x.mean(axis=0).shape == (3,)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = np.zeros((0, 3)).mean(axis=0)
    assert expected.shape == (3,)


@pytest.mark.parametrize("op", ["sum", "max", "min", "logsumexp", "mean", "softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [0, -1, (0,)])
def test_a_0d_tensor_reduces_over_axis_0_as_numpy_ufuncs_and_pytorch_do(op, axis):
    x = Tensor(0.7, dtype=np.float64, requires_grad=True)
    y = getattr(x, op)(axis=axis)
    expected = {"softmax": 1.0, "log_softmax": 0.0}.get(op, 0.7)
    assert y.shape == () and y.item() == pytest.approx(expected)
    y.backward()
    assert x.grad.shape == ()
    with pytest.raises(tg.ShapeError, match="axis 1 is out of range"):
        getattr(x, op)(axis=1)


# ---- a Value computed under no_grad ---------------------------------------------------------------


def test_backward_from_a_value_computed_under_no_grad_is_refused():
    x = Value(2.0)
    with tg.no_grad():
        y = x * 3
    with pytest.raises(RuntimeError, match="no_grad"):
        y.backward()


# ---- concatenating many tensors -------------------------------------------------------------------


def test_the_backward_of_a_stack_passes_each_input_its_own_slice():
    xs = [Tensor(np.full(2, float(i)), requires_grad=True) for i in range(300)]
    weights = np.arange(600.0).reshape(300, 2)
    (tg.stack(xs) * weights).sum().backward()
    for i, x in enumerate(xs):
        np.testing.assert_array_equal(x.grad.numpy(), weights[i])


def test_the_backward_of_a_concatenation_does_not_scan_the_inputs_per_edge(monkeypatch):
    """Linear, not quadratic: no VJP of a concatenation reads the shapes of the other inputs.
    (Counted, not timed: each input's VJP gets the sequence of inputs and touches none of them.)"""
    from tinygrad_udl.autograd import rules
    touched = []
    real = rules.CONCATENATE.vjps[0]

    class Watched(list):
        def __getitem__(self, i):
            touched.append(i)
            return super().__getitem__(i)

    def watched(o, g, out, xs, **kw):
        return real(o, g, out, Watched(xs), **kw)

    monkeypatch.setattr(rules.CONCATENATE, "vjps", (watched,))
    xs = [Tensor(np.ones(2), requires_grad=True) for _ in range(200)]
    tg.concatenate(xs).sum().backward()
    assert len(touched) == 0


# ---- in-place changes between forward and backward ------------------------------------------------


def test_an_in_place_change_after_the_forward_pass_is_refused_naming_the_op():
    x = Tensor([1.0, 2.0], label="x")
    w = Tensor([3.0, 4.0], requires_grad=True, label="w")
    loss = (w * x).sum()
    x.mul_(100)                      # x needs no grad: allowed, and its version moves on
    with pytest.raises(tg.ModifiedInPlaceError, match=r"'mul'.*'w', 'x'"):
        loss.backward()


def test_an_optimizer_step_between_forward_and_backward_is_refused():
    layer = nn.Linear(2, 1, dtype=np.float64, rng=0)
    opt = tg.optim.SGD(layer.parameters(), lr=0.1)
    loss = layer(Tensor(np.ones((3, 2)))).sum()
    loss.backward(retain_graph=True)
    opt.step()                       # the weights the graph recorded are gone
    with pytest.raises(tg.ModifiedInPlaceError, match="optimizer step"):
        loss.backward()


def test_changes_before_the_forward_pass_and_after_backward_are_fine():
    x = Tensor([1.0, 2.0])
    w = Tensor([3.0, 4.0], requires_grad=True)
    x.add_(1)
    (w * x).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 3.0])
    with tg.no_grad():
        w.add_(w.grad, alpha=-0.5).clamp_(min=1.9)
    np.testing.assert_array_equal(w.numpy(), [2.0, 2.5])


def test_in_place_ops_on_a_tensor_that_requires_grad_are_refused_outside_no_grad():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"zero_\(\): the tensor requires grad"):
        w.zero_()
    with tg.no_grad():
        w.zero_().fill_(3.0).mul_(2.0).copy_(np.array([5.0, 6.0]))
    np.testing.assert_array_equal(w.numpy(), [5.0, 6.0])
    y = w * 2
    with pytest.raises(RuntimeError, match="requires grad"), tg.no_grad():
        y.add_(1)                    # a recorded result: part of a graph even under no_grad


def test_raw_writes_to_data_are_not_tracked_as_in_pytorch():
    """Documented limit: `.data` bypasses the version counter (PyTorch's `.data` does too)."""
    x = Tensor([1.0, 2.0])
    w = Tensor([3.0, 4.0], requires_grad=True)
    loss = (w * x).sum()
    x.data[0] = 100.0
    loss.backward()                  # no error: the gradient uses the new value
    np.testing.assert_array_equal(w.grad.numpy(), [100.0, 2.0])
