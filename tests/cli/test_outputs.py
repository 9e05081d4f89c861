"""Outputs: checked before the work starts, write errors as one line naming the path, and a
stdout that is closed or whose reader went away ends the command quietly."""
import errno
import importlib.util
import os
import subprocess
from pathlib import Path

import pytest

import tinygrad_udl.zoo.runner as runner

from .helpers import one_line_error, run, script, script_run


@pytest.fixture
def no_training(monkeypatch):
    """Any training run fails the test: the output must be refused before it."""
    def train(*args, **kwargs):
        raise AssertionError("training started although the output cannot be written")
    monkeypatch.setattr(runner, "run", train)


def test_train_out_naming_a_file_fails_before_training(capsys, tmp_path, no_training):
    (tmp_path / "results").write_text("not a folder")
    code, out, err = run(capsys, "train", "linear-regression", "--quiet", "-o", str(tmp_path / "results"))
    assert code == 2 and out == ""
    one_line_error(err, "train")
    assert f"cannot write {tmp_path / 'results'}: {tmp_path / 'results'} is a file, not a folder" in err


def test_train_out_below_a_file_fails_before_training(capsys, tmp_path, no_training):
    (tmp_path / "results").write_text("not a folder")
    code, _, err = run(capsys, "train", "linear-regression", "--quiet", "--out", str(tmp_path / "results" / "run"))
    assert code == 2 and "is a file, not a folder" in err
    one_line_error(err, "train")


def test_train_plot_without_matplotlib_fails_before_training(capsys, tmp_path, no_training, monkeypatch):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "matplotlib" else find_spec(name, *a))
    code, _, err = run(capsys, "train", "linear-regression", "--quiet", "--plot", "-o", str(tmp_path))
    assert code == 2 and "--plot needs matplotlib" in err
    one_line_error(err, "train")


def test_a_write_error_during_training_is_one_line_naming_the_folder(capsys, tmp_path, monkeypatch):
    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as f.write raises it: no file name
    monkeypatch.setattr(runner, "run", full_disk)
    code, _, err = run(capsys, "train", "linear-regression", "--quiet", "-o", str(tmp_path / "run"))
    assert code == 2
    one_line_error(err, "train")
    assert f"cannot write {tmp_path / 'run'}: No space left on device" in err


@pytest.mark.parametrize("command", [["demo"], ["reproduce", "--only", "linear-regression"]])
def test_demo_and_reproduce_check_their_folder_first(capsys, tmp_path, no_training, command):
    (tmp_path / "taken").write_text("")
    code, out, err = run(capsys, *command, "-o", str(tmp_path / "taken"))
    assert code == 2 and out == "" and "is a file, not a folder" in err
    one_line_error(err, command[0])


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_graph_to_dev_full_is_one_line(capsys):
    code, out, err = run(capsys, "graph", "--example", "toy", "--format", "dot", "-o", "/dev/full")
    assert code == 2 and out == ""
    one_line_error(err, "graph")
    assert "cannot write /dev/full: No space left on device" in err


@pytest.mark.parametrize("where, message", [
    (lambda tmp: tmp / "a_file" / "g.dot", "a_file is a file, not a folder"),
    (lambda tmp: tmp, "is a folder; give a file name"),
])
def test_graph_to_a_path_that_cannot_be_a_file(capsys, tmp_path, where, message):
    (tmp_path / "a_file").write_text("")
    code, out, err = run(capsys, "graph", "--example", "toy", "-o", str(where(tmp_path)))
    assert code == 2 and out == "" and message in err
    one_line_error(err, "graph")


def test_graph_check_leaves_no_empty_file_behind(capsys, tmp_path):
    code, _, err = run(capsys, "graph", "--example", "toy", "-o", str(tmp_path / "g.bmp"))
    assert code == 2 and "cannot tell the format" in err
    assert not (tmp_path / "g.bmp").exists()


# ---- stdout closed or gone: through the console script ------------------------------------------------


@pytest.mark.parametrize("argv", [["zoo"], ["graph", "--example", "toy"], ["gradcheck", "--ops", "sin"]])
def test_a_reader_that_went_away_ends_the_command_quietly(tmp_path, argv):
    # The read end is closed before the child starts: its first write to stdout fails with EPIPE,
    # deterministically (no timing), as in `tinygrad-udl zoo | head -0`.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        p = script_run(*argv, cwd=tmp_path, stdout=write_end, stderr=subprocess.PIPE, capture_output=False)
    finally:
        os.close(write_end)
    assert p.returncode == 0 and p.stderr == ""  # no traceback, no "Exception ignored" at exit


@pytest.mark.parametrize("argv", [["zoo"], ["graph", "--example", "toy"], ["graph", "--example", "toy", "-o", "g.dot"]])
def test_a_closed_stdout_drops_the_output_quietly(tmp_path, argv):
    p = subprocess.run(["sh", "-c", 'exec "$0" "$@" >&-', script(), *argv], cwd=tmp_path, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0 and p.stderr == ""
    if "-o" in argv:  # the work is still done, and the file is not mixed up with stdout
        assert (tmp_path / "g.dot").read_text().startswith("digraph")


def test_a_broken_pipe_in_process_returns_zero_quietly(capsys, monkeypatch):
    class Gone:
        def write(self, text):
            raise BrokenPipeError(errno.EPIPE, "Broken pipe")

        def flush(self):
            pass

    monkeypatch.setattr("sys.stdout", Gone())
    from tinygrad_udl.cli import main
    assert main(["zoo"]) == 0
    assert capsys.readouterr().err == ""
