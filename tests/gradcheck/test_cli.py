"""`tinygrad-udl gradcheck`: most cases in-process through cli.main (fast), a few through a real
subprocess (the installed entry point: exit codes, JSON on stdout, no traceback on stderr)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_udl.autograd import rules
from tinygrad_udl.cli import main

from .gradcheck_testing import wrong_vjp
from .test_expr import INJECTIONS

ROOT = Path(__file__).resolve().parents[2]
MODELS = "tests.gradcheck.cli_models"


def run(capsys, *argv):
    code = main(["gradcheck", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def subprocess_run(*argv):
    return subprocess.run([sys.executable, "-m", "tinygrad_udl", "gradcheck", *argv], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


# ---- through a real process -----------------------------------------------------------------------


def test_subprocess_expression_passes_with_table():
    p = subprocess_run("sin(x)*exp(y) + x**2", "--at", "x=0.5", "--at", "y=1.2")
    assert p.returncode == 0, p.stderr
    assert "PASSED" in p.stdout and "x " in p.stdout and "3.91367" in p.stdout  # cos(.5)e^1.2 + 1
    assert p.stderr == ""


def test_subprocess_model_mismatch_json_and_exit_one():
    p = subprocess_run("--model", f"{MODELS}:bad", "--json")
    assert p.returncode == 1, p.stderr
    report = json.loads(p.stdout)
    assert report["ok"] is False and report["wrong_node"]["op"] == "square_wrong_at"
    assert "cli_models.py" in report["wrong_node"]["site"]


def test_subprocess_bad_expression_exit_two_without_traceback():
    p = subprocess_run("__import__('os').system('echo PWNED')", "--at", "x=1")
    assert p.returncode == 2 and "PWNED" not in p.stdout + p.stderr
    assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1


def test_subprocess_op_sweep_subset():
    p = subprocess_run("--ops", "sin", "matmul", "--order", "2")
    assert p.returncode == 0, p.stderr
    assert "2 primitives: 2 ok" in p.stdout


# ---- in-process -----------------------------------------------------------------------------------


def test_arrays_fast_order_two(capsys):
    code, out, _ = run(capsys, "sum(tanh(W @ v))", "--at", "W=randn(3,4)", "--at", "v=[1,2,3,4]",
                       "--order", "2", "--mode", "fast", "--seed", "3")
    assert code == 0 and "fast check, order 2" in out


def test_scalars_mixed_with_arrays_become_arrays(capsys):
    code, out, _ = run(capsys, "sum(exp(a * v))", "--at", "a=0.5", "--at", "v=[1,2]")
    assert code == 0 and "a " in out and "v " in out


def test_kink_is_exit_zero_and_reported(capsys):
    code, out, _ = run(capsys, "relu(x) + abs(x)", "--at", "x=0")
    assert code == 0 and "KINK" in out and "non-differentiable" in out


def test_mismatch_is_exit_one_and_names_the_node(capsys):
    with wrong_vjp(rules.EXP, 1.001):
        code, out, _ = run(capsys, "sin(x)*exp(y)", "--at", "x=0.5", "--at", "y=1.2")
    assert code == 1 and "FAIL" in out and "first wrong node: 'exp'" in out and "label 'exp(y)'" in out


def test_eps_sweep_json(capsys):
    code, out, _ = run(capsys, "exp(x)*x", "--at", "x=1", "--eps-sweep", "--json")
    data = json.loads(out)
    assert code == 0 and data["ok"] and data["rows"][0]["slope"] == pytest.approx(2, abs=0.2)
    with wrong_vjp(rules.EXP, 1.001):
        code, out, _ = run(capsys, "exp(x)*x", "--at", "x=1", "--eps-sweep")
    assert code == 1 and "does not shrink" in out


def test_model_protocols(capsys):
    code, out, _ = run(capsys, "--model", f"{MODELS}:good", "--mode", "fast")
    assert code == 0 and "fast check" in out
    code, out, _ = run(capsys, "--model", f"{MODELS}:function_with_loss", "--order", "2")
    assert code == 0 and "x " in out
    code, out, _ = run(capsys, "--model", f"{MODELS}:bad", "--eps-sweep")
    assert code == 1 and "layers.1.weight" in out


def test_zoo_registry_entries(capsys, monkeypatch):
    import types

    import numpy as np

    import tinygrad_udl.zoo as zoo
    from tinygrad_udl import Tensor

    from .gradcheck_testing import TwoLayerNet

    built = []

    class Entry:  # duck-typed zoo.registry.ZooEntry
        task = types.SimpleNamespace(loss_fn=lambda out, y: ((out - Tensor(y)) ** 2).mean())

        def build(self, rng=0, tiny=False):
            built.append((rng, tiny))
            return TwoLayerNet(seed=rng)

        def example_inputs(self):
            return Tensor(np.ones((4, 3), np.float32)), np.zeros((4, 2), np.float32)

    monkeypatch.setattr(zoo, "registry", lambda: {"two-layer": Entry()}, raising=False)
    code, out, _ = run(capsys, "--model", "two-layer", "--seed", "4")
    # the tiny model is checked; the full one is built only to say how many parameters it has
    assert code == 0 and "layers.1.weight" in out and built == [(4, True), (4, False)]
    assert out.startswith("checking two-layer in its tiny configuration (the default): ")
    code, _, err = run(capsys, "--model", "three-layer")
    assert code == 2 and "known: two-layer" in err


def test_op_sweep_table_and_failure(capsys):
    code, out, _ = run(capsys, "--ops")
    assert code == 0 and "status" in out and "primitives:" in out
    with wrong_vjp(rules.SIGMOID, 1.001):
        code, out, _ = run(capsys, "--ops", "sigmoid", "tanh")
    assert code == 1 and "1 ok, 1 FAIL" in out and "first wrong node: 'sigmoid'" in out


@pytest.mark.parametrize("argv, message", [
    ([], "exactly one"),
    (["x", "--ops"], "exactly one"),
    (["x*y", "--at", "x=1"], "no value for y"),
    (["x", "--at", "x=1", "--at", "x=2"], "twice"),
    (["x", "--at", "x=1", "--at", "z=2"], "does not appear"),
    (["pi * 2"], "no variables"),
    (["log(x)", "--at", "x=-1"], "negative"),
    (["log(x)", "--at", "x=1e-9"], "domain"),
    (["a + b", "--at", "a=[1,2]", "--at", "b=[1,2,3]"], "broadcast"),
    (["x", "--at", "x=randn(0)"], "positive integer"),
    (["x", "--eps", "-1", "--at", "x=1"], "--eps -1: must be a finite number > 0"),
    (["--model", "nosuchmodel"], "unknown model"),
    (["--model", "no_such_module_xyz:f"], "cannot import"),
    (["--model", f"{MODELS}:missing"], "no callable"),
    (["--model", f"{MODELS}:raises"], "no data here"),
    (["--model", f"{MODELS}:wrong_type"], "expected (model, inputs)"),
    (["--model", f"{MODELS}:shape_mismatch"], "ShapeError: matmul"),
    (["--ops", "no_such_op"], "unknown primitive"),
    (["--ops", "--eps-sweep"], "--eps-sweep"),
    (["--model", f"{MODELS}:good", "--at", "x=1"], "--at"),
])
def test_usage_errors_exit_two_with_one_line(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize("text", INJECTIONS[:20])
def test_injections_exit_two(capsys, text):
    code, out, err = run(capsys, text, "--at", "x=0.5")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=30))
def test_fuzzed_expressions_never_raise(text):
    # exit 0/1 for a valid expression in x, 2 for anything else; never an exception
    assert main(["gradcheck", "--at", "x=0.5", "--", text]) in (0, 1, 2)
