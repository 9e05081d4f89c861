"""`tinygrad-udl sweep` and the sweeps of `tinygrad-udl reproduce`."""
import pytest

import tinygrad_udl.sweep as sweep_package
from tinygrad_udl.cli import main
from tinygrad_udl.sweep import Sweep, registry


def toy(tmp_path):
    def summarize(result):
        return [{"model": "toy", "metric": "mean value", "book": None, "ours": result.mean("value")}]

    return Sweep("toy", function="sweep_toy_runs:toy_run", section="none", description="a toy sweep",
                 grid={"a": [1, 2, 3], "b": 0.5, "fail_flag": str(tmp_path / "fail")}, seeds=(0, 1),
                 summarize=summarize)


@pytest.fixture
def toy_registry(tmp_path, monkeypatch):
    sweeps = {"toy": toy(tmp_path)}
    monkeypatch.setattr(registry, "sweeps", lambda: sweeps)
    monkeypatch.setattr(sweep_package, "sweeps", lambda: sweeps)
    return sweeps


def test_list_names_the_book_sweeps(capsys):
    assert main(["sweep", "--list"]) == 0
    out = capsys.readouterr().out
    for name in ("bias-variance", "double-descent", "lr-batch", "residual-variance", "random-labels", "loss-lines",
                 "hessian", "adversarial", "lottery-tickets", "intrinsic-dimension"):
        assert name in out


def test_unknown_sweep_is_a_one_line_usage_error(capsys):
    assert main(["sweep", "double-decent"]) == 2
    err = capsys.readouterr().err
    assert "did you mean double-descent" in err and err.count("\n") == 1


def test_a_sweep_runs_resumes_and_reports_failures(capsys, tmp_path, toy_registry):
    out = tmp_path / "out"
    (tmp_path / "fail").touch()
    assert main(["sweep", "toy", "--workers", "0", "-o", str(out), "-q"]) == 1       # a = 3 fails
    text = capsys.readouterr()
    assert "2 of 6 runs failed" in text.out and "a=3 b=0.5" in text.out and "injected failure" in text.out
    assert len(list((out / "runs").glob("*.json"))) == 6
    (tmp_path / "fail").unlink()
    assert main(["sweep", "toy", "--workers", "0", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "2 runs computed now, 4 read from earlier result files" in text and "mean value" in text
    assert (out / "table.md").read_text().count("\n") == 8 and "mean value" in (out / "summary.md").read_text()
    assert main(["sweep", "toy", "--workers", "0", "-o", str(out), "--seeds", "5"]) == 0
    assert "3 runs computed now, 0 read" in capsys.readouterr().out               # new seeds, new runs


def test_reproduce_runs_a_sweep_into_the_report(capsys, tmp_path, toy_registry, monkeypatch):
    import tinygrad_udl.reproduce as reproduce_module

    monkeypatch.setattr(reproduce_module, "registry", lambda: {})     # no zoo models to load: the sweep only
    assert main(["reproduce", "--only", "toy", "--workers", "0", "--quiet", "--out", str(tmp_path / "r")]) == 0
    report = (tmp_path / "r" / "REPORT.md").read_text()
    assert "### toy (section none)" in report and "mean value" in report
    assert len(list((tmp_path / "r" / "sweeps" / "toy" / "runs").glob("*.json"))) == 6
