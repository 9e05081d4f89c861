"""Over-smoothing: accuracy and smoothness of node embeddings against depth, for three GCN layer types.

The book prints no figure for it; the chapter's Notes ("Oversmoothing and suspended animation")
explain why GCNs rarely use more than two layers: each layer mixes in a larger neighbourhood,
and a node's influence on another approaches the stationary distribution of a K-step random walk
as K grows, "causing the local neighborhood to be washed out". Section 13.8 gives two ways for
a node to keep its own embedding: the diagonal enhancement (eq. 13.14, a learned weight 1 + ε_k
on the node itself) and residual connections (eq. 13.16, the node's previous embedding
concatenated to the new one).

`DeepGCN` stacks K layers of one of three kinds, all aggregating with the book's Kipf
normalisation Ñ = D^{-1/2} A D^{-1/2} (eq. 13.19) so that they differ only in how the node's own
embedding enters:

| variant    | layer (row layout)                           | book       |
|------------|----------------------------------------------|------------|
| "plain"    | ReLU[(Ñ + I) H Ωᵀ + 1βᵀ]                      | eq. 13.20  |
| "enhanced" | ReLU[(Ñ + (1 + ε_k) I) H Ωᵀ + 1βᵀ], ε_k learned | eq. 13.14  |
| "residual" | [ReLU[Ñ H Ωᵀ + 1βᵀ], H]  (concatenated)       | eq. 13.16  |

`train_sweep` (the zoo entry's trainer) trains every variant at every depth and records the test
accuracy and the Dirichlet quotient of the last hidden layer (`smoothing.dirichlet_quotient`)
beside its exact value for the same layers without weights and activations
(`smoothing.linear_quotient`).
"""
from __future__ import annotations

import time

import numpy as np

from ...autograd.graph import no_grad
from ...autograd.tensor import Tensor, cat
from ...checks import as_generator, check_int
from ...nn import init
from ...nn.activation import relu
from ...nn.gnn import GCNConv, propagation_matrix
from ...nn.linear import Linear, linear
from ...nn.module import Module, Parameter, default_float_dtype
from ..runner import fit_model, seeds
from .node_models import NodeClassifier
from .smoothing import dirichlet_quotient, linear_quotient

__all__ = ["VARIANTS", "ConcatResidualGCN", "DeepGCN", "train_sweep", "sweep_rows"]

VARIANTS = {"plain": "eq. 13.20", "enhanced": "eq. 13.14", "residual": "eq. 13.16"}


class ConcatResidualGCN(Module):
    """`ConcatResidualGCN(in_features, out_features, rng=None, dtype=None)`: the residual GCN
    layer of eq. 13.16, H_{k+1} = [a[β_k 1ᵀ + Ω_k H_k Ã]; H_k] in the book's column form, here in
    rows: [ReLU[Ñ H Ωᵀ + 1βᵀ], H] with Ñ = D^{-1/2} A D^{-1/2} (eq. 13.19) for Ã.

    The neighbours' aggregate is transformed and activated before the node's own embedding is
    concatenated (section 13.8.2), so the output has in_features + out_features columns.
    Parameters `weight` Ω (out, in) and `bias` β (out,): out·in + out. Ω He-uniform, β zero.
    """

    def __init__(self, in_features, out_features, rng=None, dtype=None):
        super().__init__()
        dtype = default_float_dtype(dtype)
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.weight = init.he_uniform_(Parameter(np.zeros((self.out_features, self.in_features), dtype)), rng=rng)
        self.bias = Parameter(np.zeros(self.out_features, dtype))

    def forward(self, h, adjacency):
        neighbours = Tensor(propagation_matrix(adjacency, "kipf", self_loops=False).astype(h.dtype))
        new = relu(neighbours @ linear(h, self.weight) + self.bias)    # a[β1ᵀ + ΩHÃ], rows
        return cat([new, h], axis=-1)

    def extra_repr(self):
        return f"{self.in_features}, {self.out_features}"


