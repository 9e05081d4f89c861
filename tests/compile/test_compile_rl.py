"""The agents of chapter 19 with compiled steps (their default) against `compile=False`: bit for bit
the same losses at every update, trained networks, optimizer states and random generators, with
no fallback to eager mode; and the recorder features they need, each against eager execution:
`detach()` of a tensor computed in the step (actor-critic's advantage), an index tuple holding an
argument (`q[np.arange(n), actions]`, DQN's and the policy gradient's gathers), and random draws
made inside the step (`compile.recorder.drawn`, the GANs' latents and the VAE's ε).

REINFORCE has no compiled steps (its batches have new shapes at every iteration, `rl/agents.py`):
what is checked for it is the policy-gradient surrogate that it shares with actor-critic.
"""
import warnings

import numpy as np
import pytest
from compile_runs import common_seeds, optimizer_step, parameters, recording, without_seconds

import tinygrad_udl as tg
from tinygrad_udl import optim
from tinygrad_udl.compile import CompileWarning, compile
from tinygrad_udl.compile.recorder import drawn
from tinygrad_udl.distributions import Categorical
from tinygrad_udl.rl.actor_critic import actor_critic
from tinygrad_udl.rl.agents import policy_gradient_surrogate, reinforce_network
from tinygrad_udl.rl.dqn import dqn
from tinygrad_udl.zoo.rl.networks import PolicyNetwork, QNetwork, ValueNetwork
from tinygrad_udl.zoo.rl.tasks import make_cartpole, make_penguin_env

pytest.importorskip("gymnasium")


def _compare(train, networks, monkeypatch):
    """Run `train(compile)` both ways on fresh networks; assert that everything agrees and that the
    compiled run replayed without falling back."""
    outcomes = []
    for compiled in (True, False):
        nets = networks()
        with recording(monkeypatch) as made:
            record = train(nets, compiled)
        outcomes.append(({"rows": without_seconds(record.rows), "returns": record.episode_returns,
                          "networks": [parameters(net) for net in nets],
                          "optimizers": [made.optimizer_states(net) for net in nets]},
                         made.generator_states(), made))
    (compiled, compiled_seeds, made), (eager, eager_seeds, made_eagerly) = outcomes
    assert not made.fallbacks, made.fallbacks
    assert made.replayed() and not made_eagerly.compiled
    np.testing.assert_equal(compiled, eager)
    np.testing.assert_equal(*common_seeds(compiled_seeds, eager_seeds))


@pytest.mark.parametrize("double, loss, max_grad_norm", [(False, "squared", None), (True, "huber", 0.05)])
def test_dqn(double, loss, max_grad_norm, monkeypatch):
    # max_grad_norm 0.05 clips every step: the clipping runs between the compiled step and the update
    def train(nets, compiled):
        return dqn(make_penguin_env, nets[0], 60, gamma=0.9, batch_size=8, learning_starts=10, train_every=2,
                   gradient_steps=2, target_update=10, lr_end=1e-4, loss=loss, double=double,
                   max_grad_norm=max_grad_norm, record_every=1, seed=3, compile=compiled).record

    _compare(train, lambda: [QNetwork(16, 4, (8,), rng=1)], monkeypatch)


@pytest.mark.parametrize("train_actor, td_steps, entropy_weight", [(True, 1, 0.0), (True, 2, 0.01), (False, 1, 0.0)])
def test_actor_critic(train_actor, td_steps, entropy_weight, monkeypatch):
    def train(nets, compiled):
        actor, critic = nets
        return actor_critic(make_cartpole, actor, critic, 96, n_envs=3, n_steps=4, td_steps=td_steps,
                            entropy_weight=entropy_weight, train_actor=train_actor, record_every=12, seed=5,
                            compile=compiled).record

    _compare(train, lambda: [PolicyNetwork(widths=(8,), rng=1), ValueNetwork(widths=(8,), rng=2)], monkeypatch)


def test_reinforce_makes_no_compiled_step(monkeypatch):
    with recording(monkeypatch) as made:
        reinforce_network(make_cartpole, PolicyNetwork(widths=(4,), rng=1), 2, episodes_per_iteration=2,
                          value_network=ValueNetwork(widths=(4,), rng=2), value_steps=2, seed=0)
    assert not made.compiled and not made.fallbacks


