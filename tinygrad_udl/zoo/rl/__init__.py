"""The zoo entries of chapter 19 (reinforcement learning): dynamic programming and Q-learning on
the penguin's gridworld, deep Q-networks, REINFORCE and actor–critic on CartPole, each compared
with an exact reference (the optimal values from dynamic programming, CartPole-v1's maximum
return of 500). The algorithms live in `tinygrad_udl.rl`; the networks here."""
