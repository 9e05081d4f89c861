"""gradcheck / check_module on correct functions: they pass, the report says what was compared,
inputs are left untouched, and kinks are reported as kinks."""
import math
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_udl import Tensor, Value
from tinygrad_udl.gradcheck import GradcheckError, GradcheckReport, check_module, gradcheck
from tinygrad_udl.gradcheck.report import element_name

from .gradcheck_testing import TwoLayerNet, signed_uniform


def test_values_pass_and_report_closed_form_derivatives():
    x, y = Value(0.5, label="x"), Value(1.2, label="y")
    report = gradcheck(lambda x, y: x.sin() * y.exp() + x ** 2, [x, y])
    assert isinstance(report, GradcheckReport) and report.ok and bool(report)
    rows = {c.name: c for c in report.checks}
    assert rows["x"].autodiff == pytest.approx(math.cos(0.5) * math.exp(1.2) + 2 * 0.5, rel=1e-12)
    assert rows["y"].numerical == pytest.approx(math.sin(0.5) * math.exp(1.2), rel=1e-8)
    assert rows["x"].status == "ok" and rows["x"].max_abs_err < 1e-8
    assert report.kinks == [] and report.wrong_node is None
    text = str(report)
    assert "PASSED" in text and "autodiff" in text and "numerical" in text and "central differences" in text


def test_tensor_inputs_non_scalar_output_and_unchecked_inputs():
    rng = np.random.default_rng(1)
    W = Tensor(rng.standard_normal((3, 4)), requires_grad=True, label="W")
    v = Tensor(rng.standard_normal(4))  # a constant: not checked
    report = gradcheck(lambda W, v: (W @ v).tanh(), [W, v])
    assert report.ok
    assert [c.name for c in report.checks] == ["W"]
    assert report.checks[0].shape == (3, 4) and report.checks[0].checked == 12


def test_float32_model_passes_because_the_check_runs_in_float64():
    # Premise: in float32 a central difference with the default step is useless (round-off ~ 1e-2).
    rng = np.random.default_rng(2)
    x32 = rng.standard_normal(5).astype(np.float32)
    h = np.float32(6e-6)
    fd32 = (np.tanh(x32 + h).sum() - np.tanh(x32 - h).sum()) / (2 * h)
    true = (1 - np.tanh(x32.astype(np.float64)) ** 2).sum()
    e = np.zeros(5, np.float32)
    e[0] = h
    fd32_elem = (np.tanh(x32 + e).sum() - np.tanh(x32 - e).sum()) / (2 * h)
    assert abs(fd32_elem - (1 - np.tanh(float(x32[0])) ** 2)) > 1e-3 or abs(fd32 - true) > 1e-3
    # The checker passes a float32 model and leaves its parameters float32 and unchanged.
    net = TwoLayerNet()
    before = {n: (p.data, p.data.copy()) for n, p in net.named_parameters()}
    X = Tensor(rng.standard_normal((5, 3)).astype(np.float32))
    report = check_module(net, [X])
    assert report.ok, report
    assert [c.name for c in report.checks] == ["layers.0.weight", "layers.0.bias", "layers.1.weight"]
    for name, p in net.named_parameters():
        array, copy = before[name]
        assert p.data is array and p.data.dtype == np.float32 and np.array_equal(p.data, copy)
        assert p.grad is None


def test_inputs_are_not_modified():
    x = Tensor(np.array([0.3, -0.7], dtype=np.float32), requires_grad=True)
    data = x.data.copy()
    gradcheck(lambda x: (x * x).sin().sum(), [x])
    assert x.data.dtype == np.float32 and np.array_equal(x.data, data) and x.grad is None
    v = Value(0.25)
    gradcheck(lambda v: v.exp(), v)  # a single input need not be in a list
    assert v.data == 0.25 and v.grad == 0.0


def test_check_module_with_loss_fn_and_element_names():
    net = TwoLayerNet(seed=3)
    X = np.random.default_rng(3).standard_normal((4, 3))
    report = check_module(net, X, loss_fn=lambda out: (out * out).mean())
    assert report.ok
    assert element_name("layers.1.weight", (3, 1)) == "layers.1.weight[3, 1]"
    assert element_name("x", ()) == "x"


