"""The documentation is executable, so its examples cannot rot.

- Every ```python block of README.md and docs/*.md runs, page by page in one namespace, in a
  scratch folder (blocks may write files).
- Every ```py block (an excerpt of the library's code, shown to explain it) stands verbatim in a
  source file of the package.
- Every picture a page links to exists.
"""
import re
from pathlib import Path

import pytest

import tinygrad_udl as tg

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SOURCE = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tinygrad_udl").rglob("*.py"))


def blocks(page, language):
    return re.findall(rf"^```{language}\n(.*?)^```", page.read_text(encoding="utf-8"), flags=re.S | re.M)


@pytest.mark.parametrize("page", [p for p in PAGES if blocks(p, "python")], ids=lambda p: p.name)
def test_the_python_blocks_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    before = tg.get_default_dtype()
    namespace = {"__name__": f"docs_{page.stem}"}
    try:
        for i, block in enumerate(blocks(page, "python")):
            exec(compile(block, f"{page.name} block {i + 1}", "exec"), namespace)
    finally:
        tg.set_default_dtype(before)


@pytest.mark.parametrize("page", [p for p in PAGES if blocks(p, "py")], ids=lambda p: p.name)
def test_the_quoted_excerpts_are_in_the_source(page):
    for excerpt in blocks(page, "py"):
        assert excerpt in SOURCE, f"{page.name} quotes code that is not in the package:\n{excerpt}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_the_pictures_a_page_shows_exist(page):
    for target in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
        if not target.startswith("http"):
            assert (page.parent / target).is_file(), f"{page.name} shows {target}, which does not exist"
