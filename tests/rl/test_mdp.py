"""The MDP arrays are checked on construction; the penguin gridworld is the book's (figs. 19.1–19.3,
19.10, problem 19.3)."""
import numpy as np
import pytest

from tinygrad_udl.rl import MDP, PENGUIN_LAYOUT, gridworld_mdp, penguin_gridworld

P2 = np.array([[[0.5, 0.5]], [[0.0, 1.0]]])  # 2 states, 1 action
R2 = np.array([[1.0], [0.0]])


def test_a_valid_mdp_keeps_its_arrays_read_only():
    mdp = MDP(P2, R2, 0.9, terminal=[1], start=0)
    assert (mdp.n_states, mdp.n_actions) == (2, 1)
    assert mdp.terminal.tolist() == [False, True] and mdp.start.tolist() == [1.0, 0.0]
    with pytest.raises(ValueError):
        mdp.P[0, 0, 0] = 1.0


def test_rewards_per_transition_become_their_expectation():
    R3 = np.array([[[2.0, 4.0]], [[0.0, 6.0]]])
    assert np.allclose(MDP(P2, R3, 0.5).R, [[3.0], [6.0]])


def test_the_default_start_is_uniform_over_non_terminal_states():
    P = np.full((3, 1, 3), 1 / 3)
    assert np.allclose(MDP(P, np.zeros((3, 1)), 0.9, terminal=[2]).start, [0.5, 0.5, 0.0])


@pytest.mark.parametrize("kwargs, message", [
    (dict(P=np.ones((2, 2)), R=R2, gamma=0.9), r"shape \(n_states, n_actions, n_states\)"),
    (dict(P=np.ones((2, 1, 3)) / 3, R=R2, gamma=0.9), r"shape \(n_states, n_actions, n_states\)"),
    (dict(P=[[[0.5, 0.4]], [[0.0, 1.0]]], R=R2, gamma=0.9), r"row P\[0, 0, :\] sums to 0.9"),
    (dict(P=[[[1.5, -0.5]], [[0.0, 1.0]]], R=R2, gamma=0.9), r"P\[0, 0, 1\] = -0.5 is not a probability"),
    (dict(P=P2, R=np.zeros((2, 2)), gamma=0.9), r"R must have shape \(n_states, n_actions\) = \(2, 1\)"),
    (dict(P=P2, R=[[np.nan], [0.0]], gamma=0.9), "non-finite"),
    (dict(P=P2, R=R2, gamma=1.5), r"gamma must be in \[0, 1\]"),
    (dict(P=P2, R=R2, gamma=0.9, terminal=[2]), r"indices in \[0, 2\)"),
    (dict(P=P2, R=R2, gamma=0.9, terminal=[True]), r"shape \(2,\)"),
    (dict(P=P2, R=R2, gamma=0.9, start=[0.7, 0.7]), "sum to 1"),
    (dict(P=P2, R=R2, gamma=0.9, start=5), r"state index in \[0, 2\)"),
    (dict(P=P2, R=R2, gamma=0.9, terminal=[0, 1]), "every state is terminal"),
    (dict(P=P2, R=R2, gamma=0.9, action_names=["up", "down"]), "2 action_names for 1 actions"),
])
def test_bad_arrays_are_refused_with_a_message_naming_the_problem(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MDP(**kwargs)


def test_the_penguin_layout_is_fig_19_10():
    mdp = penguin_gridworld()
    tiles = "".join(PENGUIN_LAYOUT)
    # book numbering 1..16: holes at 10, 11, 15, the fish at 16, the start at 1
    assert [s + 1 for s, t in enumerate(tiles) if t == "H"] == [10, 11, 15]
    assert tiles.index("G") + 1 == 16 and mdp.start[0] == 1.0
    assert mdp.gamma == 0.9 and mdp.action_names == ("up", "right", "down", "left")
    assert np.flatnonzero(mdp.terminal).tolist() == [15]


def test_the_penguin_slips_as_in_fig_19_3():
    mdp = penguin_gridworld()
    # book state 6 (index 5) has neighbours 2 (up), 7 (right), 10 (down), 5 (left): 0.5 to the
    # intended one, 0.5/3 to each of the others
    up, right, down, left = 1, 6, 9, 4
    for action, intended in enumerate([up, right, down, left]):
        expected = np.zeros(16)
        expected[[up, right, down, left]] = 0.5 / 3
        expected[intended] = 0.5
        assert np.allclose(mdp.P[5, action], expected)
    # the top-left corner: up and left hit the edge and slip to right/down uniformly
    assert np.allclose(mdp.P[0, 0, [1, 4]], [0.5, 0.5]) and np.allclose(mdp.P[0, 1, [1, 4]], [0.5, 0.5])


def test_penguin_rewards_are_paid_for_leaving_by_default_and_on_arrival_on_request():
    leave, arrive = penguin_gridworld(), penguin_gridworld("arrive")
    assert np.all(leave.R[[9, 10, 14]] == -2) and np.all(leave.R[15] == 3) and np.all(leave.R[0] == 0)
    # arriving: from book state 12 (index 11) moving down reaches the fish with probability 0.5,
    # and slips up (ice) or left (the hole, book state 11) with 0.25 each
    assert arrive.R[11, 2] == pytest.approx(0.5 * 3 + 0.25 * 0 + 0.25 * -2)
    assert np.all(arrive.R[15] == 0)


def test_gridworld_rejects_unknown_tiles_and_timings():
    with pytest.raises(ValueError, match="unknown tiles"):
        gridworld_mdp(["SX"], {}, 0.9)
    with pytest.raises(ValueError, match="equal-length"):
        gridworld_mdp(["SF", "F"], {}, 0.9)
    with pytest.raises(ValueError, match="reward_timing"):
        gridworld_mdp(["SF"], {}, 0.9, reward_timing="later")
    with pytest.raises(ValueError, match="no move"):
        gridworld_mdp(["S"], {}, 0.9)
