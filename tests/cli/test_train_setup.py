"""`train` prints the set-up it actually runs, with what the command line changed."""
import json

from .helpers import run


def test_train_prints_the_setup_it_runs(capsys, tmp_path):
    code, out, err = run(capsys, "train", "linear-regression", "--steps", "3", "--lr", "0.05", "--quiet",
                         "-o", str(tmp_path))
    assert code == 0, err
    setup = next(line for line in out.splitlines() if line.startswith("  setup: "))
    assert setup == "  setup: optimizer=sgd, lr=0.05, batch_size=12, steps=3"
    source = next(line for line in out.splitlines() if line.startswith("  source: "))
    assert source.endswith("(changed here: lr 0.1 -> 0.05, steps 300 -> 3)")
    assert json.loads((tmp_path / "history.json").read_text())["info"]["hyperparameters"]["lr"] == 0.05


def test_without_overrides_nothing_is_said_to_be_changed(capsys, tmp_path, monkeypatch):
    import tinygrad_udl.zoo.runner as runner
    monkeypatch.setattr(runner, "run", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))  # stop at the start
    code, out, _ = run(capsys, "train", "linear-regression", "--quiet", "-o", str(tmp_path))
    assert code == 130
    assert "  setup: optimizer=sgd, lr=0.1, batch_size=12, steps=300" in out and "changed here" not in out
