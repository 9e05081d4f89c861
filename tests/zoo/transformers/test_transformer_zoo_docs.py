"""docs/transformers.md is executable: its ```python blocks run in order, in one namespace, and their
asserts check what the text claims."""
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "docs" / "transformers.md"


def python_blocks(text):
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_the_docs_code_blocks_check_something_and_run():
    blocks = python_blocks(DOC.read_text())
    assert len(blocks) >= 7
    assert all("assert" in block for block in blocks), "every example checks something"
    namespace = {"__name__": "docs_transformers"}
    for i, block in enumerate(blocks):
        exec(compile(block, f"{DOC.name} block {i + 1}", "exec"), namespace)