def test_the_surrogate_picks_log_pi_as_the_categorical_does():
    # the gather of policy_gradient_surrogate against Categorical.log_prob: values and gradients, bit for bit
    rng = np.random.default_rng(0)
    data, actions, weights = rng.normal(size=(6, 3)), rng.integers(0, 3, 6), rng.normal(size=6)
    grads = []
    for surrogate in (lambda z: policy_gradient_surrogate(z, actions, weights),
                      lambda z: -(Categorical(logits=z).log_prob(actions) * tg.Tensor(weights)).sum()):
        logits = tg.Tensor(data, requires_grad=True)
        value = surrogate(logits)
        value.backward()
        grads.append((value.item(), logits.grad.numpy()))
    assert grads[0][0] == grads[1][0]
    assert np.array_equal(grads[0][1], grads[1][1])
    with pytest.raises(ValueError, match="actions must lie in 0..2"):
        policy_gradient_surrogate(tg.Tensor(data), actions - 1, weights)


# ---- the recorder's features the agents need (each failed to replay before: a CompileWarning) -----------


def _steps_agree(make_step, batches):
    """Train a fresh (network, optimizer) with `make_step(net, opt)` eagerly and compiled on `batches`:
    the results, parameters and optimizer states agree bit for bit, and the compiled step replays."""
    runs = []
    for compiled in (False, True):
        net = QNetwork(4, 3, (8,), rng=0)
        opt = optim.Adam(net.parameters(), lr=1e-2)
        step = make_step(net, opt)
        fn = compile(step) if compiled else step
        with warnings.catch_warnings():
            warnings.simplefilter("error", CompileWarning)
            results = [fn(*batch) for batch in batches]
        runs.append((results, parameters(net), [{k: np.array(v) for k, v in s.items()} for s in opt.state.values()]))
    np.testing.assert_equal(runs[1], runs[0])
    assert "replay" in fn.stats().values()


def _batches(n=5, size=6, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(size, 4)).astype(np.float32), rng.integers(0, 3, size),
             rng.normal(size=size).astype(np.float32)) for _ in range(n)]


def test_an_index_tuple_holding_an_argument():
    def make_step(net, opt):
        def step(states, actions, targets):
            picked = net(tg.Tensor(states))[np.arange(len(actions)), actions]   # q[s_b, a_b]
            loss = ((picked - tg.Tensor(targets)) ** 2).mean()
            return optimizer_step(opt, loss)
        return step

    _steps_agree(make_step, _batches())


def test_detach_of_a_tensor_computed_in_the_step():
    def make_step(net, opt):
        def step(states, actions, targets):
            q = net(tg.Tensor(states)).max(axis=1)
            advantage = (tg.Tensor(targets) - q).detach()   # a constant for the loss, made anew at every call
            loss = (advantage * q).mean() + (q * q).mean()
            return optimizer_step(opt, loss), advantage.numpy().copy()
        return step

    _steps_agree(make_step, _batches())


def _normal(rng, shape):
    return rng.standard_normal(shape).astype(np.float32)


def test_a_draw_inside_the_step():
    noise = {}

    def make_step(net, opt):
        rng = noise[len(noise)] = np.random.default_rng(4)

        def step(states, actions, targets):
            eps = drawn(_normal, rng, states.shape)
            loss = (net(tg.Tensor(states) + 0.1 * eps) ** 2).mean()
            return optimizer_step(opt, loss)
        return step

    _steps_agree(make_step, _batches())
    assert noise[0].bit_generator.state == noise[1].bit_generator.state   # the same draws, in the same order


def test_clipping_inside_the_step_falls_back_instead_of_being_dropped():
    # clip_grad_norm_ assigns new .grad tensors in numpy: a replay would step on the unclipped
    # gradients, silently. The tracer sees the replaced gradients at the step and runs eagerly.
    def make_step(net, opt):
        def step(states, actions, targets):
            loss = ((net(tg.Tensor(states)).sum(axis=1) - tg.Tensor(targets)) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            optim.clip_grad_norm_(net.parameters(), 1e-3)   # clips at every step
            opt.step()
            return loss.item()
        return step

    with pytest.raises(CompileWarning, match="clip_grad_norm_"):
        _steps_agree(make_step, _batches())
    runs = []
    for compiled in (False, True):
        net = QNetwork(4, 3, (8,), rng=0)
        step = make_step(net, optim.Adam(net.parameters(), lr=1e-2))
        fn = compile(step, warn=False) if compiled else step
        runs.append(([fn(*batch) for batch in _batches()], parameters(net)))
    np.testing.assert_equal(runs[1], runs[0])