class DeepGCN(NodeClassifier):
    """`DeepGCN(in_features, width=16, depth=2, variant="plain", rng=0, dtype=None)`: K = `depth`
    GCN layers of one kind (module table: "plain" eq. 13.20, "enhanced" eq. 13.14, "residual"
    eq. 13.16) and the node head of eq. 13.12 (one logit per node).

    Parameters with D_0 = in_features and width W:
    - plain: D_0 W + W + (K − 1)(W² + W) + W + 1;
    - enhanced: the same plus K (one ε_k per layer, starting at 0, when the layer equals plain);
    - residual: layer k sees D_0 + kW columns, so Σ_{k<K} ((D_0 + kW) W + W) + D_0 + KW + 1.
    Weights He-uniform (eq. 7.30), biases zero.
    """

    def __init__(self, in_features, width=16, depth=2, variant="plain", rng=0, dtype=None):
        where = "DeepGCN"
        if variant not in VARIANTS:
            raise ValueError(f"{where}: variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
        in_features = check_int(in_features, "in_features", where, minimum=1)
        width = check_int(width, "width", where, minimum=1)
        depth = check_int(depth, "depth", where, minimum=1)
        gen = as_generator(rng, where)
        layers, d = [], in_features
        for _ in range(depth):
            if variant == "residual":
                layers.append(ConcatResidualGCN(d, width, rng=gen, dtype=dtype))
                d += width
            else:
                layers.append(GCNConv(d, width, aggregation="kipf", diagonal_enhancement=variant == "enhanced",
                                      activation=relu, dtype=dtype, rng=gen))
                d = width
        super().__init__(layers, Linear(d, 1, dtype=dtype, rng=gen))
        self.variant, self.depth = variant, depth

    def eps(self) -> list:
        """The learned ε_k of the enhanced variant, one per layer (empty for the others)."""
        return [float(layer.eps.data) for layer in self.layers if getattr(layer, "eps", None) is not None]


def train_sweep(entry, hyper, split, seed, progress=None, compile=True):
    """Train `entry`'s model for every variant in `hyper["variants"]` and depth in
    `hyper["depths"]`, `hyper["repeats"]` times each from different seeds, with the entry's
    optimiser settings (`runner.fit_model`). Returns the model and history of the first run with
    the entry's own `model_kwargs` (its learning curve is the one `--plot` draws) and stores one
    record per run in `history.info["sweep"]`: variant, depth, repeat, test accuracy, the
    measured and the linear-theory Dirichlet quotients of the last hidden layer, and ε_k."""
    repeats = check_int(hyper["repeats"], "repeats", "train_sweep", minimum=1)
    cells = [(variant, int(depth), r) for variant in hyper["variants"] for depth in hyper["depths"]
             for r in range(repeats)]
    generators = seeds(seed, 2 * len(cells))
    default = (entry.model_kwargs["variant"], entry.model_kwargs["depth"], 0)
    if default not in cells:
        raise ValueError(f"train_sweep: the entry's own model {default[:2]} must be one of the swept cells")
    records, kept, start = [], None, time.perf_counter()
    for i, (variant, depth, repeat) in enumerate(cells):
        model = entry.factory(rng=generators[2 * i], **{**entry.model_kwargs, "variant": variant, "depth": depth})
        history = fit_model(model, entry, hyper, split, generators[2 * i + 1], progress,
                            desc=f"{entry.name} {variant} K={depth}", compile=compile)
        eps = model.model.eps()
        with no_grad():
            last_hidden = model.hidden_states()[-1]
        records.append({
            "variant": variant, "depth": depth, "repeat": repeat,
            "test_accuracy": 1.0 - history.final["test_error"] / 100.0,
            "quotient": dirichlet_quotient(last_hidden, model.adjacency),
            "linear_quotient": linear_quotient(model.features, model.adjacency, depth,
                                               residual=variant == "residual", eps=eps or 0.0),
            "eps": eps,
        })
        if (variant, depth, repeat) == default:
            kept = (model, history)
    model, history = kept
    # the run is the whole sweep: its time, and one record per trained model
    history.info.update(sweep=records, seconds=round(time.perf_counter() - start, 3))
    return model, history


def _mean(values):
    """The mean of the finite values (a run whose last hidden layer is all zero has no quotient)."""
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def sweep_rows(history) -> list:
    """One result row per variant and depth (means over the repeats): test accuracy and the Dirichlet
    quotient of the last hidden layer, beside the linear layers' exact quotient."""
    records = history.info["sweep"]
    rows = []
    for variant, equation in VARIANTS.items():
        for depth in sorted({r["depth"] for r in records if r["variant"] == variant}):
            cell = [r for r in records if r["variant"] == variant and r["depth"] == depth]
            accuracies = [r["test_accuracy"] for r in cell]
            note = f"accuracy {min(accuracies):.3f}-{max(accuracies):.3f} over {len(cell)} seeds"
            dead = sum(not np.isfinite(r["quotient"]) for r in cell)
            if dead:
                note += f"; {dead} run(s) ended with every unit of the last layer at 0"
            if variant == "enhanced":
                note += f"; learned eps mean {_mean([e for r in cell for e in r['eps']]):+.2f}"
            layers = f"{depth} layer{'s' if depth > 1 else ''}"
            rows.append({"metric": f"{variant} ({equation}), {layers}: test accuracy / E(H)/|H|^2",
                         "book": f"- / {_mean([r['linear_quotient'] for r in cell]):.3g}",
                         "ours": f"{_mean(accuracies):.3f} / {_mean([r['quotient'] for r in cell]):.3g}",
                         "note": note})
    return rows
