"""The eps sweep's order of convergence, and the sweep over every registered primitive."""
import numpy as np
import pytest

from tinygrad_udl import Tensor, Value
from tinygrad_udl.autograd import rules
from tinygrad_udl.autograd.rules import PRIMITIVES
from tinygrad_udl.gradcheck import check_primitives, eps_sweep, eps_sweep_module
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


def test_every_primitive_is_declared_with_a_sample_and_passes_to_second_order():
    results = check_primitives(order=2)
    assert {r.name for r in results} == set(PRIMITIVES)
    for r in results:
        assert r.status == "ok", (r.name, r.status, r.report)


def test_op_sweep_catches_a_wrong_primitive_and_fails_an_unsampled_one():
    with wrong_vjp(rules.TANH, 1.001):
        (tanh, sin) = check_primitives(["tanh", "sin"])
    assert (tanh.status, sin.status) == ("FAIL", "ok") and tanh.report.wrong_node.op == "tanh"
    assert not tanh.ok and sin.ok
    unsampled = rules.primitive("gradcheck_test_cube", lambda o, x: x * x * x, lambda o, g, out, x: g * 3 * x * x)
    try:
        (r,) = check_primitives(["gradcheck_test_cube"])
        assert r.status == "NO SAMPLE" and r.report is None and not r.ok
        assert "NO SAMPLE" in [r.status for r in check_primitives()]   # the whole sweep fails with it
    finally:
        del PRIMITIVES[unsampled.name]
    sampled = rules.primitive("gradcheck_test_cube", lambda o, x: x * x * x, lambda o, g, out, x: g * 3 * x * x,
                              sample=lambda rng: ([rng.standard_normal(5)], {}))
    try:
        (r,) = check_primitives(["gradcheck_test_cube"], order=2)
        assert r.status == "ok"
    finally:
        del PRIMITIVES[sampled.name]
    with pytest.raises(KeyError, match="unknown primitive"):
        check_primitives(["no_such_op"])


def test_a_primitive_name_is_declared_once():
    with pytest.raises(ValueError, match="'tanh' is already declared"):
        rules.primitive("tanh", lambda o, x: x, lambda o, g, out, x: g)
    assert PRIMITIVES["tanh"] is rules.TANH


def test_a_vjp_calls_another_primitive_by_name_on_arrays_and_on_nodes():
    """`o.<primitive>(...)` runs the forward on arrays and records a node under create_graph."""
    from tinygrad_udl import Tensor, grad
    from tinygrad_udl.autograd.backends import ArrayMath
    from tinygrad_udl.autograd.tensor import TensorOps
    x = np.array([[0.3, -1.2, 2.0]])
    np.testing.assert_array_equal(ArrayMath.softmax(x, axis=1), rules.SOFTMAX.forward(ArrayMath, x, axis=1))
    t = Tensor(x, requires_grad=True)
    node = TensorOps.softmax(t, axis=1)
    assert node.op == "softmax" and node.parents == (t,)
    # the recorded node differentiates like the method: d/dx sum(softmax(x)^2), to second order
    by_name = grad(lambda v: (TensorOps.softmax(v, axis=1) ** 2).sum(), create_graph=True)(t)
    by_method = grad(lambda v: (v.softmax(axis=1) ** 2).sum(), create_graph=True)(t)
    np.testing.assert_allclose(by_name.data, by_method.data, rtol=1e-12)
    assert by_name.requires_grad
    with pytest.raises(AttributeError, match="no primitive of that name"):
        TensorOps.no_such_operation


def _slightly_wrong(vjp):
    # off by 0.1 % and by 1e-3: also wrong for primitives whose true gradient is 0 (heaviside)
    return lambda *args, **kwargs: vjp(*args, **kwargs) * 1.001 + 1e-3


@pytest.mark.parametrize("name", sorted(PRIMITIVES))
def test_op_sweep_fails_every_primitive_whose_vjp_is_slightly_wrong(name, monkeypatch):
    """The checker itself is checked: on each primitive's own declared sample, a VJP off by 0.1 %
    is a FAIL (the sample is not one where the error cannot show)."""
    prim = PRIMITIVES[name]
    monkeypatch.setattr(prim, "vjps", tuple(_slightly_wrong(v) for v in prim.vjps))
    (r,) = check_primitives([name])
    assert r.status == "FAIL", r.report
