"""Structural classifiers for transductive node classification: the references a GNN is compared with.

Neither learns anything; both label the unlabelled nodes from the graph alone, computed exactly
with dense linear algebra (numpy), independently of the library's autodiff:

- `fiedler_partition`: spectral bisection. The eigenvector of the graph Laplacian L = D − A (the
  matrix of the chapter's Notes on spectral methods) for its second-smallest eigenvalue, the
  Fiedler vector, changes sign across the graph's sparsest cut; its signs split the nodes in two.
- `harmonic_labels`: label propagation (Zhu, Ghahramani & Lafferty, 2003). Class scores f that
  equal the known labels at the labelled nodes and, at every other node, the mean of its
  neighbours' scores: L_uu f_u = A_ul y_l, solved exactly.

`majority_accuracy` is the baseline every classifier must beat.
"""
from __future__ import annotations

import numpy as np

from ...graphs.adjacency import one_graph_adjacency

__all__ = ["fiedler_partition", "harmonic_labels", "majority_accuracy", "accuracy"]


def _laplacian(adjacency, where):
    a = one_graph_adjacency(adjacency, where)
    return np.diag(a.sum(axis=1)) - a, a


def _labelled(train_mask, labels, n, where):
    mask = np.asarray(train_mask, dtype=bool)
    labels = np.asarray(labels)
    if mask.shape != (n,) or labels.shape != (n,) or labels.dtype.kind not in "iu":
        raise ValueError(f"{where}: need a boolean train mask and integer labels of shape ({n},), got "
                         f"{mask.shape} and {labels.shape} of {labels.dtype}")
    if not mask.any():
        raise ValueError(f"{where}: no labelled node")
    return mask, labels


def fiedler_partition(adjacency, train_mask, labels) -> np.ndarray:
    """(N,) 0/1 labels from the signs of the Fiedler vector (`numpy.linalg.eigh` of L = D − A),
    oriented so that most labelled nodes (`train_mask`, `labels` read there only) get their label.
    Needs a connected graph (otherwise the second eigenvalue is 0 and its vector only marks a
    component)."""
    where = "fiedler_partition"
    laplacian, _ = _laplacian(adjacency, where)
    mask, labels = _labelled(train_mask, labels, len(laplacian), where)
    values, vectors = np.linalg.eigh(laplacian)
    if values[1] < 1e-9 * max(1.0, values[-1]):
        raise ValueError(f"{where}: the graph is not connected (second Laplacian eigenvalue {values[1]:.3g})")
    side = (vectors[:, 1] > 0).astype(np.int64)
    agree = np.mean(side[mask] == labels[mask])
    return side if agree >= 0.5 else 1 - side


def harmonic_labels(adjacency, train_mask, labels) -> np.ndarray:
    """(N,) labels by the harmonic function: one-hot scores fixed at the labelled nodes, and
    L_uu F_u = A_ul Y_l at the others (each the mean of its neighbours), argmax per node.
    Every connected component needs a labelled node."""
    where = "harmonic_labels"
    laplacian, a = _laplacian(adjacency, where)
    mask, labels = _labelled(train_mask, labels, len(a), where)
    free = ~mask
    known = np.eye(labels.max() + 1)[labels[mask]]
    try:
        scores = np.linalg.solve(laplacian[np.ix_(free, free)], a[np.ix_(free, mask)] @ known)
    except np.linalg.LinAlgError:
        raise ValueError(f"{where}: a connected component has no labelled node, so its scores are undefined") from None
    out = labels.copy()
    out[free] = scores.argmax(axis=1)
    return out


def accuracy(predicted, labels, mask) -> float:
    """The fraction of the nodes in `mask` whose prediction equals the label."""
    mask = np.asarray(mask, dtype=bool)
    return float(np.mean(np.asarray(predicted)[mask] == np.asarray(labels)[mask]))


def majority_accuracy(labels, mask) -> float:
    """The accuracy of predicting the most common class of the nodes in `mask` for all of them."""
    selected = np.asarray(labels)[np.asarray(mask, dtype=bool)]
    return float(np.bincount(selected).max() / selected.size)
