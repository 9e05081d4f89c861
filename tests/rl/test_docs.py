"""docs/rl.md is executable: its ```python blocks run in order, in one namespace, and their asserts
check what the text claims."""
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "rl.md"


def python_blocks(text):
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_every_code_block_checks_something():
    blocks = python_blocks(DOC.read_text())
    assert len(blocks) >= 7
    assert all("assert" in block for block in blocks)


def test_the_code_blocks_run():
    namespace = {"__name__": "docs_rl"}
    for i, block in enumerate(python_blocks(DOC.read_text())):
        exec(compile(block, f"{DOC.name} block {i + 1}", "exec"), namespace)


def test_the_picture_is_there():
    assert "](images/rl_penguin.png)" in DOC.read_text()
    assert (DOC.parent / "images" / "rl_penguin.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
