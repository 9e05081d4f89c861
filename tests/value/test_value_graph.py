"""Backward-pass semantics of the scalar engine, random expression DAGs, and the book's examples."""
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_udl import GraphFreedError, Value, no_grad, zero_grad
from tinygrad_udl.autograd.graph import toposort
from tinygrad_udl.zoo import ScalarMLP, toy_domega0_closed_form, toy_model
from tinygrad_udl.zoo.supervised.toy import TOY_DATA, TOY_PARAMETERS

from .fd import central_difference

# ---- semantics ---------------------------------------------------------------------------------


def test_fan_out_sums_the_gradients():
    x = Value(3.0)
    (x * x + x).backward()  # d/dx (x^2 + x) = 2x + 1: x has three consumers
    assert x.grad == 7.0


def test_leaf_gradients_accumulate_across_backward_calls():
    x = Value(2.0)
    (x * 3.0).backward()
    (x * 4.0).backward()
    assert x.grad == 7.0
    zero_grad([x])
    assert x.grad == 0.0


def test_second_backward_through_the_same_graph_raises():
    x = Value(2.0)
    y = x.sin() * 2.0
    y.backward()
    first = x.grad
    with pytest.raises(GraphFreedError, match="retain_graph=True"):
        y.backward()
    assert x.grad == first  # never a silent doubling


def test_retain_graph_allows_a_second_backward_which_accumulates():
    x = Value(2.0)
    y = x.sin() * 2.0
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad == pytest.approx(2 * 2 * math.cos(2.0))


def test_no_grad_records_nothing():
    x = Value(2.0)
    with no_grad():
        y = x * x
    assert y.is_leaf and y.op == ""
    # backward() from it would silently give x.grad == 0: refused, as Tensor refuses it
    with pytest.raises(RuntimeError, match="computed under no_grad"):
        y.backward()
    assert x.grad == 0.0
    x.backward()          # a leaf made on purpose still seeds itself
    assert x.grad == 1.0


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 60))
def test_toposort_is_the_recursive_post_order_of_a_random_dag(seed, size):
    """Every reachable node once, after its parents, in the order of the textbook recursive DFS
    (parents first to last) -- which the drawings' node numbering relies on."""
    rng = random.Random(seed)
    nodes = [Value(rng.uniform(-1, 1)) for _ in range(3)]
    for _ in range(size):
        a, b = rng.choice(nodes), rng.choice(nodes)
        nodes.append(rng.choice([lambda: a * b, lambda: a + b, lambda: a.tanh(), lambda: a * 2.0])())
    roots = [nodes[-1], rng.choice(nodes)]
    expected, seen = [], set()

    def visit(node):
        if node not in seen:
            seen.add(node)
            for p in node._parents:
                visit(p)
            expected.append(node)

    for root in roots:
        visit(root)
    assert toposort(roots) == expected


def test_a_million_node_chain_runs_backward_without_recursion():
    # micrograd's recursive topological sort fails at about 1,000 nodes (RecursionError).
    x = y = Value(0.5)
    for _ in range(1_000_000):
        y = y.tanh()
    y.backward()
    # d/dx of tanh applied n times: the product of (1 - tanh^2) along the chain, evaluated directly.
    expected, v = 1.0, 0.5
    for _ in range(1_000_000):
        v = math.tanh(v)
        expected *= 1 - v * v
    assert x.grad == pytest.approx(expected, rel=1e-9)


# ---- second derivatives -------------------------------------------------------------------------

SECOND = {
    "sin": (Value.sin, lambda x: -math.sin(x)),
    "exp": (Value.exp, math.exp),
    "tanh": (Value.tanh, lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2)),
    "sigmoid": (Value.sigmoid, lambda x: (s := 1 / (1 + math.exp(-x))) * (1 - s) * (1 - 2 * s)),
    "log": (Value.log, lambda x: -1 / x ** 2),
    "cube": (lambda v: v ** 3, lambda x: 6 * x),
    "inverse": (lambda v: 1.0 / v, lambda x: 2 / x ** 3),
    "softplus": (Value.softplus, lambda x: (s := 1 / (1 + math.exp(-x))) * (1 - s)),
}


def first_derivative(fn, x):
    v = Value(x)
    fn(v).backward()
    return v.grad


