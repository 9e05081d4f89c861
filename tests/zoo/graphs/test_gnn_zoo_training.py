"""Short training runs of the chapter-13 entries (their own tasks, losses and optimisers, shortened):
each must beat the baseline that needs no learning (the majority class; for the claw trees, every
degree-histogram classifier, exactly 50 %), plus the result tables and the pictures."""
import dataclasses

import numpy as np
import pytest

from tinygrad_udl.training import History
from tinygrad_udl.zoo.graphs.pictures import oversmoothing_pictures
from tinygrad_udl.zoo.registry import get
from tinygrad_udl.zoo.runner import run


def row(result, prefix):
    return next(r for r in result.rows if r["metric"].startswith(prefix))


@pytest.mark.parametrize("name", ["karate-gcn", "karate-gat"])
def test_karate_models_beat_the_majority_from_two_labels(name, tmp_path):
    result = run(get(name), steps=60, progress=False, out=tmp_path, plot=True)
    accuracy = row(result, "test accuracy")
    majority = row(result, "reference: majority")["book"]
    assert majority == 0.5 and accuracy["ours"] >= 0.8
    assert result.history.final["train_loss"] < result.history[0]["train_loss"]
    assert accuracy["book"] == 31 / 32 and row(result, "reference: Fiedler")["book"] == 30 / 32
    files = result.files[2:]   # after history.json and curves.png: the entry's own pictures
    assert [f.name for f in files] == ["graph.png", "embedding.png"]
    assert all(f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for f in files)


def test_graph_classifier_beats_every_degree_histogram_classifier():
    result = run(get("claw-trees-gcn"), epochs=4, progress=False)
    assert row(result, "reference: any degree-histogram")["book"] == 0.5
    assert row(result, "test accuracy")["ours"] >= 0.8
    assert result.history.final["train_loss"] < result.history[0]["train_loss"]


def test_the_oversmoothing_sweep_records_every_cell(tmp_path):
    entry = get("gcn-oversmoothing")
    short = dataclasses.replace(entry, hyperparameters={**entry.hyperparameters, "depths": (2, 4), "repeats": 1})
    result = run(short, steps=60, progress=False, out=tmp_path)
    sweep = result.history.info["sweep"]
    assert [(r["variant"], r["depth"]) for r in sweep] == [(v, d) for v in ("plain", "enhanced", "residual")
                                                           for d in (2, 4)]
    assert all(r["test_accuracy"] > 0.6 for r in sweep)            # majority: 0.5
    assert all(0 < r["quotient"] < 2 and 0 < r["linear_quotient"] < 2 for r in sweep)
    assert all(len(r["eps"]) == (r["depth"] if r["variant"] == "enhanced" else 0) for r in sweep)
    table = [r for r in result.rows if " layers: " in r["metric"]]
    assert len(table) == 6 and row(result, "reference: Bayes")["book"] == pytest.approx(0.7733726, abs=1e-6)
    # the picture needs only the saved history
    files = oversmoothing_pictures(None, History.load(tmp_path / "history.json"), None, tmp_path)
    assert files[0].read_bytes()[:4] == b"\x89PNG"


def test_the_sweep_keeps_the_entrys_own_model():
    entry = get("gcn-oversmoothing")
    short = dataclasses.replace(entry, hyperparameters={**entry.hyperparameters, "depths": (1,), "repeats": 1})
    with pytest.raises(ValueError, match="must be one of the swept cells"):
        run(short, steps=2, progress=False)
    assert np.isfinite(get("gcn-oversmoothing").build().node_outputs().data).all()
