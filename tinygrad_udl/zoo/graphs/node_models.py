"""Node classification (sections 13.6-13.7): graph layers, a per-node head, and the transductive setting.

The body is a stack of graph layers, each mapping node embeddings H_k (N × D_k, rows = nodes, the
library's row layout of the book's D × N columns) to H_{k+1}; the head of eq. 13.12 gives every
node one logit, f = sig[β_K 1ᵀ + ω_K H_K], trained with the binary cross-entropy at the labelled
nodes only (section 13.7). `Transductive` binds such a model to its one graph (section 13.6):
every forward pass runs on the whole graph, and the outputs are read off at the nodes asked for,
so the zoo's training loop can treat node indices as its examples.

`NodeGCN` (GCN layers, eqs. 13.10 and 13.20) and `NodeGAT` (graph attention, eqs. 13.22-13.24)
differ only in their layers.
"""
from __future__ import annotations

import numpy as np

from ...autograd.tensor import ShapeError, Tensor
from ...checks import as_generator
from ...graphs.adjacency import one_graph_adjacency
from ...nn.activation import relu
from ...nn.gnn import GCNConv, GraphAttention
from ...nn.linear import Linear
from ...nn.module import Module, ModuleList

__all__ = ["NodeClassifier", "NodeGCN", "NodeGAT", "Transductive", "layer_widths"]


class NodeClassifier(Module):
    """Graph layers `layers` (H_1, ..., H_K) and the node head `head` of eq. 13.12.

    `model(x, adjacency)` takes node features X (N, D) and the adjacency (N, N) and returns one
    logit per node, (N,). `hidden_states(x, adjacency)` returns [H_1, ..., H_K].
    """

    def __init__(self, layers, head):
        super().__init__()
        self.layers = ModuleList(layers)
        self.head = head

    def hidden_states(self, x, adjacency) -> list:
        states, h = [], x
        for layer in self.layers:
            h = layer(h, adjacency)
            states.append(h)
        return states

    def forward(self, x, adjacency):
        h = self.hidden_states(x, adjacency)[-1]
        return self.head(h).reshape(-1)  # f = β_K 1ᵀ + ω_K H_K (eq. 13.12), one logit per node


def layer_widths(in_features, hidden, where) -> list:
    """[D_0, D_1, ..., D_K]: the input width and the hidden widths, each at least 1, K >= 1."""
    widths = [int(in_features), *(int(h) for h in hidden)]
    if len(widths) < 2 or min(widths) < 1:
        raise ValueError(f"{where}: need in_features >= 1 and at least one hidden width >= 1, got "
                         f"in_features={in_features}, hidden={tuple(hidden)}")
    return widths


class NodeGCN(NodeClassifier):
    """`NodeGCN(in_features, hidden=(16, 16), aggregation="kipf", rng=0, dtype=None)`: a graph
    convolutional network for node classification (sections 13.4 and 13.7).

    K = len(hidden) layers H_{k+1} = ReLU[β_k 1ᵀ + Ω_k H_k (D^{-1/2} A D^{-1/2} + I)] (the book's
    Kipf normalisation, eq. 13.20; `aggregation="sum"` gives A + I, eq. 13.10, and the other
    `nn.GCNConv` aggregations work too), then the node head of eq. 13.12. Two layers, as in
    Kipf & Welling and GraphSAGE (the chapter's Notes).

    Parameters, with widths D_0 = in_features, D_1..D_K = hidden: Σ_k (D_k D_{k+1} + D_{k+1})
    for the layers (Ω_k, β_k) plus D_K + 1 for the head (ω_K, β_K). Zachary's karate club with
    identity features: 34·16 + 16 + 16·16 + 16 + 16 + 1 = 849. Weights He-uniform (eq. 7.30),
    biases zero.
    """

    def __init__(self, in_features, hidden=(16, 16), aggregation="kipf", rng=0, dtype=None):
        widths = layer_widths(in_features, hidden, "NodeGCN")
        gen = as_generator(rng, "NodeGCN")
        layers = [GCNConv(d_in, d_out, aggregation=aggregation, activation=relu, dtype=dtype, rng=gen)
                  for d_in, d_out in zip(widths[:-1], widths[1:])]
        super().__init__(layers, Linear(widths[-1], 1, dtype=dtype, rng=gen))


