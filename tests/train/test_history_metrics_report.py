"""`History` (rows, JSON round trip), the error rates of section 8.1, and the result tables."""
import json

import numpy as np
import pytest

from tinygrad_udl import Tensor
from tinygrad_udl.training import (History, binary_error, classification_error, format_table, markdown_table,
                                   plot_history)


def _history():
    return History([{"epoch": 0, "step": 0, "train_loss": 2.3, "test_loss": 2.3, "test_error": 90.0},
                    {"epoch": 1, "step": 40, "train_loss": 1.0, "test_loss": 1.5, "test_error": 50.0},
                    {"epoch": 2, "step": 80, "train_loss": 0.5, "test_loss": 1.7, "test_error": 45.0}],
                   {"steps": 80})


def test_history_columns_best_and_json_round_trip(tmp_path):
    h = _history()
    assert h.column("step") == [0, 40, 80]
    assert h.best("test_loss")["step"] == 40
    assert h.best("test_error")["step"] == 80
    assert h.last["epoch"] == 2 and h.final is h.last
    h.info["final_row"] = 1  # early stopping restored the checkpoint of row 1
    assert h.final["step"] == 40
    del h.info["final_row"]
    path = h.save(tmp_path / "sub" / "history.json")
    assert json.loads(path.read_text())["rows"][1]["test_error"] == 50.0
    again = History.load(path)
    assert again.rows == h.rows and again.info == h.info
    with pytest.raises(KeyError, match="has no metric 'val_loss'"):
        h.column("val_loss")


def test_run_length_text():
    h = History([], {"steps_run": 6000, "epochs_run": 150})
    assert h.run_length() == "6,000 steps (150 epochs)"
    h.info.update(members=5, stopped_early=True)
    assert h.run_length() == "6,000 steps (150 epochs) for each of 5 members, stopped early"


def test_classification_error_counts_wrong_argmax():
    logits = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.0, 0.0, 5.0], [1.0, 0.0, 0.0]])
    assert classification_error(Tensor(logits), np.array([0, 1, 0, 2])) == 0.5
    # segmentation layout (N, K, L): every position counts
    maps = np.zeros((1, 2, 4))
    maps[0, 1, :3] = 1.0
    assert classification_error(maps, np.array([[1, 1, 1, 1]])) == 0.25
    with pytest.raises(ValueError, match="need labels of shape"):
        classification_error(logits, np.array([0, 1]))


def test_binary_error_uses_the_sign_of_the_logit():
    assert binary_error(np.array([2.0, -1.0, 0.5, -3.0]), np.array([1, 0, 0, 0])) == 0.25
    assert binary_error(np.array([[2.0], [-1.0]]), np.array([1, 1])) == 0.5
    with pytest.raises(ValueError, match="must match"):
        binary_error(np.zeros(3), np.zeros(4))


def test_tables_show_book_and_ours():
    rows = [{"model": "m", "metric": "test error (%)", "book": 17.0, "ours": 14.23, "epochs": 2500},
            {"model": "m", "metric": "parameters", "book": None, "ours": 2050, "epochs": 2500}]
    text = format_table(rows).splitlines()
    assert text[0].split() == ["model", "metric", "book", "ours", "epochs"]  # empty 'note' column left out
    assert "14.23" in text[2] and "17" in text[2] and "2,500" in text[2]
    assert " - " in text[3] and "2,050" in text[3]
    md = markdown_table(rows).splitlines()
    assert md[0] == "| model | metric | book | ours | epochs |" and md[1] == "|---|---|---|---|---|"


def test_plot_history_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")  # the optional 'plot' extra
    path = plot_history(_history(), tmp_path / "curves.png", title="t")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
