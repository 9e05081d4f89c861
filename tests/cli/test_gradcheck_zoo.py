"""`gradcheck --model NAME` says what it checks (a zoo model's tiny configuration, how many
parameters, why), and fast mode's fallback to the full check reads as information."""
import json

from .helpers import run


def test_a_zoo_model_check_says_what_it_checks(capsys):
    code, out, err = run(capsys, "gradcheck", "--model", "deep", "--mode", "fast")
    assert code == 0, err
    what, why = out.splitlines()[:2]
    assert what == ("checking deep in its tiny configuration (in_features=1, widths=[3, 3], out_features=1): "
                    "22 parameters instead of 471, seed 0, on 4 training examples with the task's loss (MSE)")
    assert why.startswith("  (the check evaluates the model twice per parameter")


def test_the_json_report_says_it_too(capsys):
    code, out, err = run(capsys, "gradcheck", "--model", "deep", "--mode", "fast", "--json")
    assert code == 0, err
    about = json.loads(out)["model"]  # stdout is JSON only
    assert about["parameters"] == 22 and about["full_parameters"] == 471 and about["model"] == "deep"


def test_a_fast_mode_fallback_is_information_not_alarm(capsys):
    # relu at 0: the finite difference along the random direction straddles the kink, the VJP does not
    code, out, err = run(capsys, "gradcheck", "relu(x) + x", "--at", "x=0", "--mode", "fast")
    assert code == 0, err
    assert "mismatch" not in out and "fell back" not in out
    assert "so every element was checked one by one, and the table below is the result" in out
    assert "KINK" in out
