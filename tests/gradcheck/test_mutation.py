"""The checker must fail on deliberately wrong VJPs and name the wrong node (a checker that cannot
fail proves nothing). Every mutation is undone on exit (context manager / finally)."""
import numpy as np
import pytest

from tinygrad_udl import Tensor, Value
from tinygrad_udl.autograd import rules
from tinygrad_udl.autograd.tensor import apply
from tinygrad_udl.gradcheck import GradcheckError, check_module, gradcheck

from .gradcheck_testing import TwoLayerNet, signed_uniform, square_wrong_at, wrong_vjp


def _inputs(seed=0):
    rng = np.random.default_rng(seed)
    return (Tensor(rng.standard_normal((3, 4)), requires_grad=True, label="W"),
            Tensor(rng.standard_normal(4), requires_grad=True, label="v"))


def _sin_model(W, v):
    h = W @ v
    return h.sin().exp()  # SIN-CREATION-SITE


@pytest.mark.parametrize("mode", ["full", "fast"])
def test_sin_wrong_by_a_tenth_of_a_percent_is_caught_and_localised(mode):
    with wrong_vjp(rules.SIN, 1.001):
        report = gradcheck(_sin_model, list(_inputs()), mode=mode)
    assert not report.ok and {c.status for c in report.checks} == {"FAIL"}
    assert max(c.max_rel_err for c in report.checks) == pytest.approx(1e-3, rel=0.05)
    node = report.wrong_node
    assert node.op == "sin" and node.input_shapes == [(3,)] and node.input_index == 0
    assert "test_mutation.py" in node.site and "SIN-CREATION-SITE" in node.site
    assert node.autodiff == pytest.approx(node.numerical * 1.001, rel=1e-6)
    if mode == "fast":
        assert report.directional[0].fell_back
    assert "first wrong node: 'sin'" in str(report)
    with wrong_vjp(rules.SIN, 1.001), pytest.raises(GradcheckError) as info:
        gradcheck(_sin_model, list(_inputs()), mode=mode, raise_on_failure=True)
    assert info.value.report.wrong_node.op == "sin"


def test_worst_element_is_the_one_with_the_largest_error():
    # d/dW_ij sum(sin(W v)) = cos((W v)_i) v_j: the 0.1 % error is largest where |cos(h_i) v_j| is.
    W, v = _inputs(1)
    with wrong_vjp(rules.SIN, 1.001):
        report = gradcheck(lambda W, v: (W @ v).sin().sum(), [W, v])
    row = next(c for c in report.checks if c.name == "W")
    expected = np.abs(np.outer(np.cos(W.data @ v.data), v.data))
    assert row.worst_index == np.unravel_index(np.argmax(expected), expected.shape)
    assert row.autodiff == pytest.approx(1.001 * expected.max() * np.sign(row.autodiff), rel=1e-9)
    assert row.failed == 12


def test_second_order_error_is_caught_where_first_order_is_right():
    # sin's VJP uses cos, so a wrong COS rule spoils only the second derivative of sin.
    W, v = _inputs(2)
    with wrong_vjp(rules.COS, 1.001):
        first = gradcheck(lambda W, v: (W @ v).sin().sum(), [W, v])
        report = gradcheck(lambda W, v: (W @ v).sin().sum(), [W, v], order=2)
    assert first.ok
    assert [c.status for c in report.checks if c.order == 1] == ["ok", "ok"]
    assert {c.status for c in report.checks if c.order == 2} == {"FAIL"}
    node = report.wrong_node
    assert node.op == "cos" and "VJP of 'sin'" in node.site and "test_mutation.py" in node.site


def test_second_order_error_in_fast_mode_falls_back_and_localises():
    x = Value(0.7, label="x")
    with wrong_vjp(rules.COS, 1.001):
        report = gradcheck(lambda x: x.sin() * x, [x], order=2, mode="fast")
    assert not report.ok and report.directional[-1].fell_back
    assert report.wrong_node.op == "cos"


def test_one_wrong_element_of_a_large_jacobian_is_found_in_fast_mode():
    prim = square_wrong_at(7, 1.001)
    x = Tensor(signed_uniform(np.random.default_rng(3), (20, 20)), requires_grad=True, label="x")
    report = gradcheck(lambda x: apply(prim, x).sum(), [x], mode="fast")
    assert not report.ok and report.directional[0].fell_back
    (row,) = report.checks
    assert row.failed == 1 and row.worst_index == (0, 7)
    assert row.autodiff == pytest.approx(2 * x.data[0, 7] * 1.001, rel=1e-12)
    assert row.numerical == pytest.approx(2 * x.data[0, 7], rel=1e-8)
    assert report.wrong_node.op == "square_wrong_at" and report.wrong_node.worst_index == (0, 7)


def test_wrong_gradient_of_a_broadcast_operand_is_localised_to_that_operand():
    rng = np.random.default_rng(4)
    A = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    b = Tensor(rng.standard_normal(4), requires_grad=True)
    saved = rules.MUL.vjps
    rules.MUL.vjps = (saved[0], lambda o, g, out, x, y: g * x * 1.001)
    try:
        report = gradcheck(lambda A, b: (A * b).tanh().sum(), [A, b])
    finally:
        rules.MUL.vjps = saved
    assert [c.status for c in report.checks] == ["ok", "FAIL"]
    assert report.wrong_node.op == "mul" and report.wrong_node.input_index == 1
    assert report.wrong_node.input_shapes == [(3, 4), (4,)]


def test_scalar_engine_mutation_is_localised():
    with wrong_vjp(rules.LOG, 0.999):
        report = gradcheck(lambda x, y: (x * y).log() + y, [Value(1.5, label="x"), Value(2.0, label="y")])
    assert not report.ok and report.wrong_node.op == "log"


def test_module_parameter_rows_and_wrong_node_in_a_model():
    net = TwoLayerNet(seed=5)
    X = Tensor(np.random.default_rng(5).standard_normal((4, 3)).astype(np.float32))
    with wrong_vjp(rules.TANH, 1.001):
        report = check_module(net, [X])
    assert not report.ok
    assert [c.status for c in report.checks] == ["FAIL", "FAIL", "ok"]  # tanh is before layers.1 only
    assert report.wrong_node.op == "tanh" and report.wrong_node.input_shapes == [(4, 4)]
    assert "gradcheck_testing.py" in report.wrong_node.site  # the model's forward line
    assert "layers.0.weight[" in str(report)


def test_a_value_taken_outside_the_graph_fails_without_a_wrong_primitive():
    x = Tensor(np.array([0.4, 1.3]), requires_grad=True)
    report = gradcheck(lambda x: (x * Tensor(x.data)).sum(), [x])  # the second factor is a constant
    assert not report.ok and report.wrong_node is None
    assert ".data" in report.localisation
    assert report.checks[0].autodiff == pytest.approx(report.checks[0].numerical / 2, rel=1e-8)
