"""A History in a notebook (a table of its last rows and the learning curves), plot_history's Figure,
and the progress bar's choice between a terminal, a notebook with widgets and one without."""
import base64
import html
import re
import sys
import types
import warnings

import pytest

from tinygrad_udl.training import History, plot_history
from tinygrad_udl.training.loop import _in_notebook, _progress_bar


def history(n=12):
    rows = [{"epoch": i, "step": 10 * i, "lr": 0.1, "train_loss": 2.0 / (i + 1), "train_error": 90.0 - 5 * i,
             "test_loss": 2.5 / (i + 1)} for i in range(n)]
    return History(rows, {"steps_run": 10 * (n - 1), "epochs_run": n - 1, "seconds": 1.25})


def cells(page):
    body = re.search(r"<tbody>(.*?)</tbody>", page, flags=re.S).group(1)
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)]


def test_the_html_shows_the_last_rows_and_an_inline_png():
    pytest.importorskip("matplotlib")
    h = history(12)
    page = h._repr_html_()
    rows = cells(page)
    assert rows[0][0] == "..." and len(rows) == 1 + History.HTML_ROWS
    shown = rows[1:]
    assert [r[0] for r in shown] == [str(i) for i in range(12 - History.HTML_ROWS, 12)]
    header = re.findall(r"<th(?:\s[^>]*)?>(.*?)</th>", page)
    assert header == ["row", "epoch", "step", "lr", "train_loss", "train_error", "test_loss"]
    last = shown[-1]
    assert float(last[4]) == pytest.approx(2.0 / 12, rel=1e-3) and last[2] == "110"
    assert "110 steps (11 epochs)" in page
    uri = re.search(r'<img src="data:image/png;base64,([^"]+)"', page).group(1)
    assert base64.b64decode(uri)[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_matplotlib_the_html_is_the_table_alone(monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")] + ["matplotlib"]:
        monkeypatch.setitem(sys.modules, name, None)  # as if it were not installed
    page = history(3)._repr_html_()
    assert "<img" not in page and len(cells(page)) == 3


def test_an_empty_history_says_so():
    assert "History: 0 rows" in History()._repr_html_()


def test_plot_history_without_a_path_returns_the_figure_with_the_curves():
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    h = history(5)
    fig = plot_history(h, title="t")
    assert isinstance(fig, Figure)
    loss_ax, error_ax = fig.axes
    lines = {line.get_label(): line for line in loss_ax.get_lines()}
    assert sorted(lines) == ["test", "train"]
    assert list(lines["train"].get_xdata()) == [0, 10, 20, 30, 40]
    assert list(lines["train"].get_ydata()) == pytest.approx([2.0 / (i + 1) for i in range(5)])
    assert list(error_ax.get_lines()[0].get_ydata()) == [90.0, 85.0, 80.0, 75.0, 70.0]
    import matplotlib.pyplot as plt

    assert fig.number not in plt.get_fignums()  # closed in pyplot: a notebook shows it once


def test_plot_history_to_a_file_leaves_pyplot_alone(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    path = plot_history(history(4), tmp_path / "c.png")
    assert path.read_bytes()[:4] == b"\x89PNG" and plt.get_fignums() == before


# ---- the progress bar ------------------------------------------------------------------------------


def fake_kernel(monkeypatch):
    """Make this process look like a Jupyter kernel to the checks tqdm.auto makes."""
    shell = types.SimpleNamespace(config={"IPKernelApp": {}})
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))


def test_outside_a_notebook_the_bar_is_text_and_off_when_stdout_is_redirected(capsys):
    from tqdm.std import tqdm

    assert not _in_notebook()
    bar = _progress_bar(10, "x", None)  # pytest captures stdout: not a terminal
    assert type(bar) is tqdm and bar.disable
    bar.close()


def test_in_a_notebook_without_ipywidgets_the_text_bar_is_shown_without_a_warning(monkeypatch, capsys):
    from tqdm.std import tqdm

    fake_kernel(monkeypatch)
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    assert _in_notebook()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # tqdm.auto would warn "IProgress not found" here
        bar = _progress_bar(3, "train", None)
        assert type(bar) is tqdm and not bar.disable
        bar.update(3)
        bar.close()
    out = capsys.readouterr()
    assert "3/3" in out.out and "IProgress" not in out.out + out.err


def test_in_a_notebook_with_ipywidgets_the_bar_is_the_widget(monkeypatch):
    class Widget:  # stands in for tqdm.notebook.tqdm, which needs a live front end to draw
        def __init__(self, **settings):
            self.settings = settings

    fake_kernel(monkeypatch)
    monkeypatch.setitem(sys.modules, "ipywidgets", types.ModuleType("ipywidgets"))
    monkeypatch.setitem(sys.modules, "tqdm.notebook", types.SimpleNamespace(tqdm=Widget))
    bar = _progress_bar(3, "train", None)
    assert isinstance(bar, Widget)
    assert bar.settings["total"] == 3 and bar.settings["desc"] == "train" and not bar.settings["disable"]


def test_progress_false_turns_the_bar_off_in_a_notebook(monkeypatch):
    fake_kernel(monkeypatch)
    bar = _progress_bar(3, "train", False)
    assert bar.disable
    bar.close()
