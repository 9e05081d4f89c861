"""BLAS threads: one by default while a command runs (the zoo's small models are fastest so),
`--threads N` to change it, `--threads 0` for the library's own default; said in one line."""
import pytest

import tinygrad_udl.commands.zoo as zoo

from .helpers import run

threadpoolctl = pytest.importorskip("threadpoolctl")


def blas_threads():
    return {info["num_threads"] for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas"}


@pytest.fixture
def seen(monkeypatch):
    """The BLAS thread counts in force while `tinygrad-udl zoo` runs."""
    seen = []

    def record(args):
        seen.append(blas_threads())
        return 0
    monkeypatch.setattr(zoo, "run", record)
    return seen


@pytest.mark.parametrize("argv, expected", [([], {1}), (["--threads", "2"], {2}), (["--threads", "0"], {2})])
def test_the_command_line_sets_the_blas_threads(capsys, seen, argv, expected):
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):  # as if BLAS defaulted to 2
        assert run(capsys, "zoo", *argv)[0] == 0
        assert blas_threads() == {2}  # restored afterwards
    assert seen == [expected]


def test_the_variables_for_libraries_loaded_later_are_restored(capsys, seen, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    run(capsys, "zoo")
    import os
    assert os.environ["OMP_NUM_THREADS"] == "7" and "MKL_NUM_THREADS" not in os.environ


def test_train_says_how_many_threads_in_one_line(capsys, tmp_path):
    code, out, err = run(capsys, "train", "linear-regression", "--steps", "2", "--quiet", "-o", str(tmp_path))
    assert code == 0, err
    assert "  BLAS threads: 1 (fastest for the book's small models; --threads N to change" in out
