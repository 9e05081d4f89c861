"""The documentation site builds with `mkdocs build --strict` (what `make docs` runs): every page of
docs/ and an API reference generated from the docstrings, without a single warning.

mkdocs, mkdocs-material and mkdocstrings are in the `test` extra (the build takes about 20 s), so
this test runs wherever `make test` does.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
API_PAGES = sorted((ROOT / "docs" / "api").glob("*.md"))


_BUILT = {}  # one build per session, also when it fails (a failing fixture would be rebuilt per test)


def build(out):
    for module in ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python"):
        try:
            __import__(module)
        except ImportError:
            return f"{module} is missing: the site's tools are in the test extra; run pip install -e '.[test]'"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
                             str(ROOT / "mkdocs.yml"), "--site-dir", str(out)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    problems = [line for line in result.stderr.splitlines() if line.startswith(("WARNING", "ERROR"))]
    if result.returncode != 0 or problems:
        return "mkdocs build --strict failed:\n" + "\n".join(problems or [result.stdout, result.stderr])
    return None


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if "out" not in _BUILT:
        _BUILT["out"] = tmp_path_factory.mktemp("site")
        _BUILT["error"] = build(_BUILT["out"])
    if _BUILT["error"]:
        pytest.fail(_BUILT["error"], pytrace=False)
    return _BUILT["out"]


def test_every_page_of_docs_is_built(site):
    for page in sorted((ROOT / "docs").rglob("*.md")):
        rel = page.relative_to(ROOT / "docs").with_suffix("")
        folder = rel.parent if rel.name == "index" else rel  # docs/x.md -> site/x/index.html
        assert (site / folder / "index.html").is_file(), f"docs/{rel}.md was not built"


def test_the_front_page_maps_every_chapter_from_2_to_20(site):
    text = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    chapters = [int(n) for n in re.findall(r"^\| (\d+) \|", text, flags=re.M)]
    assert chapters == list(range(2, 21))
    page = (site / "index.html").read_text(encoding="utf-8")
    assert "tinygrad-udl train mnist1d-mlp" in page and 'href="conventions/' in page


@pytest.mark.parametrize("api_page", API_PAGES, ids=lambda p: p.name)
def test_every_api_directive_renders_its_module(site, api_page):
    modules = re.findall(r"^::: ([\w.]+)", api_page.read_text(encoding="utf-8"), flags=re.M)
    assert modules, f"{api_page.name} documents no module"
    html = (site / "api" / api_page.stem / "index.html").read_text(encoding="utf-8")
    for module in modules:
        assert f'id="{module}"' in html, f"{module} is not rendered on api/{api_page.stem}"


def test_the_reference_shows_the_docstrings(site):
    html = (site / "api" / "autograd" / "index.html").read_text(encoding="utf-8")
    for name in ("tinygrad_udl.autograd.value.Value", "tinygrad_udl.autograd.value.from_values",
                 "tinygrad_udl.autograd.value.to_values", "tinygrad_udl.autograd.tensor.Tensor"):
        assert f'id="{name}"' in html, name
    assert "The graph is cut" in html  # from_values' docstring
    nn = (site / "api" / "nn" / "index.html").read_text(encoding="utf-8")
    assert 'id="tinygrad_udl.nn.module.Module.summary"' in nn
