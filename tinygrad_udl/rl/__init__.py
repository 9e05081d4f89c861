"""Reinforcement learning, chapter 19 of Understanding Deep Learning: tabular MDPs (numpy) and the
deep methods (networks from `nn`, differentiated with `Tensor`).

- `mdp`: the MDP as arrays P[s, a, s′], R[s, a], γ, terminal states, start distribution.
- `gridworld`: slippery gridworlds and the book's penguin (`penguin_gridworld`, fig. 19.10).
- `dp`: policy evaluation and improvement, policy and value iteration (section 19.3.1).
- `tabular`: Monte Carlo control, SARSA, Q-learning, double Q-learning (sections 19.3.2–19.4.2).
- `agents`: REINFORCE with a softmax policy or a policy network and a baseline (section 19.5).
- `dqn`, `replay`: fitted Q-learning / DQN with a replay buffer and a target network (section 19.4).
- `actor_critic`: TD(0) and n-step actor-critic (section 19.6); `rollout`: environments side by side.
- `control_variates`: the variance reduction behind baselines (fig. 19.16, problem 19.7).
- `simulate`: sampling episodes; `toy_text`: gymnasium's FrozenLake/CliffWalking as arrays.
- `env.MDPEnv` (needs gymnasium, `pip install tinygrad_udl[rl]`) and `plot.plot_gridworld`
  (needs matplotlib, `pip install tinygrad_udl[plot]`) are imported from their modules.
"""
from .agents import ReinforceResult, exact_policy_gradient, policy_return, reinforce, reinforce_gradient, softmax_policy
from .control_variates import EstimatorComparison, compare_estimators, control_variate_estimate, optimal_coefficient
from .dp import DPResult, policy_evaluation, policy_improvement, policy_iteration, q_values, value_iteration
from .gridworld import BOOK_ACTIONS, PENGUIN_LAYOUT, gridworld_mdp, layout_grid, penguin_gridworld
from .mdp import MDP
from .policy import epsilon_greedy_policy, greedy_policy, policy_matrix, tied_greedy_policy
from .simulate import Episodes, Simulator, rewards_to_go, sample_episodes
from .tabular import (LearningResult, double_q_learning, double_q_learning_update, monte_carlo_control, q_learning,
                      q_learning_update, sarsa, sarsa_update, td_update)
from .toy_text import mdp_from_toy_text
from .actor_critic import actor_critic, actor_critic_losses, n_step_targets
from .dqn import DQNResult, dqn, fitted_q_loss, linear_epsilon, q_learning_targets
from .replay import ReplayBuffer, Transitions

__all__ = ["MDP", "BOOK_ACTIONS", "PENGUIN_LAYOUT", "gridworld_mdp", "layout_grid", "penguin_gridworld",
           "DPResult", "q_values", "policy_evaluation", "policy_improvement", "policy_iteration", "value_iteration",
           "policy_matrix", "greedy_policy", "tied_greedy_policy", "epsilon_greedy_policy",
           "Simulator", "Episodes", "sample_episodes", "rewards_to_go",
           "LearningResult", "td_update", "sarsa_update", "q_learning_update", "double_q_learning_update",
           "monte_carlo_control", "sarsa", "q_learning", "double_q_learning",
           "softmax_policy", "policy_return", "exact_policy_gradient", "reinforce_gradient", "ReinforceResult",
           "reinforce",
           "optimal_coefficient", "control_variate_estimate", "EstimatorComparison", "compare_estimators",
           "mdp_from_toy_text",
           "q_learning_targets", "fitted_q_loss", "linear_epsilon", "DQNResult", "dqn", "Transitions", "ReplayBuffer",
           "n_step_targets", "actor_critic_losses", "actor_critic"]
