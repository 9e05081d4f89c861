"""fit(compile=True) (the default) trains exactly as fit(compile=False)."""
import numpy as np
import pytest

import tinygrad_udl as tg
from tinygrad_udl import nn, optim
from tinygrad_udl.nn import functional as F
from tinygrad_udl.training import fit


def _data(n=150, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 12)).astype(np.float32), rng.integers(0, 3, n)


def _model(kind):
    tg.manual_seed(1)
    if kind == "dropout":
        return nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 3))
    if kind == "batchnorm":
        return nn.Sequential(nn.Linear(12, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))
    return nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 3))


@pytest.mark.parametrize("kind", ["mlp", "dropout", "batchnorm"])
@pytest.mark.parametrize("opt", ["sgd", "adam", "nesterov-book"])
def test_fit_compiled_equals_eager(kind, opt):
    runs = []
    for compiled in (False, True):
        model = _model(kind)
        if opt == "sgd":
            o = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        elif opt == "adam":
            o = optim.Adam(model.parameters(), lr=1e-2)
        else:
            o = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, style="book")
        hist = fit(model, o, _data(), loss_fn=F.cross_entropy, val=_data(60, 1), epochs=4, batch_size=32,
                   progress=False, compile=compiled, penalty=lambda m: 1e-4 * sum((p * p).sum() for p in m.parameters()))
        rows = [{k: v for k, v in row.items() if k != "seconds"} for row in hist]
        runs.append((rows, {k: np.array(v) for k, v in model.state_dict().items()}))
    assert runs[0][0] == runs[1][0]
    for k in runs[0][1]:
        assert np.array_equal(runs[0][1][k], runs[1][1][k]), k
