"""Write the pictures of docs/visualisation.md and the README into docs/images/.

    python scripts/make_doc_images.py

- toy_graph.svg / .png: the book's toy model (section 7.3, figs. 7.3-7.5) with every forward value
  and gradient;
- shallow_modules.svg: a shallow network (chapter 3) with its modules clustered (record_modules);
- deep_collapsed.svg: a deep network (eq. 4.15, five hidden layers) drawn with max_nodes, each
  layer collapsed into one box.

The images need graphviz's `dot` program (apt-get install graphviz / brew install graphviz).
"""
from __future__ import annotations

import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tinygrad_udl import Tensor  # noqa: E402
from tinygrad_udl.viz import draw_graph, record_modules, save  # noqa: E402
from tinygrad_udl.viz.examples import toy_example  # noqa: E402
from tinygrad_udl.zoo.deep import DeepNetwork  # noqa: E402
from tinygrad_udl.zoo.shallow import ShallowNetwork  # noqa: E402

IMAGES = ROOT / "docs" / "images"


def network_loss(model, n_inputs, seed=0):
    """Least-squares loss (eq. 5.11, mean over a batch of 3) of `model`, recorded by module."""
    rng = np.random.default_rng(seed)
    x = Tensor(rng.standard_normal((3, n_inputs)), dtype=np.float32, label="x")
    y = Tensor(rng.standard_normal((3, 1)), dtype=np.float32, label="y")
    with record_modules(model):
        prediction = model(x)
    loss = ((prediction - y) ** 2).mean()
    loss.label = "loss"
    return loss


def main():
    loss, params = toy_example()
    toy = draw_graph(loss, params=params)
    written = [save(toy, IMAGES / "toy_graph.svg"), save(toy, IMAGES / "toy_graph.png")]
    shallow = ShallowNetwork(1, 3, 1, rng=0)
    written.append(save(network_loss(shallow, 1), IMAGES / "shallow_modules.svg", modules=shallow))
    deep = DeepNetwork(1, [10] * 5, 1, rng=0)
    written.append(save(network_loss(deep, 1), IMAGES / "deep_collapsed.svg", modules=deep, max_nodes=20))
    for path in written:
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
