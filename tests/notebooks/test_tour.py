"""notebooks/tour.ipynb runs from top to bottom in a real Jupyter kernel, and shows what it promises.

The kernel is this interpreter (the venv's), whatever kernels the machine has: the test writes a
kernel spec that starts `sys.executable -m ipykernel_launcher` into a temporary folder and puts that
folder first on JUPYTER_PATH. Oracles: the toy model's dl/dω₀ in closed form (eq. 7.7), the
parameter count of a 1-16-16-1 network written out, and which inputs a wrong derivative rule fails.
"""
import ast
import base64
import json
import shutil
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebook test needs the 'notebook' extra (nbformat)")
nbclient = pytest.importorskip("nbclient", reason="the notebook test needs the 'notebook' extra (nbclient)")
pytest.importorskip("ipykernel", reason="the notebook test needs the 'notebook' extra (ipykernel)")

from tinygrad_udl.zoo import toy_domega0_closed_form  # noqa: E402

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "tour.ipynb"
KERNEL = "tinygrad-udl-test"


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tour")
    spec = folder / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "tinygrad_udl tests", "language": "python"}))
    patch = pytest.MonkeyPatch()
    try:
        patch.setenv("JUPYTER_PATH", str(folder / "jupyter"))
        patch.delenv("MPLBACKEND", raising=False)  # the kernel's own inline backend draws the figures
        patch.setenv("OPENBLAS_NUM_THREADS", "1")
        patch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
        nb = nbformat.read(NOTEBOOK, as_version=4)
        client = nbclient.NotebookClient(nb, kernel_name=KERNEL, timeout=600, startup_timeout=120,
                                         resources={"metadata": {"path": str(folder)}})
        client.execute()  # raises CellExecutionError, with the traceback, if any cell fails
    finally:
        patch.undo()
    return nb


def cell(nb, marker):
    """The code cell whose source contains `marker`."""
    (found,) = [c for c in nb.cells if c.cell_type == "code" and marker in c.source]
    return found


def data(c, mime):
    """The `mime` content of the cell's result (execute_result or display_data)."""
    shown = [o.data[mime] for o in c.outputs if o.output_type in ("execute_result", "display_data") and mime in o.data]
    assert shown, f"no {mime} output in the cell:\n{c.source}\noutputs: {[list(o.get('data', {})) for o in c.outputs]}"
    return shown[-1]


def test_the_notebook_is_stored_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    assert all(not c.outputs for c in nb.cells if c.cell_type == "code")


def test_the_graph_is_drawn_as_svg(executed):
    if shutil.which("dot") is None:
        pytest.skip("graphviz's `dot` is not installed (`make setup` installs it): no svg to show")
    svg = data(cell(executed, "draw_graph(g.loss"), "image/svg+xml")
    assert "<svg" in svg and "omega0" in svg


def test_the_trace_is_an_html_table_with_the_closed_form_gradient(executed):
    page = data(cell(executed, "trace = trace_backward"), "text/html")
    assert page.count("<table") == 2 and "Backward pass #2" in page
    assert f"{toy_domega0_closed_form():.6g}" in page  # eq. 7.7
    printed = "".join(o.text for o in cell(executed, "g.loss.backward()").outputs if o.output_type == "stream")
    assert printed.strip() == f"dl/domega0 = {toy_domega0_closed_form():.6f}"


def test_the_gradient_checks_pass_and_fail_in_colour(executed):
    passed = data(cell(executed, "(W @ x).tanh().sum()"), "text/html")
    assert ">PASSED<" in passed and "tg-fail" not in passed
    failed = data(cell(executed, "BAD_SILU ="), "text/html")
    assert ">FAILED<" in failed and "tour_silu" in failed
    # W and x feed the wrong rule; W2 multiplies its output, so its gradient is right
    rows = failed.split("<tbody>")[1].split("</tbody>")[0].split("<tr")[1:]
    verdicts = {r.split("<td")[1].split(">")[1].split("<")[0]: 'class="tg-fail"' in r for r in rows}
    assert verdicts == {"inputs[0]": True, "inputs[1]": True, "inputs[2]": False}


def test_the_model_shows_its_layer_table(executed):
    page = data(cell(executed, "model = DeepNetwork"), "text/html")
    count = (1 + 1) * 16 + (16 + 1) * 16 + (16 + 1) * 1
    assert f"DeepNetwork: {count} parameters" in page and page.count("<td") > 0


def test_training_shows_a_quiet_bar_and_the_history_with_its_curves(executed):
    c = cell(executed, "history = fit(")
    streams = [o for o in c.outputs if o.output_type == "stream"]
    text = "".join(o.text for o in streams)
    assert "300/300" in text  # 100 epochs of 3 batches
    assert not [o for o in streams if o.name == "stderr"], "the training cell wrote to stderr (a warning?)"
    assert "IProgress" not in text and "Warning" not in text
    page = data(c, "text/html")
    assert "tg-history-rows" in page and "History: 101 rows" in page
    png = page.split('<img src="data:image/png;base64,')[1].split('"')[0]
    assert base64.b64decode(png)[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_history_shows_one_png(executed):
    c = cell(executed, "plot_history(history")
    images = [o for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1  # the returned figure, not a second copy from pyplot
    assert base64.b64decode(images[0].data["image/png"])[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_scalar_model_and_its_tensor_twin_agree(executed):
    ours, theirs = ast.literal_eval(data(cell(executed, "ScalarMLP(1, [16, 16, 1]"), "text/plain"))
    assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-15)
