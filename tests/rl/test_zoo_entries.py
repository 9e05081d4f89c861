"""The chapter-19 zoo entries: the networks' parameter counts (section 4.4's formula written here),
gradient checks of the tiny models on their tasks' losses, the linear-programming reference
against brute force over every deterministic policy, and short runs of the entries."""
import numpy as np
import pytest
from hypothesis import given, settings

from tinygrad_udl import Tensor, no_grad
from tinygrad_udl.gradcheck import check_module
from tinygrad_udl.rl import penguin_gridworld, value_iteration
from tinygrad_udl.training import History
from tinygrad_udl.zoo.registry import PARTS, registry
from tinygrad_udl.zoo.rl.entries import entries
from tinygrad_udl.zoo.rl.networks import ActionValueTable, PolicyAndValue, QNetwork, ValueNetwork
from tinygrad_udl.zoo.rl.plots import cartpole_pictures
from tinygrad_udl.zoo.rl.trainers import RLHistory, optimal_values_by_lp
from tinygrad_udl.zoo.runner import run

from .mdps import brute_force_optimum, mdps

NAMES = ["gridworld-dp", "gridworld-q-learning", "dqn-gridworld", "dqn-cartpole", "reinforce-cartpole",
         "actor-critic-cartpole"]
ENTRIES = {entry.name: entry for entry in entries()}  # this part's, whatever the state of the other parts
PNG = b"\x89PNG\r\n\x1a\n"


def _count(sizes):
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))  # Σ (D_k + 1)·D_{k+1}, section 4.4


def test_the_entries_are_registered_last_in_book_order():
    assert list(ENTRIES) == NAMES
    assert all(entry.metrics == () and entry.pictures is not None for entry in ENTRIES.values())
    assert PARTS[-1] == "rl"
    assert list(registry())[-len(NAMES):] == NAMES


def test_parameter_counts():
    assert QNetwork().num_parameters() == _count([4, 64, 64, 2]) == 4_610
    assert QNetwork(16, 4, (32,)).num_parameters() == _count([16, 32, 4]) == 676
    assert ValueNetwork().num_parameters() == _count([4, 64, 64, 1]) == 4_545
    assert PolicyAndValue().num_parameters() == 4_610 + 4_545
    assert ActionValueTable(16, 4).num_parameters() == 64
    for name in NAMES:
        entry = ENTRIES[name]
        assert entry.build().num_parameters() == {"gridworld-dp": 64, "gridworld-q-learning": 64,
                                                  "dqn-gridworld": 676, "dqn-cartpole": 4_610}.get(name, 9_155)


@pytest.mark.parametrize("name", NAMES)
def test_gradient_check_of_the_tiny_model_on_its_task(name):
    entry = ENTRIES[name]
    model = entry.build(rng=1, tiny=True)
    if isinstance(model, ActionValueTable):
        with no_grad():
            model.q.data[:] = np.random.default_rng(0).normal(size=model.q.shape)
    x, y = entry.example_inputs(n=5)
    loss = entry.task.loss_fn(model(x), y)
    assert loss.size == 1 and np.isfinite(loss.item())
    report = check_module(model, [x], loss_fn=lambda out: entry.task.loss_fn(out, y))
    assert report.ok, str(report)


def test_the_penguin_task_loss_is_zero_at_q_star():
    entry = ENTRIES["gridworld-dp"]
    x, y = entry.task.load().train
    table = ActionValueTable(16, 4, dtype=np.float64)
    assert entry.task.loss_fn(table(Tensor(x)), y).item() > 0.5
    with no_grad():
        table.q.data[:] = value_iteration(penguin_gridworld(), tol=1e-13).q
    assert entry.task.loss_fn(table(Tensor(x)), y).item() < 1e-20


@settings(max_examples=30)
@given(mdp=mdps(max_states=5, max_actions=3))
def test_linear_programming_finds_the_brute_force_optimum(mdp):
    v_star, q_star = brute_force_optimum(mdp)
    v, q = optimal_values_by_lp(mdp)
    np.testing.assert_allclose(v, v_star, atol=1e-7)
    np.testing.assert_allclose(q, q_star, atol=1e-7)


def test_gridworld_dp_reaches_the_optimum_and_draws_it(tmp_path):
    pytest.importorskip("matplotlib")
    result = run(ENTRIES["gridworld-dp"], seed=0, progress=False, out=tmp_path, plot=True)
    rows = {row["metric"]: row for row in result.rows}
    assert rows["max_s |v − v*|, value iteration"]["ours"] < 1e-9
    assert rows["max_s |v − v*|, policy iteration"]["ours"] < 1e-9
    assert rows["states whose greedy action is optimal"]["ours"] == 16
    assert rows["v*[book state 1] (the start)"]["book"] == pytest.approx(-0.4297, abs=1e-4)
    history = result.history
    assert history[-1]["v_distance"] < 1e-9 < history[0]["v_distance"]
    assert history[-1]["train_loss"] < 1e-10  # the Bellman residual of the last sweep
    assert [p.name for p in result.files] == ["history.json", "curves.png", "gridworld.png", "learning.png"]
    assert all(p.read_bytes()[:8] == PNG for p in result.files[1:])


def test_q_learning_prints_fig_19_12_and_learns():
    result = run(ENTRIES["gridworld-q-learning"], epochs=300, seed=0, progress=False)
    first = result.rows[0]
    assert (first["book"], first["ours"]) == (1.12, pytest.approx(1.1187))
    rows = {row["metric"]: row for row in result.rows}
    assert rows["max |q − q*| (tabular Q-learning)"]["ours"] < rows["max |q − q*| after 6 episodes"]["ours"]
    assert result.history.run_length().startswith("300 episodes")


def test_the_cartpole_pictures(tmp_path):
    pytest.importorskip("matplotlib")
    history = RLHistory([{"step": 100 * k, "return": 20.0 + k, "greedy_return": 9.0 + 50 * k} for k in range(5)],
                        {"final_row": 3, "model": "dqn-cartpole", "step_unit": "environment steps"})
    (path,) = cartpole_pictures(None, history, None, tmp_path)
    assert path.name == "returns.png" and path.read_bytes()[:8] == PNG
    with pytest.raises(ValueError, match="none of the plotted columns"):
        cartpole_pictures(None, History([{"step": 1, "train_loss": 0.5}]), None, tmp_path)
