"""The command line with chapter 15's entries: `train` prints the table with its references, and
`graph --model` draws one step of the two-player game with each player (and the gradient penalty's
double backward) in a box of its own.

Oracle for the drawing: the nodes the penalty creates are those of the critic's backward pass, the
norm and the square; the parameters of both players receive gradients (the value of the game
depends on both).
"""
import json

import pytest

from tinygrad_udl.cli import main
from viz.dotparse import parse


def test_train_prints_the_references_and_writes_the_history(tmp_path, capsys):
    assert main(["train", "gan-1d", "--steps", "200", "--lr", "0.1", "--quiet", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "generator's theta" in out and "log 4 = 1.3863" in out and "book: 'at chance (i.e., 0.5)'" in out
    rows = json.loads((tmp_path / "history.json").read_text())["rows"]
    assert rows[0]["theta"] == 3.0 and rows[-1]["step"] == 200


def test_train_plot_draws_the_learning_curves_and_the_critic(tmp_path):
    pytest.importorskip("matplotlib")
    assert main(["train", "wgan-1d", "--steps", "20", "--quiet", "--plot", "--out", str(tmp_path)]) == 0
    for picture in ("curves.png", "critic.png"):
        assert (tmp_path / picture).read_bytes()[:4] == b"\x89PNG"


def test_graph_of_the_wgan_gp_step_has_both_players_and_the_penalty(tmp_path):
    out = tmp_path / "game.dot"
    assert main(["graph", "--model", "wgan-gp-ring", "--full", "-o", str(out)]) == 0
    dot = parse(out.read_text())
    clusters = {c.label: c for c in dot.clusters}
    assert {"generator (Sequential)", "critic (Sequential)", "gradient_penalty (GradientPenalty)"} <= set(clusters)
    penalty = clusters["gradient_penalty (GradientPenalty)"]
    penalty_ops = {dot.nodes[i]["rows"][0].rstrip("0123456789") for i in penalty.members}
    assert {"matmul", "where", "sqrt", "pow_const"} <= penalty_ops   # the critic's backward, then (‖g‖ − 1)²
    for name in ("generator.0.weight", "critic.0.weight"):
        assert any(row.startswith("grad ") for row in dot.by_name(name)["rows"])
