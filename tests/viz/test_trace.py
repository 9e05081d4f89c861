"""trace_backward: the toy model's backward pass #1 and #2 (eqs. 7.9-7.15) line by line against
the closed-form derivatives, accumulation over several consumers (eqs. 7.42-7.43), tensors."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_udl import GraphFreedError, Tensor, Value
from tinygrad_udl.viz import trace_backward
from tinygrad_udl.zoo import toy_model
from tinygrad_udl.zoo.supervised.toy import TOY_PARAMETERS

from .test_draw_toy import check_snapshot
from .toy_closed_form import BACKWARD_1, PARAMETERS, toy_closed_form

approx = lambda x: pytest.approx(x, rel=1e-12, abs=1e-14)  # noqa: E731


def steps_by_node(trace):
    by_node = {}
    for s in trace:
        by_node.setdefault(s.node, []).append(s)
    return by_node


def check_toy_trace(trace, v, d):
    steps = steps_by_node(trace)
    one = {name: s for name, (s,) in steps.items()}  # in the toy model every node has one consumer
    # Backward pass #1 (eqs. 7.10-7.12): each line = upstream x local derivative of the book's chain.
    f3 = one["f3"]
    sub = one[f3.consumer]
    assert (sub.consumer, sub.op, sub.upstream, sub.local) == ("l", "pow_const", 1.0, approx(2 * (v["f3"] - v["y"])))
    assert (f3.op, f3.upstream, f3.local, f3.accumulated) == ("sub", approx(d["f3"]), 1.0, approx(d["f3"]))
    local = {"h3": v["omega3"], "f2": -math.sin(v["f2"]), "h2": v["omega2"], "f1": math.exp(v["f1"]),
             "h1": v["omega1"], "f0": math.cos(v["f0"])}                  # df3/dh3, dh3/df2, ...
    upstream = {"h3": d["f3"], "f2": d["h3"], "h2": d["f2"], "f1": d["h2"], "h1": d["f1"], "f0": d["h1"]}
    for name in BACKWARD_1[1:]:
        s = one[name]
        assert s.local == approx(local[name]), name
        assert s.upstream == approx(upstream[name]), name
        assert s.contribution == approx(upstream[name] * local[name]) and s.accumulated == approx(d[name]), name
    assert [one[n].consumer for n in ("f2", "f1", "f0")] == ["h3", "h2", "h1"]
    # Backward pass #2 (eqs. 7.13-7.15): dl/dbeta_k = dl/df_k; dl/domega_k = h_k dl/df_k (x for k = 0).
    for k in range(4):
        beta, omega = one[f"beta{k}"], one[f"omega{k}"]
        assert (beta.consumer, beta.op, beta.local) == (f"f{k}", "add", 1.0)
        assert beta.upstream == approx(d[f"f{k}"]) and beta.accumulated == approx(d[f"beta{k}"])
        assert omega.op == "mul" and omega.upstream == approx(d[f"f{k}"])
        assert omega.local == approx(v["x"] if k == 0 else v[f"h{k}"])
        assert omega.accumulated == approx(d[f"omega{k}"])


def test_toy_trace_reproduces_backward_passes_1_and_2():
    g = toy_model()
    v, d = toy_closed_form()
    trace = trace_backward(g.loss)
    check_toy_trace(trace, v, d)
    assert trace.seed == 1.0 and trace.root_name == "l"


@settings(max_examples=30)
@given(st.fixed_dictionaries({k: st.floats(-2, 2) for k in TOY_PARAMETERS}), st.floats(-3, 3), st.floats(-3, 3))
def test_toy_trace_at_any_parameters(params, x, y):
    g = toy_model(params, x, y)
    v, d = toy_closed_form(params, x, y)
    check_toy_trace(trace_backward(g.loss), v, d)


def test_toy_trace_sections_follow_the_book():
    trace = trace_backward(toy_model().loss)
    (title1, first), (title2, second) = trace.sections()
    assert "#1" in title1 and "#2" in title2
    assert [s.node for s in first if s.node in BACKWARD_1] == BACKWARD_1        # eq. 7.9's order
    assert {s.node for s in second} == set(PARAMETERS) | {"x", "y"}
    assert [s.step for s in trace] == list(range(1, len(trace) + 1))             # execution order
    assert len(trace) == 22                                                       # one step per edge


def test_trace_text_and_markdown():
    trace = trace_backward(toy_model().loss)
    text, md = str(trace), trace.to_markdown()
    _, d = toy_closed_form()
    assert f"{d['omega0']:.6g}" in text and f"{d['omega0']:.6g}" in md
    rows = [line for line in md.splitlines() if line.startswith("| ") and not line.startswith("| step")]
    assert len(rows) == len(trace)
    assert "### Backward pass #1" in md and "### Backward pass #2" in md
    check_snapshot("toy_backward.txt", text + "\n")


def test_accumulation_over_several_consumers():
    """Eqs. 7.42-7.43: y = exp(f3) + sin(f3), f3 = f1 + f1^2, f1 = e^x: f1 and f3 feed two ops each."""
    x = Value(0.3, label="x")
    f1 = x.exp()
    f1.label = "f1"
    f3 = f1 + f1 ** 2
    f3.label = "f3"
    y = f3.exp() + f3.sin()
    steps = steps_by_node(trace_backward(y))
    e = math.exp(0.3)
    dy_df3 = math.exp(e + e * e) + math.cos(e + e * e)
    assert len(steps["f3"]) == 2 and steps["f3"][-1].accumulated == approx(dy_df3)
    assert steps["f3"][0].accumulated == approx(steps["f3"][0].contribution)  # first: nothing before
    assert len(steps["f1"]) == 2 and steps["f1"][-1].accumulated == approx(dy_df3 * (1 + 2 * e))
    assert steps["x"][-1].accumulated == approx(dy_df3 * (1 + 2 * e) * e)


def test_tensor_trace_with_broadcasting():
    """l = sum((X W^T + b)^2), b broadcast over the rows: dl/db sums 2H over the rows (unbroadcast)."""
    rng = np.random.default_rng(0)
    X = Tensor(rng.standard_normal((4, 3)), label="X")
    W = Tensor(rng.standard_normal((2, 3)), requires_grad=True, label="W")
    b = Tensor(rng.standard_normal(2), requires_grad=True, label="b")
    loss = ((X @ W.T + b) ** 2).sum()
    H = X.data @ W.data.T + b.data
    grads = trace_backward(loss).gradients()
    np.testing.assert_allclose(grads["b"], 2 * H.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(grads["W"], 2 * H.T @ X.data, rtol=1e-12)
    assert "X" not in grads  # a constant: no gradient flows into it
    b_step = steps_by_node(trace_backward(loss))["b"][0]
    np.testing.assert_array_equal(b_step.local, np.full(2, 4.0))  # d(H)/d(b) for unit upstream: 4 rows


def test_trace_changes_nothing():
    g = toy_model()
    trace_backward(g.loss)
    assert all(p.grad == 0.0 for p in g.params.values())
    g.loss.backward()  # the graph is still there
    _, d = toy_closed_form()
    assert g.params["beta1"].grad == approx(d["beta1"])


def test_trace_after_backward_is_explained():
    g = toy_model()
    g.loss.backward()
    with pytest.raises(GraphFreedError, match="retain_graph=True"):
        trace_backward(g.loss)


def test_non_scalar_and_constant_roots_are_explained():
    with pytest.raises(ValueError, match="single number"):
        trace_backward(Tensor([1.0, 2.0], requires_grad=True) * 2)
    with pytest.raises(ValueError, match="does not require grad"):
        trace_backward(Tensor([1.0]) * 2)
