"""The zoo entries of chapter 13 (graph neural networks): node classification on Zachary's karate
club with a GCN and a graph attention network, graph classification of claw trees, and the
over-smoothing sweep. The book prints no numbers for chapter 13, so every entry is compared with
exact references computed independently: structural classifiers, Bayes rates, closed forms."""
from __future__ import annotations

from ..registry import ZooEntry
from .claw_trees import DEGREE_BUCKETS
from .communities import features_bayes_accuracy
from .graph_classifier import GraphGCN, train_graph_classifier
from .node_models import NodeGAT, NodeGCN, Transductive
from .oversmoothing import VARIANTS, DeepGCN, sweep_rows, train_sweep
from .pictures import karate_pictures, oversmoothing_pictures
from .references import accuracy, fiedler_partition, harmonic_labels, majority_accuracy
from .tasks import COMMUNITIES, TASKS, community_graph, karate_graph

# ---- the models bound to their graphs ---------------------------------------------------------------------


def karate_gcn(rng=0, hidden=(16, 16), dtype=None):
    """`NodeGCN` (sections 13.4-13.7, eqs. 13.20 and 13.12) bound to Zachary's karate club
    (`Transductive`, section 13.6); identity features, so 34 inputs per node."""
    graph = karate_graph()
    return Transductive(NodeGCN(graph.features.shape[1], hidden, rng=rng, dtype=dtype), graph.adjacency,
                        graph.features)


def karate_gat(rng=0, hidden=(16, 16), dtype=None):
    """`NodeGAT` (section 13.8.6, eqs. 13.22-13.24, head eq. 13.12) bound to Zachary's karate club."""
    graph = karate_graph()
    return Transductive(NodeGAT(graph.features.shape[1], hidden, rng=rng, dtype=dtype), graph.adjacency,
                        graph.features)


def community_gcn(rng=0, width=16, depth=2, variant="plain", dtype=None):
    """`DeepGCN` (section 13.8, eqs. 13.14, 13.16, 13.20) bound to the two-community graph of the
    over-smoothing experiment."""
    graph = community_graph()
    return Transductive(DeepGCN(graph.features.shape[1], width, depth, variant, rng=rng, dtype=dtype),
                        graph.adjacency, graph.features)


# ---- extra result rows ------------------------------------------------------------------------------------

NO_ACCURACY = "the book prints no accuracy"


def _test_accuracy(history):
    return 1.0 - history.final["test_error"] / 100.0


def _karate_rows(model, history, split):
    graph = karate_graph()
    args = (graph.adjacency, graph.train_mask, graph.labels)
    return [
        {"metric": "test accuracy, 32 unlabelled members", "book": accuracy(harmonic_labels(*args), graph.labels,
                                                                            graph.test_mask),
         "ours": _test_accuracy(history),
         "note": f"reference: label propagation (harmonic function, exact solve); {NO_ACCURACY}"},
        {"metric": "reference: Fiedler-vector partition", "book": accuracy(fiedler_partition(*args), graph.labels,
                                                                          graph.test_mask),
         "ours": None, "note": "spectral bisection: signs of the eigenvector of L = D - A (numpy eigh)"},
        {"metric": "reference: majority class", "book": majority_accuracy(graph.labels, graph.test_mask),
         "ours": None, "note": "16 members of each faction among the 32"},
    ]


def _claw_rows(model, history, split):
    return [
        {"metric": "test accuracy, 200 trees (100 twin pairs)", "book": 1.0, "ours": _test_accuracy(history),
         "note": f"reference: Bayes rate (the label is a function of the tree); {NO_ACCURACY}"},
        {"metric": "reference: any degree-histogram classifier", "book": 0.5, "ours": None,
         "note": "exact: twins share their degree sequence (a GCN with no layers sees only that)"},
        {"metric": "training accuracy", "book": None, "ours": 1.0 - history.final["train_error"] / 100.0,
         "note": None},
    ]


