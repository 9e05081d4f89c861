"""The eps sweep's order of convergence, and the sweep over every registered primitive."""
import numpy as np
import pytest

from tinygrad_udl import Tensor, Value
from tinygrad_udl.autograd import rules
from tinygrad_udl.autograd.rules import PRIMITIVES
from tinygrad_udl.gradcheck import SAMPLES, check_primitives, eps_sweep, eps_sweep_module, op_sample
from tinygrad_udl.gradcheck.sweep import convergence_order

from .gradcheck_testing import TwoLayerNet, wrong_vjp


def test_convergence_order_of_synthetic_error_curves():
    steps = np.array([1e-1, 1e-2, 1e-3, 1e-4])
    noise = np.full(4, 1e-16)
    slope, usable = convergence_order(steps, 3.0 * steps ** 2, noise)
    assert slope == pytest.approx(2.0) and usable.all()
    slope, _ = convergence_order(steps, 0.5 * steps, noise)
    assert slope == pytest.approx(1.0)
    # Points at round-off level are not used: here only the two largest steps are above it.
    slope, usable = convergence_order(steps, np.array([1e-2, 1e-4, 1e-6, 1e-6]), np.array([1e-9, 1e-8, 1e-7, 1e-6]))
    assert usable.tolist() == [True, True, False, False] and slope == pytest.approx(2.0)


def test_correct_gradient_converges_at_order_two():
    sweep = eps_sweep(lambda x, y: x.sin() * y.exp(), [Value(0.5, label="x"), Value(1.2, label="y")])
    assert sweep.ok and [r.verdict for r in sweep.rows] == ["ok", "ok"]
    assert all(r.slope == pytest.approx(2.0, abs=0.2) for r in sweep.rows)


def test_wrong_gradient_does_not_converge():
    x = Tensor(np.array([0.3, -0.8, 1.1]), requires_grad=True, label="x")
    with wrong_vjp(rules.SIN, 1.001):
        sweep = eps_sweep(lambda x: x.sin().sum(), [x])
    (row,) = sweep.rows
    assert not sweep.ok and row.verdict == "FAIL" and abs(row.slope) < 0.3
    # the directional derivative along the sweep's unit direction u is wrong by 0.1 %
    assert min(e for e, u in zip(row.errors, row.usable) if u) == pytest.approx(abs(row.autodiff) / 1001, rel=0.05)
    assert "FAIL" in str(sweep)


def test_quadratic_is_exact_and_second_order_sweep():
    sweep = eps_sweep(lambda x: x * x, [Value(0.7)])
    assert sweep.ok and sweep.rows[0].slope is None  # central differences are exact for x^2
    sweep = eps_sweep(lambda x: x.tanh().sum(), [Tensor(np.array([0.2, -0.4]), requires_grad=True)], order=2)
    assert sweep.ok and [r.order for r in sweep.rows] == [1, 2]
    with wrong_vjp(rules.COS, 1.001):
        sweep = eps_sweep(lambda x: x.sin().sum(), [Tensor(np.array([0.2, -0.4]), requires_grad=True)], order=2)
    assert [r.verdict for r in sweep.rows] == ["ok", "FAIL"]


def test_module_sweep():
    net = TwoLayerNet(seed=7)
    sweep = eps_sweep_module(net, np.random.default_rng(7).standard_normal((3, 3)))
    assert sweep.ok and [r.name for r in sweep.rows] == ["layers.0.weight", "layers.0.bias", "layers.1.weight"]


def test_every_sampled_primitive_passes_to_second_order():
    results = check_primitives(order=2)
    assert {r.name for r in results} == set(PRIMITIVES)
    for r in results:
        assert r.status in ("ok", "no sample"), r.report
    # every primitive of the engine's own table has a sample
    engine = {name for name, p in PRIMITIVES.items() if p.forward.__module__ == rules.__name__}
    assert engine <= set(SAMPLES)


def test_op_sweep_catches_a_wrong_primitive_and_lists_missing_samples():
    with wrong_vjp(rules.TANH, 1.001):
        (tanh, sin) = check_primitives(["tanh", "sin"])
    assert (tanh.status, sin.status) == ("FAIL", "ok") and tanh.report.wrong_node.op == "tanh"
    prim = rules.primitive("gradcheck_test_cube", lambda o, x: x * x * x, lambda o, g, out, x: g * 3 * x * x)
    try:
        (r,) = check_primitives(["gradcheck_test_cube"])
        assert r.status == "no sample" and r.report is None
        op_sample("gradcheck_test_cube")(lambda rng: ([rng.standard_normal(5)], {}))
        (r,) = check_primitives(["gradcheck_test_cube"], order=2)
        assert r.status == "ok"
    finally:
        del PRIMITIVES[prim.name]
        SAMPLES.pop(prim.name, None)
    with pytest.raises(KeyError, match="unknown primitive"):
        check_primitives(["no_such_op"])
