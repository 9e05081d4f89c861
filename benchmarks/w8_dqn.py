"""W8: the inner loop of a DQN agent (section 19.4.1): one action and one training step per environment step.

The Q-network is an MLP 4-64-64-2 with ReLUs (CartPole's sizes), float32, He-normal weights and
zero biases drawn once (the same for every system); the target network is a fixed copy of them.
Per environment step:

    (a) act:   q = Q(s, .) for one state s (shape (1, 4)), no gradient; the action argmax_a q
    (b) learn: on a minibatch of 32 transitions (s, a, r, s', done) from the replay buffer,
               y = r + gamma (1 - done) max_a' Q_target(s', a')       (under no_grad, eq. 19.18)
               loss = mean (Q(s, a) - y)^2                            (eq. 19.16, the book's loss)
               zero_grad, backward, Adam step (lr 1e-3, PyTorch's defaults)

which is `tinygrad_udl.rl.dqn`'s step with `loss="squared"` and no gradient clipping. There is no
environment: the states, the buffer's transitions and the minibatch indices come from a seeded
numpy generator made once (`setup`, which also gathers the minibatches: sampling the buffer is
the same numpy for every system), and a case cycles through them, so what is timed is the
agent's own cost -- at these sizes almost all of it per-operation overhead, as in W2.
One timed sample is `inner` environment steps; the unit is microseconds per environment step.

Our compiled row runs the act function and the training step through `tinygrad_udl.compile`.
For that, both take their arrays as arguments and stay within the library's operations: the
target is built from Tensor ops under no_grad, where `rl.dqn.q_learning_targets` computes it in
numpy from the target network's output (a constant of the trace, so the compiler would fall back
to eager mode). The eager row runs the same functions, so the two compute the same numbers bit
for bit; `rl.dqn`'s `fitted_q_loss` and `q_learning_targets` agree with them (the tests).
"""
from __future__ import annotations

import copy
import functools
import math
from dataclasses import dataclass

from .harness import JAX, NUMPY, OURS, TORCH, Case, SystemCase, Workload
from .w7_gpt import adam_corrections, adam_update

SIZES = (4, 64, 64, 2)          # state, hidden, hidden, actions
N_ACTIONS = SIZES[-1]
BATCH, GAMMA, LR = 32, 0.99, 1e-3
BUFFER = 1_000                  # transitions in the replay buffer
SCHEDULE = 500                  # environment steps before a case starts over with the first state
DONE_PROBABILITY = 0.05
NAMES = ("0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias")  # nn.Sequential's names


@dataclass(frozen=True)
class Data:
    """The shared inputs: `weights` in NAMES order; `states[i]` (1, 4) the state of environment step
    i; `batches` (states, actions, rewards, next_states, dones), each with a leading axis of
    SCHEDULE: step i's minibatch, gathered from the buffer by indices drawn uniformly."""
    weights: tuple
    states: object
    batches: tuple


@functools.cache
def setup() -> Data:
    import numpy as np

    rng = np.random.default_rng(0)
    weights = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        weights.append((rng.standard_normal((fan_out, fan_in)) * math.sqrt(2.0 / fan_in)).astype(np.float32))
        weights.append(np.zeros(fan_out, np.float32))   # He normal weights, zero biases (section 7.5)
    buffer = (rng.standard_normal((BUFFER, SIZES[0])).astype(np.float32),          # s
              rng.integers(0, N_ACTIONS, BUFFER),                                  # a (int64)
              rng.standard_normal(BUFFER).astype(np.float32),                      # r
              rng.standard_normal((BUFFER, SIZES[0])).astype(np.float32),          # s'
              (rng.random(BUFFER) < DONE_PROBABILITY).astype(np.float32))          # done, as 0/1
    indices = rng.integers(0, BUFFER, (SCHEDULE, BATCH))
    states = rng.standard_normal((SCHEDULE, 1, SIZES[0])).astype(np.float32)
    return Data(tuple(weights), states, tuple(np.ascontiguousarray(column[indices]) for column in buffer))


class AgentCase(Case):
    """A system implements `q_values(state)` -> numpy (1, N_ACTIONS), `act(state)` -> int and
    `learn(states, actions, rewards, next_states, dones)` -> the loss (float, before the update).
    check(): the first state's action values and the losses of the first two training steps (the
    second shows the first Adam update); step(): `inner` environment steps."""

    def __init__(self, inner):
        self.inner, self.data, self.t = inner, setup(), 0

    def env_step(self):
        i = self.t % SCHEDULE
        self.t += 1
        self.act(self.data.states[i])
        return self.learn(*(column[i] for column in self.data.batches))

    def check(self):
        q = self.q_values(self.data.states[0])
        return (*(float(v) for v in q[0]), self.env_step(), self.env_step())

    def step(self):
        for _ in range(self.inner):
            self.env_step()


