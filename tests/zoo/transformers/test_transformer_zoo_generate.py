"""`tinygrad-udl generate` end to end (through `cli.main`): a model trained for a few steps, saved and
loaded again, decoded by each strategy; seeded runs repeat exactly, and the strategies agree where
they must (beam width 1 and sampling at a vanishing temperature are greedy decoding)."""
import contextlib
import io

import pytest

from tinygrad_udl.cli import main
from tinygrad_udl.zoo.registry import registry
from tinygrad_udl.zoo.runner import MODEL_FILE, load_model

ALPHABET = "abcdefghijklmnop"   # the Markov language's 16 tokens


def generate(capsys, *args):
    code = main(["generate", "gpt-markov", "--quiet", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A gpt-markov model trained for 5 steps (seed 3) and saved by `generate --out`, with its greedy text."""
    pytest.importorskip("matplotlib")
    folder = tmp_path_factory.mktemp("gpt-markov")
    out = io.StringIO()   # capsys is per test; a module fixture reads stdout itself
    with contextlib.redirect_stdout(out):
        code = main(["generate", "gpt-markov", "--quiet", "--steps", "5", "--seed", "3", "--strategy", "greedy",
                     "--length", "30", "--prompt", "abc", "--out", str(folder), "--plot"])
    assert code == 0
    lines = out.getvalue().splitlines()
    return folder, lines[0], lines[1:]


def test_training_on_the_fly_saves_the_model_and_draws_attention_maps(saved):
    folder, text, wrote = saved
    assert text.startswith("abc") and len(text) == 3 + 30 and set(text) <= set(ALPHABET)
    assert wrote == [f"wrote {folder / MODEL_FILE}", f"wrote {folder / 'attention-layer1.png'}",
                     f"wrote {folder / 'attention-layer2.png'}"]
    assert (folder / "attention-layer2.png").read_bytes()[:4] == b"\x89PNG"
    model = load_model(registry()["gpt-markov"], folder)
    assert model.num_parameters() == registry()["gpt-markov"].build().num_parameters()


def test_a_loaded_model_continues_as_the_trained_one(saved, capsys):
    folder, text, _ = saved
    code, out, _ = generate(capsys, "--load", str(folder), "--strategy", "greedy", "--length", "30", "--prompt", "abc")
    assert code == 0 and out == text + "\n"


def test_beam_width_one_and_a_cold_temperature_are_greedy(saved, capsys):
    folder, text, _ = saved
    common = ["--load", str(folder), "--length", "30", "--prompt", "abc"]
    assert generate(capsys, *common, "--strategy", "beam", "--beam", "1")[1] == text + "\n"
    assert generate(capsys, *common, "--strategy", "sample", "--temperature", "0.0001")[1] == text + "\n"


def test_sampling_is_seeded(saved, capsys):
    folder, _, _ = saved
    common = ["--load", str(folder), "--length", "40", "--strategy", "sample", "--top-p", "0.9"]
    first, again, other = (generate(capsys, *common, "--seed", seed)[1] for seed in ("1", "1", "2"))
    assert first == again and first != other
    assert first.startswith("ab")   # the example prompt of the Markov language
    top1 = generate(capsys, *common, "--seed", "5", "--top-k", "1")[1]
    assert top1 == generate(capsys, "--load", str(folder), "--length", "40", "--strategy", "greedy")[1]


def test_the_header_names_the_model_and_the_strategy(saved, capsys):
    folder, _, _ = saved
    assert main(["generate", "gpt-markov", "--load", str(folder), "--length", "5", "--strategy", "beam"]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header.startswith("# gpt-markov (loaded from") and "beam search, width 4" in header


@pytest.mark.parametrize("args, message", [
    (["generate", "gpt-markv"], "did you mean gpt-markov?"),
    (["generate", "vit-mnist1d"], "'vit-mnist1d' is not a language model"),
    (["generate", "gpt-markov", "--prompt", "xyz"], "--prompt: encode_chars: the characters ['x', 'y', 'z']"),
    (["generate", "gpt-markov", "--prompt", ""], "--prompt must not be empty"),
    (["generate", "gpt-markov", "--strategy", "greedy", "--top-k", "3"], "--top-k applies to --strategy sample"),
    (["generate", "gpt-markov", "--beam", "3"], "--beam applies to --strategy beam"),
    (["generate", "gpt-markov", "--plot"], "--plot draws into the --out folder"),
    (["generate", "gpt-markov", "--top-p", "1.5"], "--top-p 1.5: must be a number in (0, 1]"),
    (["generate", "gpt-markov", "--load", "/nonexistent/run"], "--load /nonexistent/run: no saved model at"),
])
def test_mistakes_are_one_line_usage_errors(capsys, args, message):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_model_of_another_size_is_refused(tmp_path, capsys):
    registry()["gpt-markov"].build(tiny=True).save(tmp_path / MODEL_FILE)
    assert main(["generate", "gpt-markov", "--load", str(tmp_path)]) == 2
    assert "--load" in capsys.readouterr().err


def test_loading_and_training_exclude_each_other(capsys):
    assert main(["generate", "gpt-markov", "--steps", "3", "--load", "x"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err

