"""The repository stands on its own: no tracked file cites a document that lives outside it.

The project was seeded from planning notes kept beside the repository (a conventions table, a
chapter guide, a design note). Their content that the library relies on is in docs/conventions.md
(and the book itself); a citation of the notes, or a path into the folder beside the repository,
would point a reader of a clone at nothing.
"""
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Built from pieces so that this file does not match itself.
FORBIDDEN = re.compile("|".join([
    r"\bCONVENTIONS\b",            # the conventions table, with or without .md
    r"\bGUIDE" + r"\.md\b",
    r"\bDESIGN" + r"\.md\b",
    r"\.\./" + "shared",            # a relative path out of the repository
    r"/work/" + "shared",
    r"\bshared/" + r"udl\b",
]))


def tracked_files():
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout (git ls-files failed): nothing to list")
    return [ROOT / name for name in out.decode("utf-8", "surrogateescape").split("\0") if name]


def text_of(path):
    """The file's text, or None for binary files and files that are gone (deleted, not yet staged)."""
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return None
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def test_the_pattern_catches_what_it_should():
    for cited in ["see CONVENTIONS" + ".md", "(CONVENTIONS, \"BatchNorm\")", "GUIDE" + ".md §5",
                  "DESIGN" + ".md \"Testing shape\"", "`../" + "shared/udl/x.md`", "/work/" + "shared/udl/book.txt"]:
        assert FORBIDDEN.search(cited), cited
    for fine in ["docs/conventions.md, \"Kinks\"", "conventions", "a shared parameter", "GUIDE", "design.md"]:
        assert not FORBIDDEN.search(fine), fine


def test_no_tracked_file_cites_a_document_outside_the_repository():
    here = Path(__file__).resolve()
    offenders = []
    for path in tracked_files():
        if path.resolve() == here:
            continue
        text = text_of(path)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if FORBIDDEN.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}")
    assert not offenders, ("these lines cite documents outside the repository; cite docs/conventions.md "
                           "(with the section) or the book instead:\n" + "\n".join(offenders))
