"""The networks of chapter 19: values of action, policies and values of state, as functions of the
state (a CartPole observation, or a one-hot gridworld state).

| class              | computes                                        | book                  |
|--------------------|-------------------------------------------------|-----------------------|
| `ActionValueTable` | q[s, a]: one number per state and action        | eqs. 19.8, 19.15      |
| `QNetwork`         | q[s, ·, φ]: the value of every action at once   | eqs. 19.16–19.18      |
| `PolicyNetwork`    | π[· | s, θ] = softmax(f[s, θ])                  | section 19.5.2        |
| `ValueNetwork`     | v[s, φ]                                         | eqs. 19.39, 19.42     |
| `PolicyAndValue`   | both of the last two                            | sections 19.5.4, 19.6 |

The networks are fully connected (eq. 4.15, `DeepNetwork`: PyTorch's `nn.Sequential` of
`nn.Linear` and `nn.ReLU`, so a state dict carries over name for name) with He initialisation
(eq. 7.30). DQN's convolutional front end for Atari frames (fig. 19.14) is not needed for
CartPole's four numbers.
"""
from __future__ import annotations

import numpy as np

from ...autograd.graph import no_grad
from ...autograd.tensor import Tensor, concatenate
from ...checks import as_generator
from ...distributions import Categorical
from ...nn.module import Module, Parameter, default_float_dtype
from ..supervised.deep import DeepNetwork


class ActionValueTable(Module):
    """`ActionValueTable(n_states=16, n_actions=4)`: the table q[s, a] of tabular RL (eq. 19.8;
    the Q-learning of eq. 19.15 updates it) as a module: `q` is an (S, A) parameter, zeros at the
    start as the book's tables are, and forward maps one-hot states (N, S) to their rows
    q[s, ·] (N, A) -- a `QNetwork` with no hidden layer and no bias. S·A parameters (64 for the
    penguin). `rng` is accepted for the zoo's factories and not used: a table starts at zero."""

    def __init__(self, n_states=16, n_actions=4, rng=None, dtype=None):
        super().__init__()
        self.q = Parameter(np.zeros((int(n_states), int(n_actions)), default_float_dtype(dtype)))

    def forward(self, states):
        if isinstance(states, Tensor) and states.dtype != self.q.dtype and not states.requires_grad:
            states = Tensor(states.data.astype(self.q.dtype))  # one-hot rows: exact in any float type
        return states @ self.q

    def extra_repr(self):
        return f"{self.q.shape[0]} states, {self.q.shape[1]} actions"


class QNetwork(DeepNetwork):
    """`QNetwork(state_size=4, n_actions=2, widths=(64, 64), rng=0)`: q[s, a, φ] for every action
    a at once (section 19.4.1: "the network takes only the state and simultaneously predicts the
    values for each action"), the model of fitted Q-learning (eqs. 19.16–19.18).

    Input (N, state_size), output (N, n_actions). Σ_k (D_k + 1)·D_{k+1} parameters (section
    4.4): 4-64-64-2 for CartPole has 5·64 + 65·64 + 65·2 = 4,610; 16-32-4 for the penguin's
    one-hot states has 17·32 + 33·4 = 676.
    """

    def __init__(self, state_size=4, n_actions=2, widths=(64, 64), rng=0, dtype=None):
        super().__init__(state_size, widths, n_actions, rng=rng, dtype=dtype)


class PolicyNetwork(DeepNetwork):
    """`PolicyNetwork(state_size=4, n_actions=2, widths=(64, 64), rng=0)`: the policy of section
    19.5.2, "a neural network π[s | θ], which takes the current state s and returns one output for
    each possible action. These outputs are passed through a softmax function to create a
    distribution over actions". Forward returns the logits (N, n_actions); `distribution`
    returns the `Categorical` π[· | s, θ]. The last layer starts at zero, so the first policy
    is uniform. 4,610 parameters for 4-64-64-2 (as `QNetwork`).
    """

    def __init__(self, state_size=4, n_actions=2, widths=(64, 64), rng=0, dtype=None):
        super().__init__(state_size, widths, n_actions, rng=rng, dtype=dtype)
        with no_grad():
            self[len(self) - 1].weight.data[:] = 0.0  # uniform first policy: every action gets tried

    def distribution(self, states) -> Categorical:
        return Categorical(logits=self(Tensor(states) if not isinstance(states, Tensor) else states))


class ValueNetwork(DeepNetwork):
    """`ValueNetwork(state_size=4, widths=(64, 64), rng=0)`: the value of state v[s, φ], one output
    per state (N, 1): REINFORCE's state-dependent baseline fitted to the rewards-to-go (eq.
    19.39) and actor–critic's critic (eq. 19.42). 4,545 parameters for 4-64-64-1
    (5·64 + 65·64 + 65·1)."""

    def __init__(self, state_size=4, widths=(64, 64), rng=0, dtype=None):
        super().__init__(state_size, widths, 1, rng=rng, dtype=dtype)


class PolicyAndValue(Module):
    """`PolicyAndValue(state_size=4, n_actions=2, widths=(64, 64), rng=0)`: a policy network π[· | s, θ]
    (`actor`, a `PolicyNetwork`) and a value network v[s, φ] (`critic`, a `ValueNetwork`): REINFORCE
    with its state-dependent baseline (eqs. 19.38–19.39), or the actor and the critic of section
    19.6 (the book notes that one network with two sets of outputs is also common; two networks
    are used here). Forward returns both side by side, (N, n_actions + 1): the logits, then the
    value. Parameters: the two networks' (4,610 + 4,545 = 9,155 for CartPole); names 'actor.*',
    'critic.*'."""

    def __init__(self, state_size=4, n_actions=2, widths=(64, 64), rng=0, dtype=None):
        super().__init__()
        actor_rng, critic_rng = as_generator(rng, "zoo model").spawn(2)
        self.actor = PolicyNetwork(state_size, n_actions, widths, rng=actor_rng, dtype=dtype)
        self.critic = ValueNetwork(state_size, widths, rng=critic_rng, dtype=dtype)

    def forward(self, states):
        return concatenate([self.actor(states), self.critic(states)], axis=1)
