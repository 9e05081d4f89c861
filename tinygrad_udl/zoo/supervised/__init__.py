"""The zoo of chapters 2-11: supervised learning, from linear regression to residual networks."""
