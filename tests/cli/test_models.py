"""`--model MODULE:FACTORY` through one resolver (commands/models.py) for `gradcheck` and `graph`,
and from the current folder also through the console script (which, unlike `python -m`, does not
start with the current folder on sys.path)."""
import sys

import pytest

from .helpers import one_line_error, run, script_run

MODELS = "tests.cli.cli_models"

FACTORY = '''
import numpy as np
from tinygrad_udl import Tensor, nn

def make():
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    return model, [Tensor(np.random.default_rng(0).standard_normal((4, 2)))], lambda out: (out * out).mean()
'''


@pytest.fixture
def own_folder(tmp_path, monkeypatch):
    """A current folder holding here_models.py; sys.path and sys.modules restored afterwards."""
    (tmp_path / "here_models.py").write_text(FACTORY)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "here_models", raising=False)
    yield tmp_path
    sys.modules.pop("here_models", None)


def test_the_console_script_finds_a_factory_in_the_current_folder(tmp_path):
    (tmp_path / "here_models.py").write_text(FACTORY)
    p = script_run("gradcheck", "--model", "here_models:make", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "gradcheck: PASSED" in p.stdout and "0.weight" in p.stdout and "Traceback" not in p.stderr


def test_graph_takes_module_factory_like_gradcheck(capsys):
    code, out, err = run(capsys, "graph", "--model", f"{MODELS}:small")
    assert code == 0, err
    assert out.startswith("digraph") and "0.weight" in out and "Linear" in out  # parameters named, modules clustered
    assert "grad 1" in out  # the root is the factory's loss


def test_graph_and_gradcheck_both_read_the_current_folder(capsys, own_folder):
    code, out, err = run(capsys, "graph", "--model", "here_models:make", "-o", "m.dot")
    assert code == 0, err
    assert "0.weight" in (own_folder / "m.dot").read_text()
    code, out, err = run(capsys, "gradcheck", "--model", "here_models:make")
    assert code == 0 and "PASSED" in out, err


@pytest.mark.parametrize("command", ["graph", "gradcheck"])
@pytest.mark.parametrize("spec, message", [
    ("no_such_module_xyz:make", "cannot import 'no_such_module_xyz'"),
    (f"{MODELS}:missing", "has no callable 'missing'"),
    (f"{MODELS}:raises", "the factory raised RuntimeError: no data here"),
    ("no-such-zoo-model", "unknown model 'no-such-zoo-model'"),
    (":make", "give MODULE:FACTORY"),
])
def test_one_resolver_one_set_of_errors(capsys, command, spec, message):
    code, out, err = run(capsys, command, "--model", spec)
    assert code == 2 and out == ""
    one_line_error(err, command)
    assert message in err
