"""The book's sweeps are well formed: importable run functions, default grids smaller than the book's."""
import inspect
from pathlib import Path

from tinygrad_udl.sweep import sweeps
from tinygrad_udl.sweep.execute import resolve

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_sweep_resolves_and_its_grids_fit_its_function():
    found = sweeps()
    assert len(found) == 10
    for sweep in found.values():
        function = resolve(sweep.function_path)
        accepted = inspect.signature(function).parameters
        default, full = sweep.runs(), sweep.runs(full=True)
        assert 0 < len(default) <= 40 and len(full) >= len(default), sweep.name
        for params in default + full:
            assert set(params) <= set(accepted), (sweep.name, set(params) - set(accepted))
        assert len({sweep.key(p) for p in full}) == len(full)
        assert sweep.summarize is not None and sweep.plot is not None and sweep.section and sweep.reduced
        assert sweep.name in (DOCS / "sweeps.md").read_text()
