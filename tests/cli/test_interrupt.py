"""Ctrl-C ends any command with one line, `interrupted`, and exit code 130: no traceback."""
import signal
import subprocess

from .helpers import default_sigint, run, script

# A model module that blocks while it is being imported: it says "ready" and then waits for a line
# on stdin that never comes. The test signals it only after reading "ready", so the interrupt
# always lands inside the import (deterministic, no sleeps).
BLOCKER = '''
import sys
print("ready", flush=True)
sys.stdin.readline()

def make():
    raise AssertionError("the import was not interrupted")
'''


def test_ctrl_c_while_importing_a_model_exits_130_without_traceback(tmp_path):
    (tmp_path / "blocking_models.py").write_text(BLOCKER)
    p = subprocess.Popen([script(), "gradcheck", "--model", "blocking_models:make"], cwd=tmp_path,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=default_sigint)
    try:
        assert p.stdout.readline() == "ready\n"
        p.send_signal(signal.SIGINT)
        code = p.wait(timeout=300)
        err = p.stderr.read()
    finally:
        p.kill()
        for stream in (p.stdin, p.stdout, p.stderr):
            stream.close()
    assert code == 130
    assert err == "tinygrad-udl gradcheck: interrupted\n"


def test_ctrl_c_while_building_the_parser(capsys, monkeypatch):
    # build_parser imports the subcommands' modules: the slow part of a start before any output.
    import tinygrad_udl.cli as cli

    def interrupted(name):
        raise KeyboardInterrupt
    monkeypatch.setattr(cli.importlib, "import_module", interrupted)
    code, out, err = run(capsys, "zoo")
    assert (code, out, err) == (130, "", "tinygrad-udl zoo: interrupted\n")


def test_ctrl_c_while_a_command_runs(capsys, monkeypatch):
    import tinygrad_udl.commands.zoo as zoo

    def interrupted(args):
        print("partial output")
        raise KeyboardInterrupt
    monkeypatch.setattr(zoo, "run", interrupted)
    code, out, err = run(capsys, "zoo")
    assert (code, out, err) == (130, "partial output\n", "tinygrad-udl zoo: interrupted\n")