def test_order_two_passes_and_reports_both_orders():
    rng = np.random.default_rng(4)
    W = Tensor(rng.standard_normal((3, 2)), requires_grad=True, label="W")
    x = Value(0.3, label="x")
    assert gradcheck(lambda x: x.sin() * x.exp(), [x], order=2).ok
    report = gradcheck(lambda W: (W.sigmoid() @ W.T).log_softmax(axis=1), [W], order=2)
    assert report.ok, report
    assert sorted(c.order for c in report.checks) == [1, 2]


def test_function_that_differentiates_inside_to_third_order():
    # A gradient penalty |d/dp sum(p^3)|^2 = sum(9 p^4): its gradient is 36 p^3, its Hessian 108 p^2.
    from tinygrad_udl import grad

    p = Tensor(np.array([0.5, -1.2, 0.9]), requires_grad=True, label="p")

    def penalty(p):
        (g,) = grad((p * p * p).sum(), [p], create_graph=True)
        return (g * g).sum()

    report = gradcheck(penalty, [p], order=2)
    assert report.ok, report
    row = next(c for c in report.checks if c.order == 1)
    assert row.autodiff == pytest.approx(36 * p.data[row.worst_index] ** 3, rel=1e-12)


def test_fast_mode_passes_with_one_directional_check():
    rng = np.random.default_rng(5)
    W = Tensor(rng.standard_normal((6, 5)), requires_grad=True)
    report = gradcheck(lambda W: (W.exp() + W).softmax(axis=0), [W], mode="fast", order=2)
    assert report.ok
    assert [d.order for d in report.directional] == [1, 2]
    assert report.checks == []  # no fall-back needed
    assert all(d.ok and not d.fell_back for d in report.directional)


def test_raise_on_failure_and_to_dict_is_json_ready():
    import json
    report = gradcheck(lambda x: x.exp(), [Value(1.0)], raise_on_failure=True)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["ok"] is True and data["checks"][0]["status"] == "ok"


def test_json_keys_are_only_ever_added():
    """--json output is read by scripts: the keys it had before the verdict procedure are all kept."""
    data = gradcheck(lambda x: x.relu(), [Value(0.0)]).to_dict()
    assert {"ok", "mode", "order", "eps", "atol", "rtol", "checks", "kinks", "directional", "wrong_node",
            "localisation", "notes"} <= data.keys()
    assert {"verdict", "unresolved"} <= data.keys() and data["verdict"] == "PASSED"
    assert {"name", "shape", "order", "checked", "failed", "kinks", "max_abs_err", "max_rel_err", "worst_index",
            "autodiff", "numerical", "status"} <= data["checks"][0].keys()
    assert {"singular", "undecided", "refined"} <= data["checks"][0].keys()
    assert {"name", "index", "order", "left_slope", "right_slope", "autodiff", "jump"} <= data["kinks"][0].keys()


# ---- non-differentiable points --------------------------------------------------------------------


def test_relu_and_abs_at_zero_are_kinks_not_failures():
    x = Tensor(np.array([0.0, 1.5, -2.0]), requires_grad=True, label="x")
    report = gradcheck(lambda x: x.relu().sum(), [x])
    assert report.ok and report.checks[0].status == "KINK"
    (kink,) = report.kinks
    assert kink.index == (0,) and kink.left_slope == pytest.approx(0.0, abs=1e-9)
    assert kink.right_slope == pytest.approx(1.0, rel=1e-9) and kink.autodiff == 0.0  # ReLU'(0) = 0
    report = gradcheck(lambda x: abs(x).sum(), [x])
    (kink,) = report.kinks
    assert report.ok and (kink.left_slope, kink.right_slope) == pytest.approx((-1.0, 1.0))
    assert "slope" in str(report) and "non-differentiable" in str(report)


def test_value_relu_at_zero_is_a_kink():
    report = gradcheck(lambda x: x.relu() * 3.0, [Value(0.0, label="x")])
    assert report.ok and len(report.kinks) == 1
    assert (report.kinks[0].left_slope, report.kinks[0].right_slope) == pytest.approx((0.0, 3.0))


def test_max_ties_are_kinks_and_the_split_gradient_is_reported():
    x = Tensor(np.array([1.0, 0.5, 1.0]), requires_grad=True)
    report = gradcheck(lambda x: x.max(), [x])
    assert report.ok
    assert sorted(k.index for k in report.kinks) == [(0,), (2,)]
    assert all(k.autodiff == 0.5 for k in report.kinks)  # the engine splits ties evenly
    assert all((k.left_slope, k.right_slope) == pytest.approx((0.0, 1.0)) for k in report.kinks)


