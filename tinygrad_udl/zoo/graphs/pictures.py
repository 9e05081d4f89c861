"""Pictures of the chapter-13 experiments, drawn with matplotlib (the `plot` extra, imported when drawing).

- karate entries: the club's graph with every member filled with its predicted faction and ringed
  with its true one (the two labelled members as squares), and the members' embeddings in the
  last hidden layer projected on their two principal components, coloured the same way.
- over-smoothing: test accuracy and Dirichlet quotient against depth for each layer type, the
  quotient beside its closed form for linear layers.

Each function has the signature `(model, history, split, out) -> [paths]` of a `ZooEntry`'s
`pictures`: `tinygrad-udl train NAME --plot` draws them beside the learning curves.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ...autograd.graph import no_grad
from ...plotting import pyplot, save_figure
from ...graphs.convert import require_networkx
from .communities import features_bayes_accuracy
from .oversmoothing import VARIANTS
from .tasks import COMMUNITIES, karate_graph

__all__ = ["karate_pictures", "oversmoothing_pictures"]

FACTION_COLOURS = ("tab:blue", "tab:orange")


def _faction_legend(ax, names):
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=c, label=name) for c, name in zip(FACTION_COLOURS, names)], fontsize=8)


def _principal_components(h, count=2):
    """Rows of `h` projected on its `count` leading principal directions (SVD of the centred data)."""
    centred = h - h.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:count].T


def karate_pictures(model, history, split, out) -> list:
    """`out/graph.png` and `out/embedding.png` for a trained karate-club model (`Transductive`)."""
    plt, nx = pyplot("drawing the chapter-13 pictures"), require_networkx("karate_pictures")
    graph = karate_graph()
    with no_grad():
        predicted = (model.node_outputs().data > 0).astype(int)
        last_hidden = model.hidden_states()[-1].data.astype(np.float64)
    fill = [FACTION_COLOURS[p] for p in predicted]
    ring = [FACTION_COLOURS[t] for t in graph.labels]
    labelled = graph.train_mask
    wrong = int(np.sum(predicted[graph.test_mask] != graph.labels[graph.test_mask]))
    g = nx.from_numpy_array(graph.adjacency)
    positions = nx.spring_layout(g, seed=0)
    files = []

    fig, ax = plt.subplots(figsize=(7, 6))
    nx.draw_networkx_edges(g, positions, ax=ax, alpha=0.3)
    for shape, members in (("o", ~labelled), ("s", labelled)):
        nodes = np.flatnonzero(members).tolist()
        nx.draw_networkx_nodes(g, positions, nodelist=nodes, node_shape=shape, ax=ax, node_size=320,
                               node_color=[fill[n] for n in nodes], edgecolors=[ring[n] for n in nodes],
                               linewidths=3)
    nx.draw_networkx_labels(g, positions, ax=ax, font_size=7)
    _faction_legend(ax, graph.label_names)
    ax.set_title(f"predicted faction (fill), true faction (ring); squares: the 2 labelled members\n"
                 f"{wrong} of 32 unlabelled members wrong")
    ax.axis("off")
    files.append(save_figure(fig, Path(out) / "graph.png"))

    fig, ax = plt.subplots(figsize=(6, 5))
    xy = _principal_components(last_hidden)
    ax.scatter(xy[:, 0], xy[:, 1], c=fill, edgecolors=ring, linewidths=2.5, s=90)
    for n, (px, py) in enumerate(xy):
        ax.annotate(str(n), (px, py), fontsize=7, xytext=(4, 3), textcoords="offset points")
    ax.set_xlabel("principal component 1")
    ax.set_ylabel("principal component 2")
    ax.set_title(f"last hidden layer ({last_hidden.shape[1]} units), projected; fill: predicted, ring: true")
    ax.grid(alpha=0.3)
    _faction_legend(ax, graph.label_names)
    files.append(save_figure(fig, Path(out) / "embedding.png"))
    return files


def oversmoothing_pictures(model, history, split, out) -> list:
    """`out/oversmoothing.png`: accuracy and Dirichlet quotient against depth, per layer type."""
    plt = pyplot("drawing the chapter-13 pictures")
    records = history.info["sweep"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for variant, equation in VARIANTS.items():
        depths = sorted({r["depth"] for r in records if r["variant"] == variant})
        if not depths:
            continue

        def mean(key, depth):
            values = [r[key] for r in records if r["variant"] == variant and r["depth"] == depth]
            finite = [v for v in values if np.isfinite(v)]
            return np.mean(finite) if finite else np.nan

        label = f"{variant} ({equation})"
        line, = left.plot(depths, [mean("test_accuracy", d) for d in depths], "o-", label=label)
        right.plot(depths, [mean("quotient", d) for d in depths], "o-", color=line.get_color(), label=label)
        right.plot(depths, [mean("linear_quotient", d) for d in depths], "--", color=line.get_color(),
                   label=f"{variant}, linear layers (exact)")
    left.axhline(features_bayes_accuracy(COMMUNITIES["separation"]), color="gray", ls=":",
                 label="Bayes rate of the features alone")
    left.axhline(0.5, color="black", ls=":", label="chance (majority class)")
    left.set_ylabel("test accuracy")
    right.set_ylabel("E(H) / |H|^2 of the last hidden layer")
    right.set_yscale("log")
    all_depths = sorted({r["depth"] for r in records})
    for ax in (left, right):
        ax.set_xscale("log", base=2)
        ax.set_xticks(all_depths, [str(d) for d in all_depths])
        ax.set_xlabel("GCN layers K")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("over-smoothing: two communities, 40 labelled nodes of 200")
    fig.tight_layout()
    return [save_figure(fig, Path(out) / "oversmoothing.png")]

