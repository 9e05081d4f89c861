"""docs/linalg.md is executable: its ```python blocks run in order, in one namespace, and their
asserts check what the text claims; its ```py blocks are excerpts of linalg.py, checked verbatim."""
import re
from pathlib import Path

import tinygrad_udl as tg
import tinygrad_udl.linalg as la

DOC = Path(__file__).resolve().parents[2] / "docs" / "linalg.md"


def blocks(language):
    return re.findall(rf"^```{language}\n(.*?)^```", DOC.read_text(encoding="utf-8"), flags=re.S | re.M)


def test_every_python_block_checks_something():
    assert len(blocks("python")) >= 6
    assert all("assert" in block for block in blocks("python"))


def test_the_docs_code_blocks_run():
    before = tg.get_default_dtype()
    namespace = {"__name__": "docs_linalg"}
    try:
        for i, block in enumerate(blocks("python")):
            exec(compile(block, f"{DOC.name} block {i + 1}", "exec"), namespace)
    finally:
        tg.set_default_dtype(before)
    assert namespace["flow"].requires_grad


def test_the_excerpts_are_verbatim_in_the_source():
    source = Path(la.__file__).read_text(encoding="utf-8")
    excerpts = blocks("py")
    assert len(excerpts) == 3
    for excerpt in excerpts:
        assert excerpt in source, f"docs/linalg.md quotes code that is not in linalg.py:\n{excerpt}"
