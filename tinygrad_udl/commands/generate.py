"""`tinygrad-udl generate NAME`: continue a prompt with a language model of the zoo (section 12.7.3).

The model (gpt-markov or gpt-hamlet, see `tinygrad-udl zoo`) is trained on the fly by a short run
(--steps, default 300; `train NAME` runs the full default) or loaded with --load from a folder
that `generate ... --out DIR` wrote. Then the prompt is continued by --length tokens:

  greedy   the most likely token at every step
  beam     beam search: the --beam most probable continuations are kept; the most probable is printed
  sample   each token drawn from the model's distribution (ancestral sampling), reshaped by
           --temperature T (Pr^(1/T)), --top-k K (only the K most likely tokens) and --top-p P
           (only the smallest set of most likely tokens with mass >= P)

Examples:
  tinygrad-udl generate gpt-hamlet --prompt "Ham." --strategy sample --temperature 0.8 --top-k 10
  tinygrad-udl generate gpt-hamlet --steps 800 --out out/hamlet --plot    # train, save, draw attention maps
  tinygrad-udl generate gpt-hamlet --load out/hamlet --strategy beam --beam 4 --length 100
"""
from __future__ import annotations

import argparse
import difflib
import importlib.util

from . import UsageError
from .options import add_checked, add_output, add_seed, positive_float, positive_int
from .outputs import check_folder, writing

STRATEGIES = ("greedy", "beam", "sample")
DEFAULT_STEPS = 300     # a short run: enough for the model to pass the bigram baseline
DEFAULT_LENGTH = 200
DEFAULT_BEAM = 4


def probability(text) -> float:
    """A number in (0, 1] (the nucleus mass of --top-p)."""
    value = positive_float(text)
    if value > 1:
        raise ValueError("must be a number in (0, 1]")
    return value