def _oversmoothing_rows(model, history, split):
    return [
        {"metric": "reference: Bayes accuracy from the features alone", "book": features_bayes_accuracy(
            COMMUNITIES["separation"]), "ours": None, "note": "Phi(separation / 2), no graph"},
        {"metric": "reference: majority class", "book": majority_accuracy(community_graph().labels,
                                                                          community_graph().test_mask),
         "ours": None, "note": None},
        *sweep_rows(history),
    ]


# ---- the catalogue ----------------------------------------------------------------------------------------

KARATE = {"optimizer": "adam", "lr": 0.01, "batch_size": 2, "steps": 200, "eval_every": 10}
KARATE_SOURCE = ("ours (the book prints no experiment): Adam, lr 0.01, 200 full-batch steps on the 2 labelled nodes "
                 "(Kipf & Welling's optimiser and rate)")
SWEEP = {"optimizer": "adam", "lr": 0.01, "batch_size": 40, "steps": 200, "eval_every": 50,
         "depths": (1, 2, 4, 8, 16), "variants": tuple(VARIANTS), "repeats": 2}


def entries() -> list:
    """The entries of chapter 13, in book order."""
    return [
        ZooEntry("claw-trees-gcn", "13.5, eqs. 13.10-13.11, 13.2",
                 "graph classification: 2 GCN layers (A + I, sum), mean pooling per graph, does a node bear 3 leaves?",
                 GraphGCN, TASKS["claw-trees"],
                 {"optimizer": "adam", "lr": 0.003, "batch_size": 32, "epochs": 20, "eval_every": 2},
                 "ours (the book prints no experiment): Adam, lr 3e-3, batches of 32 graphs joined block-diagonally "
                 "(section 13.5.1), 20 epochs",
                 model_kwargs={"in_features": DEGREE_BUCKETS, "hidden": (32, 32)},
                 tiny={"in_features": DEGREE_BUCKETS, "hidden": (3,)}, metrics=("parameters",),
                 trainer=train_graph_classifier, extra_rows=_claw_rows,
                 eager_reason="each batch of graphs becomes one block-diagonal graph (section 13.5.1, "
                              "packing.unpack_graphs) of as many nodes as its graphs have, a number that changes from "
                              "batch to batch: the shapes inside the step change, and a compiled program's are fixed"),
        ZooEntry("karate-gcn", "13.6-13.7, eqs. 13.20, 13.12",
                 "GCN (2 layers of 16) labelling Zachary's karate club from one member per faction",
                 karate_gcn, TASKS["karate"], KARATE, KARATE_SOURCE, model_kwargs={"hidden": (16, 16)},
                 tiny={"hidden": (3,)}, metrics=("parameters",), extra_rows=_karate_rows, pictures=karate_pictures),
        ZooEntry("karate-gat", "13.8.6, eqs. 13.22-13.24",
                 "graph attention network (2 layers of 16) on the same split", karate_gat, TASKS["karate"], KARATE,
                 KARATE_SOURCE, model_kwargs={"hidden": (16, 16)}, tiny={"hidden": (3,)}, metrics=("parameters",),
                 extra_rows=_karate_rows, pictures=karate_pictures),
        ZooEntry("gcn-oversmoothing", "13.8.1-13.8.2, eqs. 13.14, 13.16, 13.20; Notes",
                 "accuracy and Dirichlet energy against depth (1-16) for plain, enhanced and residual GCNs",
                 community_gcn, TASKS["two-communities"], SWEEP,
                 "ours (the book prints no experiment; the Notes discuss over-smoothing): Adam, lr 0.01, 200 "
                 "full-batch steps per model, 2 seeds per cell",
                 model_kwargs={"width": 16, "depth": 2, "variant": "plain"},
                 tiny={"width": 3, "depth": 2, "variant": "residual"}, metrics=(), trainer=train_sweep,
                 extra_rows=_oversmoothing_rows, pictures=oversmoothing_pictures),
    ]
