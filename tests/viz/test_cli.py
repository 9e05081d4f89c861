"""`tinygrad-udl graph` and `tinygrad-udl trace`: a few runs through a real subprocess, the error
paths in-process through `cli.main` (same code, faster)."""
import math
import re
import subprocess
import sys

import pytest

from tinygrad_udl.cli import main

from .dotparse import parse
from .toy_closed_form import toy_closed_form


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "tinygrad_udl", *args], capture_output=True, text=True, cwd=cwd)


def test_graph_example_toy_writes_an_svg(tmp_path):
    result = run_cli("graph", "--example", "toy", "-o", str(tmp_path / "toy.svg"))
    assert result.returncode == 0, result.stderr
    assert "<svg" in (tmp_path / "toy.svg").read_text(encoding="utf-8")


def test_graph_of_an_expression_prints_dot_with_its_gradients():
    result = run_cli("graph", "sin(x) * y", "--at", "x=0.5", "--at", "y=2")
    assert result.returncode == 0, result.stderr
    dot = parse(result.stdout)
    assert float(dot.row("x", "grad")) == pytest.approx(2 * math.cos(0.5), rel=5e-4)   # d/dx = y cos x
    assert float(dot.row("y", "grad")) == pytest.approx(math.sin(0.5), rel=5e-4)       # d/dy = sin x
    assert dot.by_name("x")["attrs"]["style"] == "filled,rounded"  # the --at variables are the parameters


def test_trace_example_toy_markdown():
    result = run_cli("trace", "--example", "toy", "--markdown")
    assert result.returncode == 0, result.stderr
    _, d = toy_closed_form()
    row = next(line for line in result.stdout.splitlines() if line.startswith("| ") and "`omega0`" in line)
    assert row.rstrip(" |").endswith(f"{d['omega0']:.6g}")


def test_graph_options_reach_the_drawing(tmp_path, capsys):
    assert main(["graph", "--example", "toy", "--no-grads", "--format", "dot", "-o", str(tmp_path / "g.txt")]) == 0
    text = (tmp_path / "g.txt").read_text(encoding="utf-8")
    assert "grad " not in text and "data 0.4" in text
    assert main(["graph", "x * x", "--at", "x=3", "--no-values", "--rankdir", "TB"]) == 0
    out = capsys.readouterr().out
    assert "rankdir=TB" in out and "data " not in out and "grad 6" in out


def test_trace_of_an_expression(capsys):
    assert main(["trace", "x * y + x", "--at", "x=2", "--at", "y=5"]) == 0
    out = capsys.readouterr().out
    # x feeds the add (dL/dx = 1) and the mul (+ y = 5): accumulated over its two consumers
    assert re.search(r"^ +2 +x +x \* y \+ x +add +1 +1 +1 +1$", out, re.M)
    assert re.search(r"^ +3 +x +x \* y +mul +1 +5 +5 +6$", out, re.M)


@pytest.mark.parametrize("argv, message", [
    (["graph"], "exactly one of EXPR"),
    (["graph", "x", "--example", "toy"], "exactly one of EXPR"),
    (["graph", "x * y", "--at", "x=1"], "no value for y"),
    (["graph", "x", "--at", "x=1", "--at", "z=2"], "not a variable"),
    (["graph", "__import__('os')", "--at", "x=1"], ""),
    (["graph", "2 * 3"], "no variables"),
    (["graph", "--example", "nope"], "known: toy"),
    (["graph", "--example", "toy", "--at", "x=1"], "--at"),
    (["graph", "--model", "nope"], ""),
    (["graph", "--example", "toy", "-o", "g.bmp"], "cannot tell the format"),
    (["graph", "--example", "toy", "--format", "svg"], "needs -o"),
    (["graph", "--example", "toy", "--max-nodes", "0"], "--max-nodes"),
    (["trace", "v * 2", "--at", "v=[1, 2]"], "single number"),
])
def test_mistakes_give_one_line_and_exit_code_2(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"tinygrad-udl {argv[0]}: error: ") and err.count("\n") == 1 and message in err


def test_missing_graphviz_is_a_usage_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["graph", "--example", "toy", "-o", str(tmp_path / "toy.png")]) == 2
    assert "apt-get install graphviz" in capsys.readouterr().err


def test_graph_of_a_zoo_model_draws_its_loss_with_module_boxes(tmp_path, capsys):
    from tinygrad_udl.cli import main

    out = tmp_path / "cnn.dot"
    assert main(["graph", "--model", "mnist1d-cnn", "--max-nodes", "40", "-o", str(out)]) == 0
    source = out.read_text()
    assert "Conv1d" in source and "softmax_cross_entropy" in source  # collapsed layers, then the loss node
    assert "grad 1" in source  # the root is the task's (scalar) loss, seeded with 1
