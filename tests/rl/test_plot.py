"""The gridworld picture (figs. 19.5, 19.10) is written as an image file."""
import sys

import numpy as np
import pytest

from tinygrad_udl.rl import PENGUIN_LAYOUT, penguin_gridworld, value_iteration
from tinygrad_udl.rl.plot import plot_gridworld

pytest.importorskip("matplotlib")


def test_values_and_a_deterministic_or_stochastic_policy_are_drawn(tmp_path):
    result = value_iteration(penguin_gridworld())
    for name, policy in (("greedy.png", result.policy), ("uniform.png", np.full((16, 4), 0.25))):
        path = plot_gridworld(PENGUIN_LAYOUT, tmp_path / name, result.values, policy, title="penguin")
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_frozenlake_map_with_its_own_action_order(tmp_path):
    path = plot_gridworld(["SFFF", "FHFH", "FFFH", "HFFG"], tmp_path / "lake.svg", policy=np.zeros(16, dtype=int),
                          actions=("left", "down", "right", "up"))
    assert path.read_text().lstrip().startswith("<?xml")


def test_bad_inputs_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"one entry per cell, shape \(16,\)"):
        plot_gridworld(PENGUIN_LAYOUT, tmp_path / "x.png", values=np.zeros(15))
    with pytest.raises(ValueError, match="unknown actions"):
        plot_gridworld(PENGUIN_LAYOUT, tmp_path / "x.png", actions=("north", "east", "south", "west"))


def test_without_matplotlib_the_error_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install 'tinygrad_udl\[plot\]'"):
        plot_gridworld(PENGUIN_LAYOUT, tmp_path / "x.png")