def test_kinks_at_order_two_are_jumps_of_the_gradient():
    # d/dx relu(x) jumps from 0 to 1 at 0: the order-2 check differentiates a step function.
    x = Tensor(np.array([0.0, 0.8]), requires_grad=True)
    report = gradcheck(lambda x: (x.relu() * 3.0).sum(), [x], order=2)
    assert report.ok
    (first, second) = sorted(report.kinks, key=lambda k: k.order)
    assert first.jump is None and (first.left_slope, first.right_slope) == pytest.approx((0.0, 3.0))
    # h(x) = <grad f, u> jumps by 3 u_0; u is the checker's own random vector, so compare |jump| / 3
    # with the jump of another function built on the same u (2 relu has jump 2 u_0).
    other = gradcheck(lambda x: (x.relu() * 2.0).sum(), [x], order=2)
    assert second.jump / 3.0 == pytest.approx(next(k for k in other.kinks if k.order == 2).jump / 2.0, rel=1e-9)
    assert "jumps" in str(report)
    v = Tensor(np.array([1.0, 0.5, 1.0]), requires_grad=True)
    assert gradcheck(lambda v: v.max() + v.sin().sum(), [v], order=2).ok


def test_a_step_in_the_function_is_reported_as_a_jump():
    from tinygrad_udl import where

    x = Tensor(np.array([0.0, 0.5]), requires_grad=True)
    report = gradcheck(lambda x: where(x.data > 0, x + 1.0, x).sum(), [x])
    assert report.ok
    (k,) = report.kinks
    assert k.index == (0,) and k.jump == pytest.approx(1.0, rel=1e-6)


def test_high_curvature_is_not_mistaken_for_a_kink():
    x = Tensor(np.array([0.1, -0.2]), requires_grad=True)
    report = gradcheck(lambda x: (x * 40.0).exp().sum(), [x])
    assert report.ok and report.kinks == []
    report = gradcheck(lambda x: x.relu().sum(), [Tensor(np.array([1e-3, -1e-3]), requires_grad=True)])
    assert report.ok and report.kinks == []  # near a kink but farther than one step: smooth there


# ---- usage errors ---------------------------------------------------------------------------------


def test_non_deterministic_function_is_refused():
    rng = np.random.default_rng(0)
    with pytest.raises(GradcheckError, match="not deterministic"):
        gradcheck(lambda x: x * float(rng.standard_normal()), [Value(1.0)])


def test_domain_edge_within_one_step_is_explained():
    with pytest.raises(GradcheckError, match="edge of fn's domain"):
        gradcheck(lambda x: x.log(), [Value(1e-9, label="x")])


def test_nothing_to_check_and_bad_arguments():
    with pytest.raises(GradcheckError, match="nothing to check"):
        gradcheck(lambda x: x, [Tensor([1.0])])
    with pytest.raises(ValueError, match="mode"):
        gradcheck(lambda x: x, [Value(1.0)], mode="quick")
    with pytest.raises(ValueError, match="order"):
        gradcheck(lambda x: x, [Value(1.0)], order=3)
    with pytest.raises(GradcheckError, match="Value or a Tensor"):
        gradcheck(lambda x: 3.0, [Value(1.0)])


def test_profile_hook_is_restored():
    def previous(frame, event, arg):
        return None

    sys.setprofile(previous)
    try:
        gradcheck(lambda x: x.sin(), [Value(1.0)])
        assert sys.getprofile() is previous
    finally:
        sys.setprofile(None)


@settings(max_examples=15, deadline=None)
@given(rows=st.integers(1, 4), cols=st.integers(1, 4), seed=st.integers(0, 2 ** 16), order=st.sampled_from([1, 2]))
def test_smooth_random_shapes_pass(rows, cols, seed, order):
    rng = np.random.default_rng(seed)
    A = Tensor(signed_uniform(rng, (rows, cols)), requires_grad=True)
    b = Tensor(rng.standard_normal(cols), requires_grad=True)
    report = gradcheck(lambda A, b: ((A * b).tanh() @ b).exp(), [A, b], order=order, seed=seed)
    assert report.ok, report
