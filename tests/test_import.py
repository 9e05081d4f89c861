"""`import tinygrad_udl` loads the engine, nn, optim, gradcheck and drawing, and nothing heavier:
no zoo, training loop, data sets, scipy or scikit-learn (they load when first used)."""
import json
import subprocess
import sys


def test_import_loads_no_zoo_training_data_or_scipy():
    code = ("import json, sys, tinygrad_udl; "
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('tinygrad_udl', 'scipy', 'sklearn')))))")
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                       text=True).stdout)
    heavy = [m for m in loaded if m.split(".")[0] in ("scipy", "sklearn")
             or m.split(".")[:2] in (["tinygrad_udl", "zoo"], ["tinygrad_udl", "training"], ["tinygrad_udl", "data"],
                                     ["tinygrad_udl", "rl"], ["tinygrad_udl", "text"], ["tinygrad_udl", "graphs"])]
    assert heavy == []
    assert {"tinygrad_udl.linalg", "tinygrad_udl.distributions", "tinygrad_udl.nn"} <= set(loaded)


def test_the_public_api_is_importable():
    import tinygrad_udl as tg
    for name in ("Tensor", "Value", "grad", "hessian", "hvp", "no_grad", "cumsum", "topk", "take_along_axis",
                 "functional_call", "parameters_to_vector", "ModifiedInPlaceError"):
        assert hasattr(tg, name), name
    assert callable(tg.linalg.cholesky) and callable(tg.distributions.Normal)
