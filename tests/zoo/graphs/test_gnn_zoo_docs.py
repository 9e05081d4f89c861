"""docs/gnn.md is executable: its ```python blocks run in order, in one namespace, and their asserts
check what the text claims."""
import re
from pathlib import Path

import tinygrad_udl as tg

DOC = Path(__file__).resolve().parents[3] / "docs" / "gnn.md"


def python_blocks(text):
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_every_docs_block_checks_something():
    blocks = python_blocks(DOC.read_text())
    assert len(blocks) >= 4
    assert all("assert" in block for block in blocks)


def test_the_docs_code_blocks_run():
    before = tg.get_default_dtype()
    namespace = {"__name__": "docs_gnn"}
    try:
        for i, block in enumerate(python_blocks(DOC.read_text())):
            exec(compile(block, f"{DOC.name} block {i + 1}", "exec"), namespace)
    finally:
        tg.set_default_dtype(before)
    assert namespace["model"].num_parameters() == 849