# ---- tinygrad_udl ---------------------------------------------------------------------------------


class Ours(AgentCase):
    """nn.Sequential + optim.Adam, eagerly: the functions our compiled row compiles."""

    def __init__(self, inner):
        super().__init__(inner)
        import numpy as np

        import tinygrad_udl as tg
        from tinygrad_udl import nn
        from tinygrad_udl.optim import Adam

        self.tg, self.np = tg, np
        self.net = nn.Sequential(nn.Linear(SIZES[0], SIZES[1]), nn.ReLU(), nn.Linear(SIZES[1], SIZES[2]), nn.ReLU(),
                                 nn.Linear(SIZES[2], SIZES[3]))
        self.net.load_state_dict({k: w.copy() for k, w in zip(NAMES, self.data.weights)})
        self.target = copy.deepcopy(self.net)
        self.optimizer = Adam(self.net.parameters(), lr=LR)

    def forward(self, state):
        with self.tg.no_grad():
            return self.net(self.tg.Tensor(state)).numpy()

    def learn(self, states, actions, rewards, next_states, dones):
        tg, np = self.tg, self.np
        with tg.no_grad():
            best = self.target(tg.Tensor(next_states)).max(axis=1)
            targets = tg.Tensor(rewards) + GAMMA * (1.0 - tg.Tensor(dones)) * best
        error = self.net(tg.Tensor(states))[np.arange(len(actions)), actions] - targets
        loss = (error * error).mean()
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def q_values(self, state):
        return self.forward(state)

    def act(self, state):
        return int(self.forward(state).argmax())


class OursCompiled(Ours):
    """The act forward and the training step each through `tinygrad_udl.compile`."""

    def __init__(self, inner):
        super().__init__(inner)
        self.forward = self.tg.compile(self.forward)
        self.learn = self.tg.compile(self.learn)


# ---- PyTorch --------------------------------------------------------------------------------------


class Torch(AgentCase):
    def __init__(self, inner):
        super().__init__(inner)
        import torch
        from torch import nn

        self.torch = torch
        self.net = nn.Sequential(nn.Linear(SIZES[0], SIZES[1]), nn.ReLU(), nn.Linear(SIZES[1], SIZES[2]), nn.ReLU(),
                                 nn.Linear(SIZES[2], SIZES[3]))
        self.net.load_state_dict({k: torch.from_numpy(w.copy()) for k, w in zip(NAMES, self.data.weights)})
        self.target = copy.deepcopy(self.net)
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=LR)

    def q_values(self, state):
        with self.torch.no_grad():
            return self.net(self.torch.from_numpy(state)).numpy()

    def act(self, state):
        with self.torch.no_grad():
            return int(self.net(self.torch.from_numpy(state)).argmax())

    def learn(self, states, actions, rewards, next_states, dones):
        torch = self.torch
        states, actions, rewards, next_states, dones = map(torch.from_numpy, (states, actions, rewards, next_states,
                                                                              dones))
        with torch.no_grad():
            targets = rewards + GAMMA * (1.0 - dones) * self.target(next_states).max(dim=1).values
        error = self.net(states).gather(1, actions[:, None])[:, 0] - targets
        loss = (error * error).mean()
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()


# ---- JAX ------------------------------------------------------------------------------------------


def jax_q(params, x):
    import jax.numpy as jnp

    w1, b1, w2, b2, w3, b3 = params
    h = jnp.maximum(x @ w1.T + b1, 0)
    h = jnp.maximum(h @ w2.T + b2, 0)
    return h @ w3.T + b3


def jax_td_loss(params, target_params, states, actions, rewards, next_states, dones):
    import jax.numpy as jnp

    targets = rewards + GAMMA * (1.0 - dones) * jax_q(target_params, next_states).max(axis=1)
    error = jnp.take_along_axis(jax_q(params, states), actions[:, None], axis=1)[:, 0] - targets
    return jnp.mean(error * error)   # target_params are not differentiated: the target is a constant


