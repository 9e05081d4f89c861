"""Attention maps: heat maps of every head's attention weights for one sequence (figs. 12.1, 12.15b).

Row n of a map is query position n's distribution a[x_m, x_n] over the key positions m (eq.
12.5): which earlier tokens the model reads to predict what follows token n. In a decoder the
upper triangle is zero (masked self-attention, section 12.7.2). matplotlib (the `plot` extra) is
imported only when a picture is drawn.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ...plotting import pyplot, save_figure

# How characters that print as nothing are labelled on the axes.
_VISIBLE = {" ": "␣", "\n": "⏎", "\t": "⇥"}
_MAX_TICK_LABELS = 64


def attention_maps(model, tokens, labels, path, layer=0, title=None) -> Path:
    """Draw the attention weights of every head of `model`'s layer `layer` for the one sequence
    `tokens` (ids, at most the model's context length; `labels[i]` names token i on the axes) into
    the PNG `path`, one panel per head; returns the path."""
    plt = pyplot("drawing attention maps")
    weights = model.attention_weights(np.asarray(tokens, dtype=np.int64)[None], layer)[0]   # (H, L, L)
    heads, length = weights.shape[0], weights.shape[1]
    names = [_VISIBLE.get(str(label), str(label)) for label in labels]
    ticks = np.arange(length) if length <= _MAX_TICK_LABELS else np.arange(0, length, -(-length // _MAX_TICK_LABELS))
    columns = min(heads, 2)
    rows = -(-heads // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(5.2 * columns + 1.2, 5.2 * rows + 0.6), squeeze=False)
    for h, ax in enumerate(axes.flat):
        if h >= heads:
            ax.axis("off")
            continue
        image = ax.imshow(weights[h], cmap="viridis", vmin=0.0, vmax=1.0)
        ax.set_title(f"head {h + 1}")
        ax.set_xticks(ticks, [names[i] for i in ticks], fontsize=6)
        ax.set_yticks(ticks, [names[i] for i in ticks], fontsize=6)
        ax.set_xlabel("key m (the token attended to)")
        ax.set_ylabel("query n")
    fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.6, label="attention weight a[x_m, x_n]")
    fig.suptitle(title or f"attention weights of layer {layer + 1}")
    return save_figure(fig, path, dpi=130, tight=False)


def attention_pictures(model, tokens, labels, out, name) -> list:
    """`attention_maps` of every layer of `model` for one sequence: `out/attention-layer<i>.png`."""
    return [attention_maps(model, tokens, labels, Path(out) / f"attention-layer{layer + 1}.png", layer=layer,
                           title=f"{name}: attention weights of layer {layer + 1}")
            for layer in range(len(model.transformer.layers))]
