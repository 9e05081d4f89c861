"""The zoo of chapter 13, graph neural networks (docs/gnn.md).

- `GraphGCN`: graph classification (section 13.5, eq. 13.11) on claw trees (`claw_trees.py`), a
  set built so that message passing can learn it and degree counts cannot.
- `NodeGCN`, `NodeGAT` with `Transductive`: semi-supervised node classification on Zachary's
  karate club (sections 13.6-13.7; graph attention, eqs. 13.22-13.24), beside the structural
  classifiers of `references.py`.
- `DeepGCN` and `train_sweep`: over-smoothing against depth for the plain, diagonally enhanced
  (eq. 13.14) and residual (eq. 13.16) layers, measured by the Dirichlet quotient of
  `smoothing.py` beside its closed form for linear layers.

The layers are the library's (`nn.GCNConv`, `nn.GraphAttention`) and the graph utilities those
of `tinygrad_udl.graphs`; `entries.py` puts the experiments in the zoo's catalogue.
"""
from .claw_trees import make_claw_trees
from .communities import features_bayes_accuracy, make_two_communities
from .graph_classifier import GraphGCN
from .node_models import NodeClassifier, NodeGAT, NodeGCN, Transductive
from .oversmoothing import ConcatResidualGCN, DeepGCN, train_sweep
from .packing import pack_graphs, unpack_graphs
from .references import fiedler_partition, harmonic_labels, majority_accuracy
from .smoothing import dirichlet_quotient, linear_quotient

__all__ = [
    "GraphGCN", "NodeClassifier", "NodeGCN", "NodeGAT", "Transductive", "DeepGCN", "ConcatResidualGCN",
    "train_sweep", "make_claw_trees", "make_two_communities", "features_bayes_accuracy", "pack_graphs",
    "unpack_graphs", "fiedler_partition", "harmonic_labels", "majority_accuracy", "dirichlet_quotient",
    "linear_quotient",
]
