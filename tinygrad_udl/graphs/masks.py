"""Train / validation / test node masks for node classification (sections 13.6-13.7).

In the transductive setting there is one graph: every node goes through the forward pass, and
the loss (eq. 13.12 with binary cross-entropy, or its softmax version) is evaluated only at the
nodes whose labels count as known. A boolean mask per role selects them, e.g.
`loss = cross_entropy(logits[train_mask], labels[train_mask])`.
"""
from __future__ import annotations

import numpy as np

from ..checks import as_generator, check_int

__all__ = ["node_masks", "split_nodes"]


def node_masks(n_nodes: int, train, val=()):
    """Boolean (train, val, test) masks of length `n_nodes`: `train` and `val` are disjoint node
    index lists and the test mask is every other node (the unlabelled nodes of section 13.6)."""
    where = "node_masks"
    n_nodes = check_int(n_nodes, "n_nodes", where, minimum=1)
    masks = []
    for name, index in (("train", train), ("val", val)):
        index = np.asarray(index).reshape(-1)
        if index.size and index.dtype.kind not in "iu":
            raise TypeError(f"{where}: {name} must be node indices (integers), got {index.dtype}")
        index = index.astype(np.int64)
        if index.size and (index.min() < 0 or index.max() >= n_nodes):
            raise ValueError(f"{where}: {name} indices must lie in 0..{n_nodes - 1}, got {index.min()}..{index.max()}")
        mask = np.zeros(n_nodes, dtype=bool)
        mask[index] = True
        masks.append(mask)
    train_mask, val_mask = masks
    if (train_mask & val_mask).any():
        raise ValueError(f"{where}: nodes {np.flatnonzero(train_mask & val_mask).tolist()} are in both train and val")
    return train_mask, val_mask, ~(train_mask | val_mask)


def split_nodes(labels, train_per_class: int, val_per_class: int = 0, *, rng):
    """Random stratified masks: `train_per_class` training and `val_per_class` validation nodes
    drawn from each class without replacement, the rest test (the usual semi-supervised split,
    e.g. 20 labelled nodes per class in Kipf & Welling's citation benchmarks).

    `labels` (N,) holds 0-based class indices; `rng` is a numpy Generator or int seed.
    """
    where = "split_nodes"
    train_per_class = check_int(train_per_class, "train_per_class", where, minimum=1)
    val_per_class = check_int(val_per_class, "val_per_class", where, minimum=0)
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(f"{where}: labels must be a 1-D integer array, got shape {labels.shape} of {labels.dtype}")
    gen = as_generator(rng, where)
    train, val = [], []
    for c in np.unique(labels):
        members = gen.permutation(np.flatnonzero(labels == c))
        if members.size < train_per_class + val_per_class:
            raise ValueError(f"{where}: class {c} has {members.size} nodes, fewer than "
                             f"train_per_class + val_per_class = {train_per_class + val_per_class}")
        train.extend(members[:train_per_class])
        val.extend(members[train_per_class:train_per_class + val_per_class])
    return node_masks(labels.size, train, val)
