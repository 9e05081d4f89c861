"""Running `tinygrad-udl` in the tests: in-process through `cli.main` (fast; most cases), or as the
installed console script in a child process (what a user runs: sys.path, signals, closed pipes)."""
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tinygrad_udl.cli import main

# The console script pip made beside the interpreter running the tests (the venv's bin/).
SCRIPT = Path(sys.executable).with_name("tinygrad-udl")


def run(capsys, *argv):
    """(exit code, stdout, stderr) of `tinygrad-udl ARGV` run in this process."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def script():
    """The console script's path; skips the test when the package is not installed as a script."""
    path = SCRIPT if SCRIPT.exists() else shutil.which("tinygrad-udl")
    if path is None:
        pytest.skip("the tinygrad-udl console script is not installed (pip install -e .)")
    return str(path)


def default_sigint():
    """For preexec_fn: Python turns SIGINT into KeyboardInterrupt only if SIGINT is not ignored
    when it starts, and children of a background job inherit 'ignored'."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def script_run(*argv, cwd, **options):
    """`tinygrad-udl ARGV` as a child process in `cwd`, with text output captured."""
    options.setdefault("capture_output", True)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([script(), *argv], cwd=cwd, text=True, timeout=300, env=env, **options)


def one_line_error(err, command):
    """The user-error contract: exactly one line, naming the subcommand, no traceback."""
    assert "Traceback" not in err, err
    assert err.startswith(f"tinygrad-udl {command}: error: ") and err.count("\n") == 1, err