class Jax(AgentCase):
    """`jax.jit` of the action (forward and argmax) and of the training step (forward,
    `jax.value_and_grad`, Adam written out as PyTorch computes it: `adam_update`), the parameters
    and Adam's moments donated to the step. Reading the action as an int and the loss as a float
    waits for the computation (JAX dispatches asynchronously), inside the timed step."""

    def __init__(self, inner):
        super().__init__(inner)
        import jax
        import jax.numpy as jnp

        self.params = [jax.device_put(w) for w in self.data.weights]
        self.target_params = [jax.device_put(w) for w in self.data.weights]
        self.m = [jnp.zeros_like(w) for w in self.params]
        self.v = [jnp.zeros_like(w) for w in self.params]
        self.n_updates = 0

        def train_step(params, m, v, step_size, root, target_params, *batch):
            loss, grads = jax.value_and_grad(jax_td_loss)(params, target_params, *batch)
            params, m, v = adam_update(params, grads, m, v, step_size, root, jnp.sqrt)
            return params, m, v, loss

        self.train_step = jax.jit(train_step, donate_argnums=(0, 1, 2))
        self.q = jax.jit(jax_q)
        self.greedy = jax.jit(lambda params, state: jnp.argmax(jax_q(params, state)[0]))

    def q_values(self, state):
        import numpy as np

        return np.asarray(self.q(self.params, state))

    def act(self, state):
        return int(self.greedy(self.params, state))

    def learn(self, *batch):
        self.n_updates += 1
        self.params, self.m, self.v, loss = self.train_step(self.params, self.m, self.v,
                                                            *adam_corrections(self.n_updates, LR),
                                                            self.target_params, *batch)
        return float(loss)


# ---- numpy by hand --------------------------------------------------------------------------------


class Numpy(AgentCase):
    """Forward, backward and Adam written out by hand: the floor."""

    def __init__(self, inner):
        super().__init__(inner)
        import numpy as np

        self.np = np
        self.params = [w.copy() for w in self.data.weights]
        self.target_params = [w.copy() for w in self.data.weights]
        self.m = [np.zeros_like(w) for w in self.params]
        self.v = [np.zeros_like(w) for w in self.params]
        self.n_updates = 0

    def forward(self, params, x):
        """The action values and the hidden activations (for the backward pass)."""
        w1, b1, w2, b2, w3, b3 = params
        h1 = self.np.maximum(x @ w1.T + b1, 0)
        h2 = self.np.maximum(h1 @ w2.T + b2, 0)
        return h2 @ w3.T + b3, (h1, h2)

    def q_values(self, state):
        return self.forward(self.params, state)[0]

    def act(self, state):
        return int(self.forward(self.params, state)[0].argmax())

    def loss_and_grads(self, states, actions, rewards, next_states, dones):
        np = self.np
        targets = rewards + GAMMA * (1.0 - dones) * self.forward(self.target_params, next_states)[0].max(axis=1)
        q, (h1, h2) = self.forward(self.params, states)
        rows = np.arange(len(actions))
        error = q[rows, actions] - targets
        loss = float((error * error).mean())
        dq = np.zeros_like(q)
        dq[rows, actions] = error * (2.0 / len(actions))
        _, _, w2, _, w3, _ = self.params
        dh2 = (dq @ w3) * (h2 > 0)
        dh1 = (dh2 @ w2) * (h1 > 0)
        return loss, [dh1.T @ states, dh1.sum(axis=0), dh2.T @ h1, dh2.sum(axis=0), dq.T @ h2, dq.sum(axis=0)]

    def learn(self, *batch):
        loss, grads = self.loss_and_grads(*batch)
        self.n_updates += 1
        self.params, self.m, self.v = adam_update(self.params, grads, self.m, self.v,
                                                  *adam_corrections(self.n_updates, LR), self.np.sqrt)
        return loss


def workloads(quick):
    inner = 20 if quick else 100
    return [Workload(
        key="W8", title=f"DQN inner loop (section 19.4.1): MLP 4-64-64-2; per environment step one action "
                        f"(1 state) and one training step on {BATCH} transitions (eq. 19.16, Adam) (float32)",
        unit="us/env-step", unit_scale=1e6, repeats=5 if quick else 15, warmup=1, inner=inner,
        check_rtol=1e-4, memory_steps=1, prepare=setup,
        notes=["target: tinygrad_udl compiled <= 0.5x pytorch"],
        cases=[
            SystemCase(OURS, lambda: Ours(inner), note="nn.Sequential + optim.Adam"),
            SystemCase(f"{OURS} compiled", lambda: OursCompiled(inner),
                       note="act and step through tinygrad_udl.compile"),
            SystemCase(TORCH, lambda: Torch(inner), requires="torch", note="nn.Sequential + optim.Adam"),
            SystemCase(JAX, lambda: Jax(inner), requires="jax", note="jax.jit of act and step, Adam written out"),
            SystemCase(NUMPY, lambda: Numpy(inner)),
        ])]
