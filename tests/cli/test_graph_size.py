"""`graph` draws a large model one box per module by default, says so in one line on stderr (stdout
may be the DOT source), and draws every node with --full."""
from .helpers import run

DEEP = "tests.cli.cli_models:deep"  # 30 x (Linear + tanh): more than 100 nodes


def test_a_large_model_is_collapsed_by_default(capsys):
    code, out, err = run(capsys, "graph", "--model", DEEP)
    assert code == 0
    assert "box3d" in out  # module boxes
    assert err.count("\n") == 1 and "nodes, more than 100: each module is drawn as one box" in err
    assert "--full draws every node" in err


def test_full_draws_every_node(capsys):
    code, out, err = run(capsys, "graph", "--model", DEEP, "--full")
    assert code == 0 and err == ""
    assert "box3d" not in out and out.count("tanh(") >= 30


def test_max_nodes_and_full_exclude_each_other(capsys):
    code, _, err = run(capsys, "graph", "--model", DEEP, "--full", "--max-nodes", "5")
    assert code == 2 and "not allowed with argument" in err


def test_a_small_model_and_an_expression_are_drawn_whole(capsys):
    code, out, err = run(capsys, "graph", "--model", "tests.cli.cli_models:small")
    assert code == 0 and err == "" and "box3d" not in out
    long_sum = " + ".join(f"sin(x * {k})" for k in range(1, 40))  # > 100 nodes, but no modules
    code, out, err = run(capsys, "graph", long_sum, "--at", "x=0.5")
    assert code == 0 and err == "" and "max_nodes" not in out


def test_resnet1d_is_collapsed(capsys, tmp_path):
    code, _, err = run(capsys, "graph", "--model", "resnet1d", "-o", str(tmp_path / "r.dot"))
    assert code == 0 and "nodes, more than 100: each module is drawn as one box" in err  # 206 nodes
    assert "box3d" in (tmp_path / "r.dot").read_text()