@pytest.mark.parametrize("name", sorted(SECOND))
@given(x=st.floats(0.2, 3.0))
def test_second_derivative_by_create_graph(name, x):
    fn, closed_form = SECOND[name]
    v = Value(x)
    fn(v).backward(create_graph=True)
    dfdx = v.grad
    assert isinstance(dfdx, Value)
    v.grad = 0.0
    dfdx.backward()
    assert v.grad == pytest.approx(closed_form(x), rel=1e-9, abs=1e-12)
    # and against finite differences of the engine's own first derivative
    assert v.grad == pytest.approx(central_difference(lambda t: first_derivative(fn, t), [x], 0),
                                   rel=1e-5, abs=1e-6)


def test_mixed_second_derivative():
    x, y = Value(0.3), Value(-1.2)
    f = (x * y).sin() + x ** 2 * y
    f.backward(create_graph=True)
    dfdx = x.grad
    x.grad, y.grad = 0.0, 0.0
    dfdx.backward()
    # d2f/dxdy = cos(xy) - xy sin(xy) + 2x
    assert y.grad == pytest.approx(math.cos(0.3 * -1.2) - 0.3 * -1.2 * math.sin(0.3 * -1.2) + 0.6, rel=1e-12)


# ---- random expression DAGs (composition and fan-out) vs finite differences --------------------

OPS = [  # (arity, on Values, on floats): smooth and bounded enough to keep values finite
    (2, lambda a, b: a + b, lambda a, b: a + b),
    (2, lambda a, b: a * b, lambda a, b: a * b),
    (2, lambda a, b: a - b, lambda a, b: a - b),
    (1, Value.sin, math.sin),
    (1, Value.tanh, math.tanh),
    (1, Value.sigmoid, lambda a: 1 / (1 + math.exp(-a))),
    (1, Value.softplus, lambda a: math.log1p(math.exp(a))),
    (1, lambda a: a.tanh().exp(), lambda a: math.exp(math.tanh(a))),
]


@st.composite
def programs(draw):
    n_inputs = draw(st.integers(1, 3))
    steps = []
    for k in range(draw(st.integers(1, 12))):
        op = draw(st.integers(0, len(OPS) - 1))
        args = [draw(st.integers(0, n_inputs + k - 1)) for _ in range(OPS[op][0])]
        steps.append((op, args))
    xs = [draw(st.floats(-2, 2)) for _ in range(n_inputs)]
    return xs, steps


def run(steps, xs, which):
    nodes = list(xs)
    for op, args in steps:
        nodes.append(OPS[op][which](*[nodes[a] for a in args]))
    # the output sums every node, so each intermediate has at least one consumer (more fan-out)
    out = nodes[0]
    for n in nodes[1:]:
        out = out + n
    return out


@settings(max_examples=60)
@given(programs())
def test_random_dags_match_finite_differences(program):
    xs, steps = program
    leaves = [Value(x) for x in xs]
    run(steps, leaves, 1).backward()
    for i, leaf in enumerate(leaves):
        expected = central_difference(lambda *a: run(steps, list(a), 2), xs, i)
        assert leaf.grad == pytest.approx(expected, rel=1e-5, abs=1e-6)


# ---- the book's toy example (section 7.3) --------------------------------------------------------


def toy_loss(**params):
    p = {**TOY_PARAMETERS, **params}
    x, y = TOY_DATA["x"], TOY_DATA["y"]
    f = p["beta3"] + p["omega3"] * math.cos(p["beta2"] + p["omega2"] * math.exp(
        p["beta1"] + p["omega1"] * math.sin(p["beta0"] + p["omega0"] * x)))
    return (f - y) ** 2


def test_toy_forward_pass_matches_eq_7_8():
    g = toy_model()
    p, x = TOY_PARAMETERS, TOY_DATA["x"]
    f0 = p["beta0"] + p["omega0"] * x
    h1 = math.sin(f0)
    f1 = p["beta1"] + p["omega1"] * h1
    h2 = math.exp(f1)
    f2 = p["beta2"] + p["omega2"] * h2
    h3 = math.cos(f2)
    f3 = p["beta3"] + p["omega3"] * h3
    expected = dict(f0=f0, h1=h1, f1=f1, h2=h2, f2=f2, h3=h3, f3=f3, loss=(f3 - TOY_DATA["y"]) ** 2)
    assert g.forward_values() == pytest.approx(expected, rel=1e-15)


