"""Ctrl-C while the library is still being imported by the console script: one line, exit 130."""
import builtins

import pytest

import tinygrad_udl_launcher


def test_an_interrupt_during_the_import_exits_130_quietly(monkeypatch, capsys):
    real_import = builtins.__import__

    def interrupted(name, *args, **kwargs):
        if name == "tinygrad_udl.cli":
            raise KeyboardInterrupt
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", interrupted)
    with pytest.raises(SystemExit) as stop:
        tinygrad_udl_launcher.main()
    assert stop.value.code == 130
    assert capsys.readouterr().err == "tinygrad-udl: interrupted\n"


def test_the_launcher_runs_the_command_line(monkeypatch, capsys):
    monkeypatch.setattr("sys.argv", ["tinygrad-udl", "--version"])
    with pytest.raises(SystemExit) as stop:
        tinygrad_udl_launcher.main()
    assert stop.value.code == 0 and capsys.readouterr().out.startswith("tinygrad-udl ")
