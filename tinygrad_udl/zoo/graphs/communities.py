"""Two communities with noisy features: a node-classification graph on which depth helps, then hurts.

Over-smoothing (the chapter's Notes, "Oversmoothing and suspended animation") needs a graph whose
labels live in the neighbourhoods and whose random walks forget where they started within a few
steps. A planted partition (stochastic block model) has both:

- N = 2 · n_per_class nodes, class y_n ∈ {0, 1} (n_per_class each); each pair of nodes is joined
  independently with probability p_in inside a class and p_out across (p_in > p_out).
- Node features x_n = (y_n − ½) · separation · u + ε_n with a fixed random unit vector u and
  ε_n ~ N(0, I_D). From its features alone a node's class is known only up to the Bayes rate
  Φ(separation / 2) (two equal-prior normals with identity covariance, means `separation`
  apart): `features_bayes_accuracy`. Averaging over neighbours, most of whom share the class,
  removes noise (GCNs of 2-8 layers beat that rate); averaging over everything, as many layers
  do, removes the class too.
- The split of Kipf & Welling's benchmarks: `train_per_class` labelled nodes per class, the
  rest test (section 13.6's transductive setting).
"""
from __future__ import annotations

import math

import numpy as np

from ...checks import as_generator, check_int
from ...graphs import NodeClassification, split_nodes

__all__ = ["make_two_communities", "features_bayes_accuracy"]


def features_bayes_accuracy(separation: float) -> float:
    """Φ(separation / 2): the best accuracy from the features alone, where the two classes are
    N(±separation/2 · u, I) with equal priors (the optimal rule thresholds the projection on u
    at 0, which each class crosses with probability 1 − Φ(separation / 2))."""
    return 0.5 * (1.0 + math.erf(separation / 2 / math.sqrt(2.0)))


def make_two_communities(n_per_class: int = 100, *, rng, p_in: float = 0.1, p_out: float = 0.05,
                         num_features: int = 8, separation: float = 1.5,
                         train_per_class: int = 20) -> NodeClassification:
    """The planted-partition graph of the module docstring, as a `NodeClassification`
    (adjacency 0/1 symmetric, features (N, num_features), labels 0/1, masks: train / empty val /
    test). Nodes 0..n_per_class−1 are class 0, the rest class 1."""
    where = "make_two_communities"
    n_per_class = check_int(n_per_class, "n_per_class", where, minimum=2)
    num_features = check_int(num_features, "num_features", where, minimum=1)
    train_per_class = check_int(train_per_class, "train_per_class", where, minimum=1)
    if not 0.0 <= p_out < p_in <= 1.0:
        raise ValueError(f"{where}: need 0 <= p_out < p_in <= 1 (communities denser inside), got p_in={p_in}, "
                         f"p_out={p_out}")
    if not (math.isfinite(separation) and separation >= 0):
        raise ValueError(f"{where}: separation must be a finite number >= 0, got {separation!r}")
    gen = as_generator(rng, where)
    labels = np.repeat(np.arange(2), n_per_class)
    probability = np.where(labels[:, None] == labels[None, :], p_in, p_out)
    upper = np.triu(gen.random(probability.shape) < probability, 1)
    adjacency = (upper | upper.T).astype(np.float64)
    direction = gen.standard_normal(num_features)
    direction /= np.linalg.norm(direction)
    features = np.outer((labels - 0.5) * separation, direction) + gen.standard_normal((labels.size, num_features))
    train_mask, val_mask, test_mask = split_nodes(labels, train_per_class, rng=gen)
    return NodeClassification(adjacency, features, labels, ("community 0", "community 1"), train_mask, val_mask,
                              test_mask)
