"""`tinygrad-udl zoo`, `tinygrad-udl train`, `tinygrad-udl reproduce` and `demo_training`.

The end-to-end runs go through a real subprocess (the installed entry point: exit codes, the
table on stdout, files written, no traceback); the rest call `cli.main` in-process.
"""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_udl import reproduce as reproduce_module
from tinygrad_udl.cli import main
from tinygrad_udl.zoo.registry import registry

ROOT = Path(__file__).resolve().parents[2]


def subprocess_run(*argv, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "tinygrad_udl", *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_train_runs_end_to_end_quietly(tmp_path):
    p = subprocess_run("train", "mnist1d-mlp", "--steps", "80", "--quiet", "--out", str(tmp_path / "run"))
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    header = next(line for line in lines if line.startswith("model"))
    assert header.split()[:4] == ["model", "metric", "book", "ours"]
    test_row = next(line for line in lines if "test error (%)" in line)
    assert " 40 " in test_row  # the book's value beside ours
    assert "ran 80 steps (2 epochs)" in p.stdout
    assert "step/s" not in p.stdout + p.stderr  # --quiet: no progress bar
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert [row["step"] for row in history["rows"]] == [0, 40, 80]
    assert history["info"]["hyperparameters"]["lr"] == 0.1 and history["info"]["model"] == "mnist1d-mlp"
    assert p.stderr == ""


def test_train_reports_user_errors_in_one_line(tmp_path):
    p = subprocess_run("train", "mnist1d-mpl", "--quiet")
    assert p.returncode == 2
    assert "no zoo model called 'mnist1d-mpl' (did you mean mnist1d-mlp?)" in p.stderr
    assert "Traceback" not in p.stderr


@pytest.mark.parametrize("argv, message", [
    (["--steps", "0"], "--steps"),
    (["--lr", "-1"], "--lr"),
    (["--batch-size", "0"], "--batch-size"),
    (["--seed", "-3"], "--seed"),
])
def test_train_rejects_bad_overrides(capsys, tmp_path, argv, message):
    code = main(["train", "linear-regression", "--quiet", "--out", str(tmp_path), *argv])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1


def test_train_reports_divergence(capsys, tmp_path):
    code = main(["train", "linear-regression", "--lr", "100", "--quiet", "--out", str(tmp_path)])
    assert code == 2
    assert "diverged" in capsys.readouterr().err


def test_train_overrides_and_plot(capsys, tmp_path):
    pytest.importorskip("matplotlib")  # the optional 'plot' extra
    code = main(["train", "linear-regression", "--epochs", "5", "--lr", "0.05", "--seed", "3", "--quiet", "--plot",
                 "--out", str(tmp_path)])
    assert code == 0
    info = json.loads((tmp_path / "history.json").read_text())["info"]
    assert info["steps_run"] == 5 and info["seed"] == 3 and info["hyperparameters"]["lr"] == 0.05
    assert (tmp_path / "curves.png").read_bytes()[:4] == b"\x89PNG"


def test_zoo_lists_every_model_with_its_section(capsys):
    assert main(["zoo"]) == 0
    out = capsys.readouterr().out
    for entry in registry().values():
        line = next(line for line in out.splitlines() if line.startswith(entry.name + " "))
        assert entry.section in line
    assert "2,050" in out and "59,065" in out and "15,210" in out
    assert main(["zoo", "--verbose"]) == 0
    assert "lr=0.01" in capsys.readouterr().out


def test_reproduce_writes_the_report(capsys, tmp_path):
    assert main(["reproduce", "--only", "linear-regression", "--quiet", "--out", str(tmp_path)]) == 0
    report = (tmp_path / "REPORT.md").read_text()
    assert "| linear-regression | closed-form minimum of L | 0.19 |" in report
    assert "`tinygrad-udl train linear-regression --seed 0`" in report
    assert (tmp_path / "linear-regression" / "history.json").exists()
    assert main(["reproduce", "--only", "nope", "--quiet", "--out", str(tmp_path)]) == 2


def test_demo_training_returns_rows_and_writes_histories(monkeypatch, tmp_path, capsys):
    # The real demo trains for ~1 minute; the plumbing is the same with shortened runs.
    assert [name for name, _ in reproduce_module.DEMO_RUNS] == ["mnist1d-mlp", "mnist1d-cnn", "mnist1d-fc"]
    monkeypatch.setattr(reproduce_module, "DEMO_RUNS", (("mnist1d-mlp", {"steps": 40}), ("mnist1d-cnn", {"steps": 40})))
    rows = reproduce_module.demo_training(tmp_path, quiet=True)
    assert capsys.readouterr().out == ""
    tests = [r for r in rows if r["metric"] == "test error (%)"]
    assert [(r["model"], r["book"]) for r in tests] == [("mnist1d-mlp", 40.0), ("mnist1d-cnn", 17.0)]
    assert all(r["epochs"] == 1 for r in tests)
    for name in ("mnist1d-mlp", "mnist1d-cnn"):
        assert json.loads((tmp_path / name / "history.json").read_text())["rows"][-1]["step"] == 40


def test_train_no_compile_runs_eager_steps_with_the_same_numbers(capsys, tmp_path):
    runs = {}
    for flags in ([], ["--no-compile"]):
        out = tmp_path / ("eager" if flags else "compiled")
        assert main(["train", "mnist1d-dropout", "--steps", "5", "--batch-size", "50", "--quiet", "--out", str(out),
                     *flags]) == 0
        runs[bool(flags)] = out, capsys.readouterr().out
    (compiled, said_compiled), (eager, said_eager) = runs[False], runs[True]
    assert "training steps: compiled" in said_compiled and "training steps: eager (--no-compile)" in said_eager
    rows = [json.loads((folder / "history.json").read_text())["rows"] for folder in (compiled, eager)]
    for row in rows[0] + rows[1]:
        row.pop("seconds")
    assert rows[0] == rows[1]
    with np.load(compiled / "model.npz") as a, np.load(eager / "model.npz") as b:
        assert a.files == b.files and all(np.array_equal(a[k], b[k]) for k in a.files)
