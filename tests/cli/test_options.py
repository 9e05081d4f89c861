"""Option values are checked while the command line is read: a bad one is a one-line usage error
naming the flag (exit 2) before any work; syntax mistakes show the subcommand's usage; `-o/--out`
is the output flag of every subcommand that writes; `--version`."""
import pytest

from tinygrad_udl import __version__
from tinygrad_udl.cli import build_parser

from .helpers import one_line_error, run

GRADCHECK = ["gradcheck", "x * x", "--at", "x=0.5"]


@pytest.mark.parametrize("argv, flag", [
    (GRADCHECK + ["--seed", "-1"], "--seed -1"),
    (GRADCHECK + ["--seed", "1.5"], "--seed 1.5"),
    (GRADCHECK + ["--atol", "-1"], "--atol -1"),
    (GRADCHECK + ["--atol", "nan"], "--atol nan"),
    (GRADCHECK + ["--rtol=-inf"], "--rtol -inf"),
    (GRADCHECK + ["--eps", "inf"], "--eps inf"),
    (GRADCHECK + ["--eps", "0"], "--eps 0"),
    (GRADCHECK + ["--threads", "-1"], "--threads -1"),
    (["train", "linear-regression", "--seed", "-1"], "--seed -1"),
    (["train", "linear-regression", "--lr", "nan"], "--lr nan"),
    (["train", "linear-regression", "--steps", "0"], "--steps 0"),
    (["train", "linear-regression", "--batch-size", "two"], "--batch-size two"),
    (["reproduce", "--seed", "-2"], "--seed -2"),
    (["graph", "--example", "toy", "--max-nodes", "0"], "--max-nodes 0"),
])
def test_a_bad_value_is_one_line_naming_the_flag(capsys, argv, flag):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""  # refused before anything ran or printed
    one_line_error(err, argv[0])
    assert f"error: {flag}: must be" in err


def test_any_non_negative_seed_is_accepted_as_numpy_does(capsys):
    code, out, err = run(capsys, *GRADCHECK, "--seed", str(2**70), "--mode", "fast")
    assert code == 0, err


@pytest.mark.parametrize("argv", [
    ["gradcheck", "x", "--at", "x=1", "--bogus"],
    ["trace", "--example", "toy", "--markdown", "--bogus"],
    ["train", "linear-regression", "--mode", "fast"],
])
def test_syntax_mistakes_show_the_subcommand_usage(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.startswith(f"usage: tinygrad-udl {argv[0]} ")  # not the top-level `tinygrad-udl [-h] COMMAND`
    assert f"tinygrad-udl {argv[0]}: error: unrecognized arguments" in err


def test_version(capsys):
    code, out, err = run(capsys, "--version")
    assert (code, out, err) == (0, f"tinygrad-udl {__version__}\n", "")


@pytest.mark.parametrize("command, spellings", [
    (["graph", "--example", "toy"], ["-o", "--out", "--output"]),  # --output: the old spelling
    (["train", "linear-regression"], ["-o", "--out"]),
    (["demo"], ["-o", "--out"]),
    (["reproduce"], ["-o", "--out"]),
])
def test_every_subcommand_that_writes_takes_o_and_out(command, spellings):
    parser = build_parser()
    for flag in spellings:
        assert parser.parse_args([*command, flag, "somewhere"]).out == "somewhere"
