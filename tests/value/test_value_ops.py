"""Every Value operation: forward against the math module, gradient against its closed-form
derivative and against central finite differences (float64), over its domain (Hypothesis)."""
import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tinygrad_udl import Value

from .fd import central_difference


def reals(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from_zero(lo, hi, gap=1e-3):
    return reals(lo, hi).filter(lambda v: abs(v) > gap)


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


# name: (method on Value, reference on floats, closed-form derivative, domain strategy)
UNARY = {
    "neg": (lambda v: -v, lambda x: -x, lambda x: -1.0, reals(-50, 50)),
    "exp": (Value.exp, math.exp, math.exp, reals(-30, 30)),
    "log": (Value.log, math.log, lambda x: 1 / x, reals(1e-3, 1e3)),
    "sqrt": (Value.sqrt, math.sqrt, lambda x: 0.5 / math.sqrt(x), reals(1e-3, 1e3)),
    "sin": (Value.sin, math.sin, math.cos, reals(-10, 10)),
    "cos": (Value.cos, math.cos, lambda x: -math.sin(x), reals(-10, 10)),
    "tan": (Value.tan, math.tan, lambda x: 1 / math.cos(x) ** 2, reals(-1.4, 1.4)),
    "tanh": (Value.tanh, math.tanh, lambda x: 1 - math.tanh(x) ** 2, reals(-10, 10)),
    "sigmoid": (Value.sigmoid, sigmoid, lambda x: sigmoid(x) * (1 - sigmoid(x)), reals(-30, 30)),
    "relu": (Value.relu, lambda x: max(x, 0.0), lambda x: float(x > 0), away_from_zero(-10, 10)),
    "leaky_relu": (lambda v: v.leaky_relu(0.1), lambda x: x if x > 0 else 0.1 * x,
                   lambda x: 1.0 if x > 0 else 0.1, away_from_zero(-10, 10)),
    "softplus": (Value.softplus, lambda x: math.log1p(math.exp(x)), sigmoid, reals(-30, 30)),
    "abs": (abs, abs, lambda x: math.copysign(1.0, x), away_from_zero(-10, 10)),
    "square": (lambda v: v ** 2, lambda x: x * x, lambda x: 2 * x, reals(-10, 10)),
    "cube": (lambda v: v ** 3, lambda x: x ** 3, lambda x: 3 * x * x, reals(-5, 5)),
    "inverse_sqrt": (lambda v: v ** -0.5, lambda x: x ** -0.5, lambda x: -0.5 * x ** -1.5, reals(1e-2, 1e2)),
    "rpow": (lambda v: 2.0 ** v, lambda x: 2.0 ** x, lambda x: math.log(2) * 2.0 ** x, reals(-10, 10)),
    "rdiv": (lambda v: 3.0 / v, lambda x: 3 / x, lambda x: -3 / x ** 2, away_from_zero(-10, 10, 0.1)),
    "rsub": (lambda v: 3.0 - v, lambda x: 3 - x, lambda x: -1.0, reals(-10, 10)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@given(data=st.data())
def test_unary_forward_and_gradient(name, data):
    method, reference, derivative, domain = UNARY[name]
    x = data.draw(domain, label="x")
    v = Value(x)
    out = method(v)
    assert out.data == pytest.approx(reference(x), rel=1e-12, abs=1e-12)
    out.backward()
    assert v.grad == pytest.approx(derivative(x), rel=1e-9, abs=1e-12)
    assert v.grad == pytest.approx(central_difference(reference, [x], 0), rel=1e-5, abs=1e-6)


# name: (operation on two Values, reference, (d/da, d/db) closed form, strategies for a and b)
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b, lambda a, b: (1.0, 1.0)),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, lambda a, b: (1.0, -1.0)),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, lambda a, b: (b, a)),
    "div": (lambda a, b: a / b, lambda a, b: a / b, lambda a, b: (1 / b, -a / b ** 2)),
    "pow": (lambda a, b: a ** b, lambda a, b: a ** b, lambda a, b: (b * a ** (b - 1), a ** b * math.log(a))),
    "maximum": (Value.maximum, max, lambda a, b: (float(a > b), float(b > a))),
    "minimum": (Value.minimum, min, lambda a, b: (float(a < b), float(b < a))),
}
BINARY_DOMAINS = {"div": (reals(-10, 10), away_from_zero(-10, 10, 0.1)), "pow": (reals(0.1, 5), reals(-3, 3))}


@pytest.mark.parametrize("name", sorted(BINARY))
@given(data=st.data())
def test_binary_forward_and_gradient(name, data):
    op, reference, derivative = BINARY[name]
    sa, sb = BINARY_DOMAINS.get(name, (reals(-10, 10), reals(-10, 10)))
    a, b = data.draw(sa, label="a"), data.draw(sb, label="b")
    if name in ("maximum", "minimum"):
        assume(abs(a - b) > 1e-3)  # a tie is a kink, tested on purpose below
    va, vb = Value(a), Value(b)
    out = op(va, vb)
    assert out.data == pytest.approx(reference(a, b), rel=1e-12, abs=1e-12)
    out.backward()
    da, db = derivative(a, b)
    assert (va.grad, vb.grad) == pytest.approx((da, db), rel=1e-9, abs=1e-12)
    assert va.grad == pytest.approx(central_difference(reference, [a, b], 0), rel=1e-5, abs=1e-6)
    assert vb.grad == pytest.approx(central_difference(reference, [a, b], 1), rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "maximum", "minimum", "rpow"])  # x ** c: pow_const
