"""Short training runs of every diffusion entry (Algorithm 18.1): the ε-prediction error must fall
well below its starting value and below the trivial predictor g = 0, whose error is exactly
E[ε²] = 1. Then the result rows and pictures of short runs. Thresholds leave a margin around what
was measured (comments; seeds 0-2)."""
import dataclasses
import json

import numpy as np
import pytest

from tinygrad_udl.cli import main
from tinygrad_udl.zoo.generative.diffusion.reports import report_steps
from tinygrad_udl.zoo.registry import registry
from tinygrad_udl.zoo.runner import run

# name: (steps, bound on the final test eps-MSE)
SHORT_RUNS = {
    "diffusion-1d": (300, 0.36),            # measured 0.305-0.308 (Bayes-optimal floor 0.289)
    "diffusion-ring": (300, 0.37),          # 0.313-0.321 (floor 0.255)
    "diffusion-moons": (300, 0.31),         # 0.258-0.259 (floor 0.243)
    "diffusion-digits": (40, 0.55),         # 0.40-0.44 with the smaller U-Net below
}
SMALLER = {"diffusion-digits": {"channels": (8, 16), "time_features": 16, "embedding": 8}}
TRIVIAL = 1.0   # the error of g = 0: E[eps^2]


@pytest.mark.parametrize("name", list(SHORT_RUNS))
def test_the_loss_falls(name):
    steps, bound = SHORT_RUNS[name]
    entry = dataclasses.replace(registry()[name], extra_rows=None, model_kwargs=SMALLER.get(name, {}))
    history = run(entry, steps=steps, progress=False).history
    assert history.final["test_loss"] < bound < TRIVIAL
    assert history.final["train_loss"] < 0.6 * history[0]["train_loss"]
    assert history.info["steps_run"] == steps
    assert history.final["lr"] == pytest.approx(0.0, abs=1e-12)     # the cosine decay ends at 0


def test_the_1d_rows_compare_with_exact_references():
    entry = registry()["diffusion-1d"]
    rows = {row["metric"]: row for row in run(entry, steps=300, progress=False).rows}
    assert rows["test eps-MSE at t=100"]["book"] == pytest.approx(0.04755, abs=1e-4)   # Bayes floor (grid)
    assert rows["sample variance"]["book"] == 1.0
    for t in report_steps(100):
        row = rows[f"test eps-MSE at t={t}"]
        assert row["book"] < row["ours"] + 0.02                                      # nobody beats the floor
    histogram, exact = (rows[f"total variation: {kind} vs data (bins 0.1)"]
                        for kind in ("histogram of the samples", "exact output of Algorithm 18.2"))
    assert abs(histogram["ours"] - exact["ours"]) < 0.05      # the sampled and the propagated outputs agree
    assert histogram["book"] < 0.03 and exact["book"] == pytest.approx(0.077, abs=0.005)


def test_the_ring_rows_count_modes():
    rows = {row["metric"]: row for row in run(registry()["diffusion-ring"], steps=300, progress=False).rows}
    assert rows["modes covered (of 8)"]["book"] == 8
    assert rows["share of samples within 3 s.d. of a mode"]["book"] == pytest.approx(1 - np.exp(-4.5))
    assert 0 <= rows["share of samples within 3 s.d. of a mode"]["ours"] <= 1


def test_the_digits_rows_use_the_linear_denoiser_and_chapter_14s_measures():
    entry = dataclasses.replace(registry()["diffusion-digits"], model_kwargs=SMALLER["diffusion-digits"])
    rows = {row["metric"]: row for row in run(entry, steps=20, progress=False).rows}
    assert rows["test eps-MSE at t=200"]["book"] < 0.01          # at t = T the noise is nearly z_T itself
    fid = next(row for name, row in rows.items() if name.startswith("FID"))
    assert fid["book"] < fid["ours"]                              # 20 steps: far from the real digits


@pytest.mark.parametrize("name, files", [("diffusion-1d", ["kernel.png", "density.png"]),
                                         ("diffusion-moons", ["samples.png"]), ("diffusion-digits", ["samples.png"])])
def test_train_plot_draws_the_pictures(name, files, tmp_path):
    pytest.importorskip("matplotlib")
    entry = dataclasses.replace(registry()[name], extra_rows=None, model_kwargs=SMALLER.get(name, {}))
    result = run(entry, steps=20, progress=False, out=tmp_path, plot=True)     # what `train NAME --plot` runs
    assert [path.name for path in result.files] == ["history.json", "curves.png", *files]
    for file in ["curves.png", *files]:
        assert (tmp_path / file).read_bytes()[:4] == b"\x89PNG"
    assert json.loads((tmp_path / "history.json").read_text())["info"]["steps_run"] == 20


def test_the_command_line_trains_an_entry(tmp_path, capsys):
    assert main(["train", "diffusion-1d", "--steps", "30", "--quiet", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "test eps-MSE at t=100" in out and "Bayes-optimal" in out
