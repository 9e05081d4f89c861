"""Gridworlds on slippery ice, and the book's penguin (figs. 19.1–19.5, 19.10).

A layout is a list of equal-length strings, one per row, in FrozenLake's letters: S the start,
F frozen ice, H a hole, G the goal (the penguin's fish). State s is the cell (row, column) =
divmod(s, n_columns), counted from the top left; the book numbers the same cells 1 to 16.
"""
from __future__ import annotations

import numpy as np

from .mdp import MDP

__all__ = ["PENGUIN_LAYOUT", "BOOK_ACTIONS", "gridworld_mdp", "penguin_gridworld", "layout_grid"]

# Fig. 19.10a: holes at the book's states 10, 11 and 15, the fish at 16, the penguin starts at 1.
PENGUIN_LAYOUT = ("SFFF",
                  "FFFF",
                  "FHHF",
                  "FFHG")

# Fig. 19.3b: the four actions, in the book's order.
BOOK_ACTIONS = ("up", "right", "down", "left")
_MOVES = {"up": (-1, 0), "right": (0, 1), "down": (1, 0), "left": (0, -1)}
_TILES = "SFHG"


def gridworld_mdp(layout, tile_rewards, gamma: float, terminal_tiles: str = "G", intended_probability: float = 0.5,
                  reward_timing: str = "leave", actions=BOOK_ACTIONS) -> MDP:
    """The MDP of a slippery gridworld.

    Moves: the intended move succeeds with `intended_probability`, and the rest is split equally
    over the other moves that stay on the grid (fig. 19.3c). The agent never stays put: when the
    intended move would leave the grid, it slips to one of the valid moves, uniformly (as in the
    Markov process of fig. 19.1, where every adjacent cell is equally likely).

    Rewards: `tile_rewards` maps a tile letter to its reward (others pay 0). With
    reward_timing="leave" (the book, fig. 19.3 and problem 19.3) the reward of a tile is paid for
    leaving it, whatever the action, and a terminal tile ends the episode after paying it, so the
    fish is worth its reward. With "arrive" (common elsewhere) it is paid on arriving there, and
    a terminal tile pays nothing more.
    """
    grid = layout_grid(layout)
    if reward_timing not in ("leave", "arrive"):
        raise ValueError(f"gridworld_mdp: reward_timing must be 'leave' (the book) or 'arrive', got {reward_timing!r}")
    if not 0.0 <= intended_probability <= 1.0:
        raise ValueError(f"gridworld_mdp: intended_probability must be in [0, 1], got {intended_probability}")
    unknown = set(tile_rewards) - set(_TILES) or set(terminal_tiles) - set(_TILES)
    if unknown:
        raise ValueError(f"gridworld_mdp: unknown tiles {sorted(unknown)}; tiles are S, F, H, G")
    unknown = set(actions) - set(_MOVES)
    if unknown:
        raise ValueError(f"gridworld_mdp: unknown actions {sorted(unknown)}; use up, right, down, left")
    n_rows, n_columns = grid.shape
    tiles = grid.ravel()
    reward = np.array([float(tile_rewards.get(tile, 0.0)) for tile in tiles])
    terminal = np.isin(tiles, list(terminal_tiles))
    P = np.zeros((tiles.size, len(actions), tiles.size))
    for s in range(tiles.size):
        neighbours = _neighbours(s, n_rows, n_columns)
        if not neighbours:
            raise ValueError(f"gridworld_mdp: a {n_rows}x{n_columns} grid leaves no move from state {s}")
        for a, action in enumerate(actions):
            P[s, a] = _slip(neighbours, action, intended_probability, tiles.size)
        if terminal[s]:
            P[s] = np.eye(tiles.size)[s]  # never used: the episode has ended
    if reward_timing == "leave":
        R = np.repeat(reward[:, None], len(actions), axis=1)
    else:
        R = P @ reward
        R[terminal] = 0.0
    start = (tiles == "S") / (tiles == "S").sum() if (tiles == "S").any() else None
    return MDP(P, R, gamma, terminal=terminal, start=start, action_names=actions)


def penguin_gridworld(reward_timing: str = "leave", gamma: float = 0.9) -> MDP:
    """The book's penguin on the ice of fig. 19.10 (`PENGUIN_LAYOUT`): 16 states, actions up, right,
    down, left; the intended move happens with probability 0.5 (fig. 19.3c); leaving a hole costs
    −2 (the penguin climbs out; a hole does not end the episode) and leaving the fish pays +3 and
    ends the episode (problem 19.3); γ = 0.9 (fig. 19.2). See `gridworld_mdp` for the details the
    book leaves open (moves into the edge, `reward_timing`)."""
    return gridworld_mdp(PENGUIN_LAYOUT, {"H": -2.0, "G": 3.0}, gamma, terminal_tiles="G",
                         intended_probability=0.5, reward_timing=reward_timing)


def layout_grid(layout) -> np.ndarray:
    """The layout as a 2-D array of tile letters (checked)."""
    rows = [str(row) for row in layout]
    if not rows or len({len(row) for row in rows}) != 1 or not rows[0]:
        raise ValueError(f"gridworld: the layout must be a non-empty list of equal-length strings, got {layout!r}")
    grid = np.array([list(row) for row in rows])
    unknown = set(grid.ravel()) - set(_TILES)
    if unknown:
        raise ValueError(f"gridworld: unknown tiles {sorted(unknown)} in the layout; tiles are S (start), F (ice), "
                         "H (hole), G (goal)")
    return grid


def _neighbours(s, n_rows, n_columns) -> dict[str, int]:
    """The moves that stay on the grid, and the state each leads to."""
    row, column = divmod(s, n_columns)
    out = {}
    for name, (d_row, d_column) in _MOVES.items():
        r, c = row + d_row, column + d_column
        if 0 <= r < n_rows and 0 <= c < n_columns:
            out[name] = r * n_columns + c
    return out


def _slip(neighbours, action, intended_probability, n_states) -> np.ndarray:
    row = np.zeros(n_states)
    if action not in neighbours:  # into the edge: a uniformly random valid move
        for s_next in neighbours.values():
            row[s_next] += 1.0 / len(neighbours)
        return row
    others = [s_next for name, s_next in neighbours.items() if name != action]
    row[neighbours[action]] = intended_probability if others else 1.0
    for s_next in others:
        row[s_next] += (1.0 - intended_probability) / len(others)
    return row
