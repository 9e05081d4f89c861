"""Rich display in notebooks: backward traces, gradient-check reports and modules as HTML tables.

Oracles: the toy model's gradients in closed form (eq. 7.7 and the chain of eqs. 7.9-7.15, from
toy_closed_form), which inputs a deliberately wrong derivative rule must fail (the ones whose
gradient passes through it), and parameter counts of Linear layers, (in + 1)·out, written out here.
"""
import html
import re

import numpy as np
import pytest

import tinygrad_udl as tg
from tinygrad_udl import nn
from tinygrad_udl.autograd.rules import Primitive
from tinygrad_udl.autograd.tensor import apply
from tinygrad_udl.gradcheck import check_module
from tinygrad_udl.viz import trace_backward
from tinygrad_udl.zoo import MNIST1DMLP, toy_model

from .toy_closed_form import toy_closed_form


def body_rows(table_html):
    """[(row attributes, [cell texts])] of the <tbody> of the first table in `table_html`."""
    body = re.search(r"<tbody>(.*?)</tbody>", table_html, flags=re.S).group(1)
    rows = []
    for attrs, cells in re.findall(r"<tr([^>]*)>(.*?)</tr>", body, flags=re.S):
        rows.append((attrs, [html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", cells,
                                                                                         flags=re.S)]))
    return rows


def tables(page):
    return re.findall(r"<table.*?</table>", page, flags=re.S)


# ---- backward traces ------------------------------------------------------------------------------


def test_a_trace_shows_two_tables_with_every_step_and_the_closed_form_gradients():
    g = toy_model()
    trace = trace_backward(g.loss, params=g.params)
    page = trace._repr_html_()
    first, second = tables(page)
    sections = dict(trace.sections())
    rows1, rows2 = body_rows(first), body_rows(second)
    assert len(rows1) + len(rows2) == len(trace) and len(rows2) == len(list(sections.values())[1])
    assert [int(cells[0]) for _, cells in rows1 + rows2] == [s.step for steps in sections.values() for s in steps]
    _, closed = toy_closed_form()
    leaf_rows = {cells[1]: cells[-1] for _, cells in rows2}
    for name in ("omega0", "beta0", "omega3", "beta3"):
        assert float(leaf_rows[name]) == pytest.approx(closed[name], rel=1e-5)
    # the node's gradient is in bold on the step that completes it
    assert page.count("font-weight: bold") == len({s.node for s in trace})
    assert "Backward pass #1" in page and "Backward pass #2" in page


def test_a_trace_in_markdown_is_its_markdown_table():
    g = toy_model()
    trace = trace_backward(g.loss, params=g.params)
    assert trace._repr_markdown_() == trace.to_markdown()


def test_a_trace_escapes_names():
    x = tg.Value(0.5, label="<x>")
    trace = trace_backward((x * x).sin())
    page = trace._repr_html_()
    assert "<x>" not in page and "&lt;x&gt;" in page


# ---- gradient-check reports ----------------------------------------------------------------------

# not declared with primitive(): a declared one would join the table that the op sweep checks
WRONG_SILU = Primitive("display_test_silu", lambda o, x: x * o.sigmoid(x),
                       (lambda o, g, out, x: g * o.sigmoid(x) * (1 + x * o.sigmoid(x)),))  # wrong on purpose


class TinyNet:
    """Linear -> (wrong) SiLU -> Linear: the gradients of w0 and b0 pass through the wrong rule, w1's not."""

    def __init__(self, rng):
        self.w0 = tg.Tensor(rng.standard_normal((4, 3)), requires_grad=True)
        self.b0 = tg.Tensor(np.zeros(4), requires_grad=True)
        self.w1 = tg.Tensor(rng.standard_normal((1, 4)), requires_grad=True)

    def named_parameters(self):
        return [("w0", self.w0), ("b0", self.b0), ("w1", self.w1)]

    def __call__(self, x):
        return apply(WRONG_SILU, x @ self.w0.T + self.b0) @ self.w1.T


def test_a_failing_report_highlights_exactly_the_failing_inputs():
    rng = np.random.default_rng(0)
    net = TinyNet(rng)
    report = check_module(net, [tg.Tensor(rng.standard_normal((8, 3)))], loss_fn=lambda out: (out * out).mean())
    assert not report
    page = report._repr_html_()
    rows = body_rows(tables(page)[0])
    failing = {cells[0] for attrs, cells in rows if 'class="tg-fail"' in attrs}
    assert failing == {"w0", "b0"}
    assert {cells[0]: cells[-1] for _, cells in rows} == {"w0": "FAIL", "b0": "FAIL", "w1": "ok"}
    assert re.search(r'class="tg-verdict" style="color: #c62828[^"]*">FAILED<', page)
    assert "display_test_silu" in page  # the localisation names the wrong node
    markdown = report._repr_markdown_()
    assert "**FAILED**" in markdown and markdown.count("**FAIL**") == 2


def test_a_passing_report_has_no_highlighted_failure_and_marks_kinks():
    x = tg.Tensor(np.array([0.0, 1.0]), requires_grad=True)  # relu has a kink at 0
    y = tg.Tensor(np.array([2.0, 1.0]), requires_grad=True)
    report = tg.gradcheck(lambda a, b: (a.relu() * b).sum(), [x, y])
    page = report._repr_html_()
    assert report and "tg-fail" not in page and ">PASSED<" in page
    rows = body_rows(tables(page)[0])
    assert [('class="tg-kink"' in attrs, cells[-1]) for attrs, cells in rows] == [(True, "KINK"), (False, "ok")]
    assert "non-differentiable points" in page


# ---- modules ---------------------------------------------------------------------------------------


def test_a_module_shows_a_layer_table_whose_counts_add_up():
    model = MNIST1DMLP(rng=0)
    page = model._repr_html_()
    rows = body_rows(tables(page)[0])
    linear = [(cells[1], cells[-1]) for _, cells in rows if cells[1] == "Linear"]
    sizes = [(40, 100), (100, 100), (100, 10)]
    assert linear == [("Linear", f"{(i + 1) * o:,}") for i, o in sizes]
    total = sum((i + 1) * o for i, o in sizes)
    assert f"MNIST1DMLP: {total:,} parameters" in page
    assert sum(int(cells[-1].replace(",", "")) for _, cells in rows if cells[-1]) == total
    text = model.summary()
    assert text.splitlines()[0] == f"MNIST1DMLP: {total:,} parameters" and "weight (100, 40), bias (100,)" in text


def test_a_shared_parameter_is_counted_once_and_frozen_parameters_are_said():
    first, second = nn.Linear(3, 3), nn.Linear(3, 3)
    second.weight = first.weight  # tied weights: 9 + 3 + 3 numbers, not 24
    model = nn.Sequential(first, nn.ReLU(), second)
    rows = body_rows(tables(model._repr_html_())[0])
    assert [cells[-1] for _, cells in rows] == ["", "12", "", "3"]
    assert model.num_parameters() == 15
    model[0].bias.requires_grad_(False)
    assert model.summary().splitlines()[0] == "Sequential: 15 parameters, 3 frozen"