def test_toy_gradients_match_eq_7_7_and_finite_differences():
    g = toy_model()
    g.loss.backward()
    assert g.params["omega0"].grad == pytest.approx(toy_domega0_closed_form(), rel=1e-12)
    names = sorted(TOY_PARAMETERS)
    values = [TOY_PARAMETERS[n] for n in names]
    for i, name in enumerate(names):
        expected = central_difference(lambda *v: toy_loss(**dict(zip(names, v))), values, i)
        assert g.params[name].grad == pytest.approx(expected, rel=1e-6), name


def test_toy_backward_passes_follow_eqs_7_9_to_7_15():
    g = toy_model()
    g.loss.backward()
    p = TOY_PARAMETERS
    dl_df3 = 2 * (g.f3.data - TOY_DATA["y"])  # eq. 7.9
    dl_dh3 = p["omega3"] * dl_df3  # eqs. 7.10-7.12
    dl_df2 = -math.sin(g.f2.data) * dl_dh3
    dl_dh2 = p["omega2"] * dl_df2
    dl_df1 = math.exp(g.f1.data) * dl_dh2
    dl_dh1 = p["omega1"] * dl_df1
    dl_df0 = math.cos(g.f0.data) * dl_dh1
    for node, expected in [(g.f3, dl_df3), (g.h3, dl_dh3), (g.f2, dl_df2), (g.h2, dl_dh2), (g.f1, dl_df1),
                           (g.h1, dl_dh1), (g.f0, dl_df0)]:
        assert node.grad == pytest.approx(expected, rel=1e-12), node.label
    # eqs. 7.13-7.15: dl/dbeta_k = dl/df_k, dl/domega_k = h_k dl/df_k, dl/domega0 = x dl/df0
    assert g.params["beta3"].grad == pytest.approx(dl_df3, rel=1e-12)
    assert g.params["omega3"].grad == pytest.approx(g.h3.data * dl_df3, rel=1e-12)
    assert g.params["omega1"].grad == pytest.approx(g.h1.data * dl_df1, rel=1e-12)
    assert g.params["omega0"].grad == pytest.approx(TOY_DATA["x"] * dl_df0, rel=1e-12)


def test_dag_of_eqs_7_42_to_7_45():
    # y = exp(f3) + sin(f3), f3 = e^x + (e^x)^2: f1 = e^x and f3 both have two consumers.
    x = Value(0.4)
    f1 = x.exp()
    f2 = f1 ** 2
    f3 = f1 + f2
    y = f3.exp() + f3.sin()
    y.backward()
    e = math.exp(0.4)
    f3v = e + e * e
    assert x.grad == pytest.approx((math.exp(f3v) + math.cos(f3v)) * (e + 2 * e * e), rel=1e-12)


# ---- the scalar MLP of the zoo ---------------------------------------------------------------------


def test_scalar_mlp_shape_and_parameter_count():
    model = ScalarMLP(2, [16, 16, 1])
    assert len(model.parameters()) == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1  # 337, as micrograd's demo
    assert isinstance(model([0.5, -0.2]), Value)
    assert len(ScalarMLP(3, [4, 2])([1.0, 2.0, 3.0])) == 2


def test_scalar_mlp_matches_a_plain_float_forward_and_its_gradients():
    model = ScalarMLP(3, [5, 4, 1], seed=3)
    x = [0.3, -1.1, 0.8]

    def forward(weights):
        it = iter(weights)
        h = x
        for k, layer in enumerate(model.layers):
            omega = [[next(it) for _ in row] for row in layer.omega]
            out = []
            for row in omega:
                out.append(sum(w * v for w, v in zip(row, h)))
            beta = [next(it) for _ in layer.beta]
            out = [o + b for o, b in zip(out, beta)]
            h = [max(o, 0.0) for o in out] if k < len(model.layers) - 1 else out
        return h[0]

    params = [w for layer in model.layers for w in [v for row in layer.omega for v in row] + layer.beta]
    values = [p.data for p in params]
    out = model(x)
    assert out.data == pytest.approx(forward(values), rel=1e-12)
    out.backward()
    rng = random.Random(0)
    for i in rng.sample(range(len(params)), 10):
        assert params[i].grad == pytest.approx(central_difference(lambda *w: forward(w), values, i), rel=1e-5, abs=1e-7)


def test_scalar_mlp_names_its_parameters_like_pytorch():
    names = [n for n, _ in ScalarMLP(2, [3, 1]).named_parameters()]
    assert names[0] == "layers.0.omega[0][0]" and names[-1] == "layers.1.beta[0]"
    assert len(names) == len(set(names)) == 2 * 3 + 3 + 3 + 1
