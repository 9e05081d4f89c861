"""docs/tensors.md is executable: its ```python blocks run in order, in one namespace, and their
asserts check what the text claims."""
import re
from pathlib import Path

import numpy as np

import tinygrad_udl as tg

DOC = Path(__file__).resolve().parents[2] / "docs" / "tensors.md"


def python_blocks(text):
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_the_docs_have_checking_code_blocks():
    blocks = python_blocks(DOC.read_text())
    assert len(blocks) >= 8
    assert all("assert" in block for block in blocks), "every example checks something"


def test_the_docs_code_blocks_run():
    before = tg.get_default_dtype()
    namespace = {"__name__": "docs_tensors"}
    try:
        for i, block in enumerate(python_blocks(DOC.read_text())):
            exec(compile(block, f"{DOC.name} block {i + 1}", "exec"), namespace)
    finally:
        tg.set_default_dtype(before)
    assert isinstance(namespace["J"], tg.Tensor) and np.isfinite(namespace["J"].data).all()
