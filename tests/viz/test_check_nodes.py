"""draw_graph(check=check_nodes(root)): every node checked on its own and coloured by the verdict."""
import numpy as np

from tinygrad_udl import Tensor, draw_graph
from tinygrad_udl.autograd import rules
from tinygrad_udl.gradcheck import check_nodes


def graph(x0):
    x = Tensor(np.array(x0), requires_grad=True)
    return (x.sin() * 2.0).relu().sum()


def test_a_correct_graph_is_all_ok_and_drawn_so():
    out = graph([0.3, 1.2, -0.7])  # relu's input sin(x)*2 is away from 0
    check = check_nodes(out)
    assert check.ok and set(check.node_status.values()) == {"ok"}
    assert "check: ok" in draw_graph(out, check=check).source


def test_a_wrong_vjp_is_a_mismatch_on_that_node_only(monkeypatch):
    monkeypatch.setattr(rules.SIN, "vjps", (lambda o, g, out, x: g * o.cos(x) * 1.001,))
    out = graph([0.3, 1.2, -0.7])
    check = check_nodes(out)
    assert not check.ok
    assert {node.op for node, s in check.node_status.items() if s == "mismatch"} == {"sin"}
    assert "check: mismatch" in draw_graph(out, check=check).source


def test_relu_at_zero_is_a_kink():
    out = graph([0.0, 1.2, -0.7])  # sin(0) * 2 = 0: relu's kink
    status = {node.op: s for node, s in check_nodes(out).node_status.items()}
    assert status["relu"] == "kink" and status["sin"] == "ok"
