"""The result files of a sweep: one JSON file per finished run, `<folder>/runs/<key>.json`.

Each file is written with `files.atomic_write` the moment its run comes back, so a sweep that is
interrupted (Ctrl-C, a killed process, a lost cluster) has lost at most the runs that were in
flight: every file present is whole. A re-run reads the folder and computes only the runs whose
file is missing or records a failure. Files of runs that are not in the current grid (another
grid, `--full`, an older `version`) are left alone and ignored.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..files import atomic_write


class RunStore:
    """`RunStore(folder)`: read and write the run records of one sweep folder."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.runs = self.folder / "runs"

    def path(self, key: str) -> Path:
        return self.runs / f"{key}.json"

    def load(self, key: str):
        """The record of run `key`, or None when there is no readable file for it (a file that is
        not valid JSON -- written by something else -- counts as missing and is rewritten)."""
        try:
            text = self.path(key).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            record = json.loads(text)
        except ValueError:
            return None
        return record if isinstance(record, dict) and record.get("key") == key else None

    def load_many(self, keys) -> dict:
        """key -> record for the keys that have a readable file."""
        records = {}
        for key in keys:
            record = self.load(key)
            if record is not None:
                records[key] = record
        return records

    def save(self, record: dict) -> Path:
        """Write `record` to its file atomically (the folder is made if needed)."""
        path = self.path(record["key"])
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path, "w", encoding="utf-8") as f:
            json.dump(record, f, indent=1, allow_nan=True)
            f.write("\n")
        return path