def register(subparsers):
    parser = subparsers.add_parser("generate", help="continue a prompt with a zoo language model (greedy, beam, "
                                   "sampling)", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", metavar="NAME", help="the language model: gpt-markov or gpt-hamlet")
    parser.add_argument("--prompt", help="the text to continue (default: an example prompt of the model's data)")
    parser.add_argument("--strategy", choices=STRATEGIES, default="sample", help="decoding strategy (default sample)")
    add_checked(parser, "--length", check=positive_int, default=DEFAULT_LENGTH, metavar="N",
                help=f"tokens to generate (default {DEFAULT_LENGTH})")
    add_checked(parser, "--beam", check=positive_int, metavar="B",
                help=f"beam width of --strategy beam (default {DEFAULT_BEAM})")
    add_checked(parser, "--temperature", check=positive_float, metavar="T", help="sampling temperature (default 1)")
    add_checked(parser, "--top-k", check=positive_int, metavar="K", help="sample from the K most likely tokens only")
    add_checked(parser, "--top-p", check=probability, metavar="P", help="sample from the nucleus of mass P only")
    add_seed(parser, help="seed of the training run and of the sampling (default 0)")
    source = parser.add_mutually_exclusive_group()
    add_checked(source, "--steps", check=positive_int, metavar="N",
                help=f"training steps of the run on the fly (default {DEFAULT_STEPS})")
    source.add_argument("--load", metavar="DIR", help="use the model saved in DIR/model.npz instead of training")
    add_output(parser, metavar="DIR", help="save the model to DIR/model.npz (for --load later)")
    parser.add_argument("--plot", action="store_true",
                        help="with --out: draw the attention maps of the printed text, one PNG per layer")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no header line")
    parser.set_defaults(run=run)


def run(args):
    entry = _language_model(args.name)
    _check_strategy_options(args)
    if args.plot and args.out is None:
        raise UsageError("--plot draws into the --out folder; give --out DIR")
    if args.plot and importlib.util.find_spec("matplotlib") is None:
        raise UsageError("--plot needs matplotlib: pip install 'tinygrad_udl[plot]' (or leave --plot out)")
    out = check_folder(args.out) if args.out is not None else None   # before training, not after
    vocabulary = entry.task.vocabulary
    prompt = entry.task.example_prompt if args.prompt is None else args.prompt
    prompt_ids = _encode(prompt, vocabulary)
    model, about = _model(entry, args)
    continuation = _decode_with_strategy(model, prompt_ids, args)

    from ..text import decode_chars
    if not args.quiet:
        print(f"# {entry.name} ({about}); {_describe_strategy(args)}, seed {args.seed}")
    print(prompt + decode_chars(continuation, vocabulary))
    if out is not None:
        _write(out, entry, model, [*prompt_ids, *continuation], vocabulary, args.plot)
    return 0


def _language_model(name):
    from ..zoo.registry import registry

    entries = registry()
    models = [n for n, e in entries.items() if hasattr(e.task, "vocabulary")]
    if name not in models:
        close = difflib.get_close_matches(name, models, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        kind = "is not a language model" if name in entries else "is not a zoo model"
        raise UsageError(f"{name!r} {kind}{hint}; generate works with: {', '.join(models)}")
    return entries[name]


def _check_strategy_options(args):
    """Each option belongs to one strategy: given with another, it would be silently ignored."""
    owners = {"beam": ("--beam",), "sample": ("--temperature", "--top-k", "--top-p")}
    for strategy, flags in owners.items():
        for flag in flags:
            if getattr(args, flag.lstrip("-").replace("-", "_")) is not None and args.strategy != strategy:
                raise UsageError(f"{flag} applies to --strategy {strategy} (the strategy is {args.strategy})")


def _encode(prompt, vocabulary):
    from ..text import encode_chars

    if not prompt:
        raise UsageError("--prompt must not be empty: the model predicts each token from the tokens before it")
    try:
        return [int(t) for t in encode_chars(prompt, vocabulary)]
    except ValueError as e:
        raise UsageError(f"--prompt: {e}") from None


def _model(entry, args):
    """(model, what it is): loaded from --load, or trained for --steps (or DEFAULT_STEPS)."""
    from ..nn.module import StateDictError
    from ..serialization import SerializationError
    from ..zoo.runner import run as run_entry
    from ..zoo.runner import load_model

    if args.load is not None:
        try:
            return load_model(entry, args.load), f"loaded from {args.load}"
        except (FileNotFoundError, SerializationError, StateDictError) as e:
            raise UsageError(f"--load {args.load}: {e}; save a model with `tinygrad-udl generate {entry.name} "
                             "--out DIR`") from None
    steps = args.steps or DEFAULT_STEPS
    result = run_entry(entry, steps=steps, seed=args.seed, progress=False if args.quiet else None)
    loss = result.history.final["test_loss"]
    return result.model, f"trained for {steps:,} steps, test {entry.task.loss_name} {loss:.3f}"


def _decode_with_strategy(model, prompt_ids, args):
    from ..text import beam_search, greedy, sample

    if args.strategy == "greedy":
        return greedy(model.next_log_probs, prompt_ids, args.length)
    if args.strategy == "beam":
        beams = beam_search(model.next_log_probs_batch, prompt_ids, args.length, beam_width=args.beam or DEFAULT_BEAM,
                            batched=True)
        return list(beams[0].tokens)
    return sample(model.next_log_probs, prompt_ids, args.length, rng=args.seed,
                  temperature=1.0 if args.temperature is None else args.temperature, top_k=args.top_k,
                  top_p=args.top_p)


def _describe_strategy(args):
    if args.strategy == "beam":
        return f"beam search, width {args.beam or DEFAULT_BEAM}"
    if args.strategy == "greedy":
        return "greedy"
    shaping = [f"{name} {value}" for name, value in (("temperature", args.temperature), ("top-k", args.top_k),
                                                      ("top-p", args.top_p)) if value is not None]
    return "sampling" + (f" ({', '.join(shaping)})" if shaping else "")


def _write(out, entry, model, tokens, vocabulary, plot):
    from ..zoo.runner import save_model
    from ..zoo.transformers.pictures import attention_pictures

    paths = []
    with writing(out):
        paths.append(save_model(model, out))
        if plot:
            window = tokens[-model.context_length:]   # what the model saw when it chose the last token
            paths += attention_pictures(model, window, [vocabulary[t] for t in window], out, entry.name)
    for path in paths:
        print(f"wrote {path}")
