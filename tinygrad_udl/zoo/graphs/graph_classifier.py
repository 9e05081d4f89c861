"""Graph classification (section 13.5): GCN layers, mean pooling per graph, one logit per graph."""
from __future__ import annotations

from ...autograd.tensor import Tensor
from ...checks import as_generator
from ...graphs import mean_pool
from ...nn.activation import relu
from ...nn.gnn import GCNConv
from ...nn.linear import Linear
from ...nn.module import Module, ModuleList
from ...training import fit
from ..runner import build_optimizer, seeds
from .node_models import layer_widths
from .packing import unpack_graphs

__all__ = ["GraphGCN", "train_graph_classifier"]


class GraphGCN(Module):
    """`GraphGCN(in_features, hidden=(32, 32), rng=0, dtype=None)`: the graph classifier of
    section 13.5, eq. 13.11.

    K = len(hidden) GCN layers H_{k+1} = ReLU[β_k 1ᵀ + Ω_k H_k (A + I)] (eq. 13.10: the node plus
    the *sum* of its neighbours, so a layer can count them), then the graph-level head of eq. 13.2,
    f = sig[β_K + ω_K H_K 1/N]: the mean of the graph's node embeddings, one logit. Trained with
    the binary cross-entropy (eq. 5.19) on batches of graphs joined block-diagonally (section
    13.5.1), the mean taken over each graph's own nodes.

    `model(packed)` takes a batch packed by `packing.pack_graphs`, (B, M, 1 + M + D), and returns
    (B,) logits; `model.forward_graphs(x, adjacency, batch)` takes the block-diagonal form (node
    features (N, D), adjacency (N, N), `batch` (N,) node → graph) and returns one logit per graph.

    Parameters, widths D_0 = in_features, D_1..D_K = hidden: Σ_k (D_k D_{k+1} + D_{k+1}) for the
    layers plus D_K + 1 for the head; the claw-tree classifier (6 one-hot degrees, 32, 32):
    6·32 + 32 + 32·32 + 32 + 32 + 1 = 1,313. Weights He-uniform (eq. 7.30), biases zero.
    """

    def __init__(self, in_features, hidden=(32, 32), rng=0, dtype=None):
        super().__init__()
        widths = layer_widths(in_features, hidden, "GraphGCN")
        gen = as_generator(rng, "GraphGCN")
        self.layers = ModuleList(GCNConv(d_in, d_out, aggregation="sum", activation=relu, dtype=dtype, rng=gen)
                                 for d_in, d_out in zip(widths[:-1], widths[1:]))
        self.head = Linear(widths[-1], 1, dtype=dtype, rng=gen)

    def forward_graphs(self, x, adjacency, batch):
        h = x
        for layer in self.layers:
            h = layer(h, adjacency)
        return self.head(mean_pool(h, batch)).reshape(-1)  # β_K + ω_K H_K 1/N per graph (eq. 13.2)

    def forward(self, packed):
        graphs = unpack_graphs(packed)
        x = Tensor(graphs.features.astype(self.head.weight.dtype, copy=False))  # data takes the parameters' dtype
        return self.forward_graphs(x, graphs.adjacency, graphs.batch)


def train_graph_classifier(entry, hyper, split, seed, progress=None, compile=True):
    """`runner.train_model` for batches of graphs: the same seeds, optimiser and loop (`training.fit`),
    but the evaluation passes too take `hyper["batch_size"]` graphs at a time. The block-diagonal
    adjacency of a batch has (Σ_g N_g)² entries, so the loop's default evaluation batch of 1,000
    graphs (~13,000 nodes here) would cost gigabytes and most of the run."""
    model_rng, fit_rng = seeds(seed, 2)
    model = entry.build(rng=model_rng)
    length = {"steps": hyper["steps"]} if "steps" in hyper else {"epochs": hyper["epochs"]}
    history = fit(model, build_optimizer(model.parameters(), hyper), split.train, test=split.test,
                  loss_fn=entry.task.loss_fn, error_fn=entry.task.error_fn, batch_size=hyper["batch_size"],
                  eval_every=hyper.get("eval_every", 1), rng=fit_rng, progress=progress, desc=entry.name,
                  eval_batch_size=hyper["batch_size"], compile=entry.compiles(compile), **length)
    return model, history