@given(a=away_from_zero(-3, 3, 0.1), c=away_from_zero(-3, 3, 0.1))  # both sides may be a divisor
def test_python_numbers_on_either_side_are_constants_of_the_call(name, a, c):
    """`x op c` and `c op x` are one-input nodes (the number is a parameter, shown as c=...), with
    the gradient of the two-input op; second derivatives through them match finite differences."""
    if name == "rpow":
        op, reference, derivative = BINARY["pow"]
        c = abs(c) + 0.5  # a positive base
        sides = [("left", lambda v: op(c, v), lambda x: reference(c, x), lambda x: derivative(c, x)[1])]
    else:
        op, reference, derivative = BINARY[name]
        if name in ("maximum", "minimum"):
            assume(abs(a - c) > 1e-3)  # ties are kinks
        sides = [("right", lambda v: op(v, c), lambda x: reference(x, c), lambda x: derivative(x, c)[0]),
                 ("left", lambda v: op(c, v), lambda x: reference(c, x), lambda x: derivative(c, x)[1])]
    for side, fn, ref, dref in sides:
        v = Value(a)
        out = fn(v)
        assert out._parents == (v,) and out._ctx == {"c": c}, side
        assert out.data == pytest.approx(ref(a), rel=1e-12, abs=1e-12)
        out.backward(create_graph=True)
        first = v.grad
        assert first.data == pytest.approx(dref(a), rel=1e-9, abs=1e-12)
        assert first.data == pytest.approx(central_difference(ref, [a], 0), rel=1e-5, abs=1e-6)
        v.grad = 0.0
        first.backward()
        assert v.grad == pytest.approx(central_difference(dref, [a], 0), rel=1e-5, abs=1e-5), side


# ---- kinks, tested on purpose (the book's convention: ReLU'(0) = 0) --------------------------------


def grad_at(fn, x):
    v = Value(x)
    fn(v).backward()
    return v.grad


def test_relu_derivative_at_zero_is_zero():
    assert grad_at(Value.relu, 0.0) == 0.0


def test_abs_derivative_at_zero_is_zero():
    assert grad_at(abs, 0.0) == 0.0


def test_leaky_relu_derivative_at_zero_is_the_slope():
    assert grad_at(lambda v: v.leaky_relu(0.25), 0.0) == 0.25


def test_max_of_a_tie_splits_the_gradient():
    a, b = Value(1.5), Value(1.5)
    a.maximum(b).backward()
    assert (a.grad, b.grad) == (0.5, 0.5)


# ---- extreme inputs: finite, no exceptions ---------------------------------------------------------


@pytest.mark.parametrize("x", [-1000.0, 1000.0])
def test_saturating_functions_are_overflow_safe(x):
    for fn, expected in [(Value.tanh, math.copysign(1.0, x)), (Value.sigmoid, float(x > 0)),
                         (Value.softplus, max(x, 0.0))]:
        v = Value(x)
        out = fn(v)
        out.backward()
        assert out.data == expected
        assert v.grad == pytest.approx(0.0 if fn is not Value.softplus else float(x > 0), abs=1e-300)


def test_exp_overflows_to_infinity_not_an_exception():
    assert Value(1000.0).exp().data == math.inf


# ---- bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["a", None, [1.0], 1 + 2j])
def test_value_of_a_non_number_is_a_type_error(bad):
    with pytest.raises(TypeError, match="expected a real number"):
        Value(bad)


def test_nan_is_accepted_and_propagates_to_the_gradient():
    # Documented policy: NaN propagates as in IEEE arithmetic (and numpy / PyTorch).
    x = Value(float("nan"))
    y = x * 2.0 + 1.0
    y.backward()
    assert math.isnan(y.data) and x.grad == 2.0
    z = Value(1.0)
    (z * float("nan")).backward()
    assert math.isnan(z.grad)


@pytest.mark.parametrize("fn, message", [(Value.log, "log: input -2 is negative"),
                                         (Value.sqrt, "sqrt: input -2 is negative"),
                                         (lambda v: v ** 0.5, "pow: negative base -2"),
                                         (lambda v: v ** Value(1.5), "pow: negative base -2")])
def test_out_of_domain_raises_a_value_error_naming_the_op(fn, message):
    with pytest.raises(ValueError, match=message):
        fn(Value(-2.0))


def test_negative_base_with_integer_exponent_is_fine():
    v = Value(-2.0)
    (v ** 3).backward()
    assert v.grad == 12.0


def test_log_of_zero_is_minus_infinity():
    assert Value(0.0).log().data == -math.inf


def test_division_by_zero_is_a_clear_error():
    with pytest.raises(ZeroDivisionError, match="Value division"):
        Value(1.0) / 0


def test_comparisons_return_plain_bools():
    a, b = Value(1.0), Value(2.0)
    assert (a < b) is True and (a >= b) is False and (a < 1.5) is True
    assert max(a, b) is b  # Python's max works through the comparisons


def test_equality_is_identity_so_values_can_be_dict_keys():
    a, b = Value(1.0), Value(1.0)
    assert a != b and a == a
    assert len({a: 1, b: 2}) == 2


def test_square_root_at_zero_has_an_infinite_derivative_not_an_exception():
    v = Value(0.0)
    (v ** 0.5).backward()
    assert v.grad == math.inf


def test_nodes_that_share_a_constant_stay_independent():
    """Nodes with the same number share its parameters (one dict per number): freeing one graph by
    backward() leaves the other intact, and 0.0 and -0.0 stay two numbers."""
    x = Value(1.5)
    first, second = x * 2, x * 2
    first.backward()
    second.backward()
    assert x.grad == 4.0
    for c in (0.0, -0.0, 0.0):
        node = x * c
        assert math.copysign(1.0, node._ctx["c"]) == math.copysign(1.0, c)  # what backward multiplies by