class NodeGAT(NodeClassifier):
    """`NodeGAT(in_features, hidden=(16, 16), rng=0, dtype=None)`: a graph attention network for
    node classification (section 13.8.6).

    Each layer transforms the nodes, H′_k = β_k 1ᵀ + Ω_k H_k (eq. 13.22), scores every neighbour
    pair s_mn = LeakyReLU_0.2[φ_kᵀ [h′_m; h′_n]] (eq. 13.23; the slope is the GAT paper's, the book
    leaves the activation open), and outputs H_{k+1} = ReLU[H′_k · Softmask[S, A + I]] (eq. 13.24):
    weights that depend on the data, restricted to the node and its neighbours. Then the node head
    of eq. 13.12. One attention head per layer.

    Parameters: Σ_k (D_k D_{k+1} + D_{k+1} + 2 D_{k+1}) for (Ω_k, β_k, φ_k) plus D_K + 1 for the
    head. Karate club: 34·16 + 16 + 32 + 16·16 + 16 + 32 + 16 + 1 = 913.
    """

    def __init__(self, in_features, hidden=(16, 16), rng=0, dtype=None):
        widths = layer_widths(in_features, hidden, "NodeGAT")
        gen = as_generator(rng, "NodeGAT")
        layers = [GraphAttention(d_in, d_out, activation=relu, dtype=dtype, rng=gen)
                  for d_in, d_out in zip(widths[:-1], widths[1:])]
        super().__init__(layers, Linear(widths[-1], 1, dtype=dtype, rng=gen))


class Transductive(Module):
    """`Transductive(model, adjacency, features)`: a node model bound to its one graph (section 13.6).

    `transductive(nodes)` runs `model(X, A)` on the whole graph and returns the outputs of the
    integer node indices `nodes` (a Tensor or array, (B,)): the examples of a transductive data
    set are its nodes, and a batch of them still needs every node's embedding (each depends on
    its K-hop neighbourhood, fig. 13.9). `node_outputs()` returns every node's output,
    `hidden_states()` the model's hidden layers. The graph is data, not parameters: the features
    take the parameters' dtype at each call (so a float64 gradient check sees float64 inputs).
    """

    def __init__(self, model, adjacency, features):
        super().__init__()
        self.model = model
        self.adjacency = one_graph_adjacency(adjacency, "Transductive")
        self.features = np.asarray(features, dtype=np.float64)
        if self.features.ndim != 2 or self.features.shape[0] != self.adjacency.shape[0]:
            raise ShapeError(f"Transductive: features must be (N, D) for the {self.adjacency.shape[0]} nodes of the "
                             f"adjacency, got shape {self.features.shape}")

    @property
    def num_nodes(self) -> int:
        return self.adjacency.shape[0]

    def _x(self):
        dtype = next(p.dtype for p in self.parameters())
        return Tensor(self.features.astype(dtype, copy=False))

    def node_outputs(self):
        return self.model(self._x(), self.adjacency)

    def hidden_states(self) -> list:
        return self.model.hidden_states(self._x(), self.adjacency)

    def forward(self, nodes):
        index = np.asarray(nodes.data if isinstance(nodes, Tensor) else nodes)
        if index.ndim != 1 or index.dtype.kind not in "iu" or (index.size and not (
                0 <= index.min() and index.max() < self.num_nodes)):
            raise ValueError(f"Transductive: expected a 1-D array of node indices in 0..{self.num_nodes - 1}, got "
                             f"shape {index.shape} of {index.dtype}")
        return self.node_outputs()[index]
