"""The gradient checker's verdicts where one finite-difference step misleads (docs/gradcheck.md,
"How a verdict is reached"): strong curvature, a kink or a pole within a step, a function varying
faster than the step. A correct rule is never FAIL; a rule wrong by 1 % (its VJP scaled by 1.01)
is never ok or KINK where the function is smooth on the scale of the step. Expected values and
each test's premise come from closed forms, never from the checker.
"""
import json
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tinygrad_udl import Tensor, Value
from tinygrad_udl.autograd import rules
from tinygrad_udl.gradcheck import GradcheckError, gradcheck
from tinygrad_udl.gradcheck.numerics import CBRT_EPS, DEFAULT_ATOL, DEFAULT_RTOL

from .gradcheck_testing import wrong_vjp


def first_step(x):
    """The checker's default first step at x (docs: cbrt(eps64) * max(1, |x|))."""
    return CBRT_EPS * max(1.0, abs(x))


def central_difference(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


def disagrees(estimate, derivative):
    return abs(estimate - derivative) > DEFAULT_ATOL + DEFAULT_RTOL * abs(derivative)


def as_input(engine, x):
    """x as a checked Value, or as a one-element float64 Tensor."""
    return Value(x, label="x") if engine == "value" else Tensor(np.array([x]), requires_grad=True, label="x")


def as_fn(engine, fn):
    return fn if engine == "value" else (lambda t: fn(t).sum())


# (id, fn on a Value or Tensor, the same function in numpy, its derivative, point, primitive or None)
# Each point is one where the central difference at the first step is off by more than the tolerance.
CURVED = [
    ("log(x) at 1e-4", lambda x: x.log(), np.log, lambda x: 1 / x, 1e-4, rules.LOG),
    ("1/x at 1e-5", lambda x: 1 / x, lambda x: 1 / x, lambda x: -1 / x ** 2, 1e-5, rules.DIV),
    ("tanh(1e4 x) at 0", lambda x: (x * 1e4).tanh(), lambda x: np.tanh(1e4 * x),
     lambda x: 1e4 / np.cosh(1e4 * x) ** 2, 0.0, rules.TANH),
    ("sin(1e5 x) at 0.3", lambda x: (x * 1e5).sin(), lambda x: np.sin(1e5 * x),
     lambda x: 1e5 * np.cos(1e5 * x), 0.3, rules.SIN),
    ("relu(x) at 5e-6", lambda x: x.relu(), lambda x: max(x, 0.0), lambda x: 1.0, 5e-6, rules.RELU),
    # C^1 but not C^2 at 0: the central difference's error is O(h), not O(h^2). Their derivative
    # at 0 is 0, which a scaled rule leaves right: no wrong-rule case.
    ("relu(x)**2 at 0", lambda x: x.relu() ** 2, lambda x: max(x, 0.0) ** 2, lambda x: 0.0, 0.0, None),
    ("x*abs(x) at 0", lambda x: x * abs(x), lambda x: x * abs(x), lambda x: 0.0, 0.0, None),
    ("relu(x)*x at 0", lambda x: x.relu() * x, lambda x: max(x, 0.0) * x, lambda x: 0.0, 0.0, None),
]


@pytest.mark.parametrize("engine", ["value", "tensor"])
@pytest.mark.parametrize("case", CURVED, ids=[c[0] for c in CURVED])
def test_correct_rules_pass_where_the_first_step_is_too_coarse(case, engine):
    name, fn, f, df, x, _ = case
    assert disagrees(central_difference(f, x, first_step(x)), df(x))  # premise: one step would say FAIL
    report = gradcheck(as_fn(engine, fn), [as_input(engine, x)])
    (row,) = report.checks
    assert report.ok and report.verdict == "PASSED" and row.status == "ok", report
    assert row.refined == 1 and report.wrong_node is None and report.unresolved == []
    assert row.numerical == pytest.approx(df(x), rel=DEFAULT_RTOL, abs=DEFAULT_ATOL)
    assert any("agreed only at a smaller step" in note for note in report.notes)


# Value's `1 / x` is `rdiv_const`, derived from div when rules load (rules.with_constant): a wrong
# div VJP patched in afterwards reaches Tensors only.
WRONG_CURVED = [pytest.param(case, engine, id=f"{case[0]}-{engine}") for case in CURVED if case[5] is not None
                for engine in ("value", "tensor") if not (case[5] is rules.DIV and engine == "value")]


@pytest.mark.parametrize("case, engine", WRONG_CURVED)
def test_wrong_rules_fail_there_and_are_named(case, engine):
    name, fn, f, df, x, prim = case
    with wrong_vjp(prim, 1.01):
        report = gradcheck(as_fn(engine, fn), [as_input(engine, x)])
    (row,) = report.checks
    assert not report.ok and report.verdict == "FAILED" and row.status == "FAIL"
    assert row.autodiff == pytest.approx(1.01 * df(x), rel=1e-6)
    assert row.numerical == pytest.approx(df(x), rel=1e-3)
    assert report.wrong_node.op == prim.name


def test_the_first_steps_verdict_stands_when_it_agrees():
    # sin(x) at 0.5 needs no ladder: no note, nothing refined.
    report = gradcheck(lambda x: x.sin(), [Value(0.5)])
    assert report.ok and report.checks[0].refined == 0 and report.notes == []


def test_order_two_uses_the_same_procedure():
    # h(x) = u / x has derivative -u / x^2; at 1e-4 one step is off by about (h / x)^2 / 3 ~ 1e-3.
    report = gradcheck(lambda x: x.log(), [Value(1e-4)], order=2)
    assert report.ok and [c.status for c in report.checks] == ["ok", "ok"], report


# ---- singularities --------------------------------------------------------------------------------


def test_sqrt_at_zero_is_a_singularity_not_a_failure_of_sqrt():
    x = Tensor(np.array([0.0, 1.0]), requires_grad=True, label="x")
    report = gradcheck(lambda x: x.sqrt().sum(), [x])
    (row,) = report.checks
    assert not report.ok and report.verdict == "UNDECIDED"
    assert row.status == "SINGULARITY" and (row.singular, row.failed) == (1, 0)
    assert row.worst_index == (1,) and row.numerical == pytest.approx(0.5, rel=1e-8)  # sqrt'(1) is still checked
    assert report.wrong_node is None and report.localisation == ""  # nothing is blamed
    (u,) = report.unresolved
    assert (u.index, u.status, u.near, u.autodiff) == ((0,), "SINGULARITY", 0.0, math.inf)
    assert "near a singularity at x[0] ≈ 0" in str(report) and "no rule is blamed" in str(report)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["verdict"] == "UNDECIDED" and data["checks"][0]["status"] == "SINGULARITY"
    assert data["unresolved"][0]["autodiff"] == "inf" and data["checks"][0]["singular"] == 1


def test_a_wrong_sqrt_is_still_caught_beside_its_singularity():
    x = Tensor(np.array([0.0, 1.0]), requires_grad=True, label="x")
    with wrong_vjp(rules.SQRT, 1.01):
        report = gradcheck(lambda x: x.sqrt().sum(), [x])
    (row,) = report.checks
    assert report.verdict == "FAILED" and row.status == "FAIL" and (row.singular, row.failed) == (1, 1)
    assert row.worst_index == (1,) and report.wrong_node.op == "sqrt"


@pytest.mark.parametrize("factor", [1.0, 1.01])
def test_tan_at_half_pi_is_a_singularity_for_right_and_wrong_rules(factor):
    assert abs(math.pi / 2 - math.atan(1e16)) < first_step(math.pi / 2)  # premise: a pole within one step
    with wrong_vjp(rules.TAN, factor):
        report = gradcheck(lambda x: x.tan(), [Value(math.pi / 2, label="x")])
    assert not report.ok and report.checks[0].status == "SINGULARITY" and report.kinks == []
    assert report.unresolved[0].near == pytest.approx(math.pi / 2) and report.wrong_node is None
    assert "grow without bound" in report.unresolved[0].detail


def test_a_pole_closer_than_the_smallest_step_is_a_singularity():
    report = gradcheck(lambda x: 1 / x, [Value(5e-8, label="x")])
    assert report.checks[0].status == "SINGULARITY" and report.unresolved[0].near == 5e-8


def test_leaving_the_domain_within_a_step_is_a_singularity_for_tensors():
    # numpy gives nan below 0; Values raise instead, which stays a usage error (test_core).
    report = gradcheck(lambda x: x.log().sum(), [Tensor(np.array([1e-9]), requires_grad=True)])
    (u,) = report.unresolved
    assert u.status == "SINGULARITY" and "nan" in u.detail and u.near == 1e-9
    with pytest.raises(GradcheckError, match="edge of fn's domain"):
        gradcheck(lambda x: x.log(), [Value(1e-9)])


# ---- functions that vary faster than any step tried ----------------------------------------------


@pytest.mark.parametrize("factor", [1.0, 1.01])
def test_sin_1e6_x_is_undecided_for_right_and_wrong_rules(factor):
    assert 1e6 * first_step(0.3) > math.pi  # premise: the first step spans more than half a period
    with wrong_vjp(rules.SIN, factor):
        report = gradcheck(lambda x: (x * 1e6).sin(), [Value(0.3, label="x")])
    (row,) = report.checks
    assert not report.ok and report.verdict == "UNDECIDED" and row.status == "UNDECIDED"
    assert report.kinks == [] and report.wrong_node is None  # smooth: not a kink, and nothing is blamed
    assert "cannot decide" in str(report) and "smallest step tried" in report.unresolved[0].detail


@pytest.mark.parametrize("factor, status", [(1.0, "ok"), (1.01, "FAIL")])
def test_sin_1e6_x_is_decided_with_a_small_enough_eps(factor, status):
    with wrong_vjp(rules.SIN, factor):
        report = gradcheck(lambda x: (x * 1e6).sin(), [Value(0.3, label="x")], eps=1e-9)
    assert report.checks[0].status == status
    assert report.checks[0].numerical == pytest.approx(1e6 * math.cos(3e5), rel=1e-6)
    if status == "FAIL":
        assert report.wrong_node.op == "sin"


# ---- kinks must be seen at every step ------------------------------------------------------------


def test_a_kink_closer_than_the_smallest_step_but_not_at_the_point_is_undecided():
    # relu at 1e-8 is differentiable (slope 1), but every default step straddles its kink.
    report = gradcheck(lambda x: x.relu(), [Value(1e-8, label="x")])
    assert report.checks[0].status == "UNDECIDED" and report.kinks == []
    assert gradcheck(lambda x: x.relu(), [Value(1e-8)], eps=1e-10).checks[0].status == "ok"
    with wrong_vjp(rules.RELU, 1.01):
        assert gradcheck(lambda x: x.relu(), [Value(1e-8)], eps=1e-10).checks[0].status == "FAIL"


def test_a_curved_kink_reports_its_one_sided_derivatives():
    # |x| + 1e6 x^2 at 0: one-sided derivatives -1 and 1; the slopes at a step s are -+(1 + 1e6 s).
    report = gradcheck(lambda x: abs(x) + x * x * 1e6, [Value(0.0, label="x")])
    (kink,) = report.kinks
    assert report.ok and (kink.left_slope, kink.right_slope) == pytest.approx((-1.0, 1.0), rel=1e-6)


# ---- property tests on smooth functions -----------------------------------------------------------

# name -> (fn of (Value, a), derivative of (x, a), primitive, point from u in [-1, 1] and a,
#          length over which the function changes appreciably)
SMOOTH = {
    "sin(a x)": (lambda v, a: (v * a).sin(), lambda x, a: a * math.cos(a * x), rules.SIN,
                 lambda u, a: 3 * u, lambda x, a: 1 / a),
    "exp(a x)": (lambda v, a: (v * a).exp(), lambda x, a: a * math.exp(a * x), rules.EXP,
                 lambda u, a: 30 * u / a, lambda x, a: 1 / a),
    "tanh(a x)": (lambda v, a: (v * a).tanh(), lambda x, a: a / math.cosh(a * x) ** 2, rules.TANH,
                  lambda u, a: 3 * u / a, lambda x, a: 1 / a),
    "log(x)": (lambda v, a: v.log(), lambda x, a: 1 / x, rules.LOG, lambda u, a: 10 ** (4 * u), lambda x, a: x),
}


@settings(max_examples=60)
@given(name=st.sampled_from(sorted(SMOOTH)), u=st.floats(-1, 1), log_a=st.floats(-1, 5))
def test_smooth_on_the_step_scale_correct_is_ok_and_one_percent_wrong_fails(name, u, log_a):
    fn, df, prim, point, length = SMOOTH[name]
    a = 10.0 ** log_a
    x = point(u, a)
    assume(first_step(x) <= length(x, a))  # smooth on the scale of the step
    assert gradcheck(lambda v: fn(v, a), [Value(x)]).checks[0].status == "ok"
    d = df(x, a)
    with wrong_vjp(prim, 1.01):
        wrong = gradcheck(lambda v: fn(v, a), [Value(x)]).checks[0].status
    if 0.01 * abs(d) > 10 * (DEFAULT_ATOL + DEFAULT_RTOL * abs(d)):  # a mistake the tolerance can see
        assert wrong == "FAIL"
    else:
        assert wrong in ("ok", "FAIL")


@settings(max_examples=60)
@given(log_a=st.floats(-1, 7), x=st.floats(-3, 3))
def test_sin_at_any_frequency_correct_never_fails_and_wrong_never_passes_as_ok(log_a, x):
    """Beyond the step scale the verdict may be UNDECIDED (or, aliased, something else), never a
    FAIL of the correct rule, never an ok of the wrong one."""
    a = 10.0 ** log_a
    assert gradcheck(lambda v: (v * a).sin(), [Value(x)]).checks[0].status != "FAIL"
    d = a * math.cos(a * x)
    assume(0.01 * abs(d) > 10 * (DEFAULT_ATOL + DEFAULT_RTOL * abs(d)))
    with wrong_vjp(rules.SIN, 1.01):
        assert gradcheck(lambda v: (v * a).sin(), [Value(x)]).checks[0].status != "ok"


def test_a_tensor_of_points_gets_one_verdict_per_element():
    # log at 1e-4 (needs the ladder), 0.5 (one step), and -1e-9 (nan within a step)
    x = Tensor(np.array([1e-4, 0.5, 1e-9]), requires_grad=True, label="x")
    report = gradcheck(lambda x: x.log().sum(), [x])
    (row,) = report.checks
    assert (row.refined, row.singular, row.failed, row.kinks) == (1, 1, 0, 0)
    assert [u.index for u in report.unresolved] == [(2,)]
    with wrong_vjp(rules.LOG, 1.01):
        row = gradcheck(lambda x: x.log().sum(), [x]).checks[0]
    assert (row.failed, row.singular) == (2, 1)
