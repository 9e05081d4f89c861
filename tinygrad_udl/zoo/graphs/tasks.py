"""The data of the chapter-13 zoo entries as `zoo.tasks.Task`s: what each model is trained on.

A zoo task is a pair of (x, y) arrays whose axis 0 indexes the examples. For graphs:

- **Transductive node classification** (section 13.6): the examples are node indices, x = (B,)
  int64, y = their labels; the graph itself is bound to the model (`node_models.Transductive`)
  and every forward pass runs on all of it. Zachary's karate club with its classic split (one
  labelled node per faction) and the two-community graph of the over-smoothing experiment.
- **Graph classification** (section 13.5): the examples are graphs, packed into one array
  (`packing.pack_graphs`) and joined block-diagonally inside the model (section 13.5.1). The
  claw trees of `claw_trees.py`: 200 twin pairs to train on and 100 to test.

Every label is binary and the node/graph head gives one logit (eqs. 13.2, 13.12), so the loss is
the binary cross-entropy (eq. 5.19) and the error the share of logits on the wrong side of 0.
Data sets come from fixed seeds and are built once per process.
"""
from __future__ import annotations

import functools

import numpy as np

from ...graphs import karate_club
from ...nn.loss import binary_cross_entropy_with_logits
from ...training.metrics import binary_error
from ..tasks import Split, Task
from .claw_trees import make_claw_trees
from .communities import make_two_communities
from .packing import pack_graphs

__all__ = ["TASKS", "karate_graph", "community_graph", "claw_trees", "CLAW_MAX_NODES", "COMMUNITIES"]

CLAW_MAX_NODES = 16
# The over-smoothing graph (communities.py): neighbourhoods carry the class (about 2/3 of a node's
# ~15 neighbours share it) while random walks mix within a few steps (second eigenvalue of
# D^-1/2 A D^-1/2 about 0.5), and the features alone give at best Phi(0.75) = 77 % accuracy.
COMMUNITIES = {"n_per_class": 100, "p_in": 0.1, "p_out": 0.05, "num_features": 8, "separation": 1.5,
               "train_per_class": 20}


@functools.cache
def karate_graph():
    """`graphs.karate_club()`, built once (networkx is imported on the first call)."""
    return karate_club()


@functools.cache
def community_graph():
    """The over-smoothing experiment's graph: `make_two_communities(**COMMUNITIES, rng=0)`."""
    return make_two_communities(**COMMUNITIES, rng=0)


@functools.cache
def claw_trees():
    """(train, test) claw-tree sets: 200 twin pairs (seed 0) and 100 twin pairs (seed 1)."""
    return make_claw_trees(200, rng=0, max_nodes=CLAW_MAX_NODES), make_claw_trees(100, rng=1, max_nodes=CLAW_MAX_NODES)


def _node_split(graph) -> Split:
    """Node indices and labels of the training and test masks."""
    def part(mask):
        nodes = np.flatnonzero(mask).astype(np.int64)
        return nodes, graph.labels[nodes]
    return Split(part(graph.train_mask), part(graph.test_mask))


@functools.cache
def _claw_split() -> Split:
    return Split(*((pack_graphs(data.adjacencies, data.features, CLAW_MAX_NODES), data.labels)
                   for data in claw_trees()))


TASKS = {task.name: task for task in (
    Task("karate", "Zachary's karate club: 34 members, 2 labelled (one per faction), 32 to classify",
         lambda: _node_split(karate_graph()), binary_cross_entropy_with_logits, binary_error, loss_name="BCE"),
    Task("two-communities", "planted partition, 2 x 100 nodes with noisy 8-d features, 20 labelled per class",
         lambda: _node_split(community_graph()), binary_cross_entropy_with_logits, binary_error, loss_name="BCE"),
    Task("claw-trees", "trees with / without a node bearing 3 leaves, twins with equal degree sequences, "
         "400 training and 200 test graphs", _claw_split, binary_cross_entropy_with_logits, binary_error,
         loss_name="BCE"),
)}
