"""The record of a training run: one row of losses and errors per evaluation (the curves of fig. 8.2).

A row is a plain dict with `epoch`, `step` (optimizer steps so far), `lr`, `seconds` (wall time
since the start) and, for every data split that was evaluated (`train`, `val`, `test`),
`<split>_loss` (mean loss per example) and `<split>_error` (percentage of wrong predictions,
section 8.1; absent for regression). Row 0 is the untrained model (step 0), so the curves start
where the book's do, at chance. `final` is the row of the returned model (the last row, or the
checkpoint early stopping restored).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from .. import plotting
from ..files import atomic_write


class History:
    """Rows of per-evaluation metrics plus a few facts about the run (`info`, e.g. early stopping)."""

    def __init__(self, rows=None, info=None):
        self.rows = list(rows or [])
        self.info = dict(info or {})

    def append(self, row: dict):
        self.rows.append(dict(row))

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, index):
        return self.rows[index]

    @property
    def last(self) -> dict:
        if not self.rows:
            raise ValueError("History: no rows yet (nothing was evaluated)")
        return self.rows[-1]

    @property
    def final(self) -> dict:
        """The row of the model that training returned: the last row, or with early stopping the
        row of the restored checkpoint (`info["final_row"]`)."""
        return self.rows[self.info["final_row"]] if "final_row" in self.info else self.last

    def keys(self) -> list[str]:
        """Every metric name that appears in some row, in first-seen order."""
        seen = {}
        for row in self.rows:
            seen.update(dict.fromkeys(row))
        return list(seen)

    def column(self, key: str) -> list:
        """The values of `key` in row order (None where a row lacks it), e.g. for plotting."""
        if key not in self.keys():
            raise KeyError(f"History has no metric {key!r}; it has: {', '.join(self.keys())}")
        return [row.get(key) for row in self.rows]

    def best(self, key: str) -> dict:
        """The row where `key` (a loss or an error) is smallest."""
        rows = [row for row in self.rows if row.get(key) is not None and math.isfinite(row[key])]
        if not rows:
            raise KeyError(f"History: no finite values of {key!r}")
        return min(rows, key=lambda row: row[key])

    def run_length(self) -> str:
        """How long the run was, from `info`: '6,000 steps (150 epochs)', per member for ensembles."""
        text = f"{self.info['steps_run']:,} steps ({self.info['epochs_run']:,} epochs)"
        if self.info.get("members"):
            text += f" for each of {self.info['members']} members"
        if self.info.get("stopped_early"):
            text += ", stopped early"
        return text

    def to_dict(self) -> dict:
        return {"info": self.info, "rows": self.rows}

    def save(self, path) -> Path:
        """Write the history as JSON (creating the folder; atomically, so a crash leaves the previous
        file); returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.to_dict(), indent=1) + "\n"
        with atomic_write(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    @classmethod
    def load(cls, path) -> "History":
        data = json.loads(Path(path).read_text())
        return cls(data.get("rows"), data.get("info"))

    def __repr__(self):
        return f"History({len(self.rows)} rows, keys={self.keys()})"

    # ---- notebooks ------------------------------------------------------------------------------

    HTML_ROWS = 8  # the last rows shown by _repr_html_

    def _repr_html_(self):
        """A notebook's view: what the run was, a table of the last rows, and the learning curves
        (an inline PNG, when matplotlib is installed)."""
        from ..viz.display import esc, html_table, img, png_data_uri

        out = ['<div class="tg-history">']
        summary = f"History: {len(self.rows)} row" + ("" if len(self.rows) == 1 else "s")
        if {"steps_run", "epochs_run"} <= set(self.info):
            summary += f", {self.run_length()}"
        if "seconds" in self.info:
            summary += f", {self.info['seconds']:.3g} s"
        out.append(f"<p>{esc(summary)}</p>")
        if self.rows:
            keys = self.keys()
            first = len(self.rows) - min(len(self.rows), self.HTML_ROWS)
            shown = self.rows[first:]
            rows = [[str(first + i)] + [_cell(row.get(k)) for k in keys] for i, row in enumerate(shown)]
            if first:
                rows.insert(0, ["..."] + [""] * len(keys))
            out.append(html_table(["row"] + keys, rows, numeric=tuple(range(len(keys) + 1)),
                                  css_class="tg-table tg-history-rows"))
            figure = _figure(self)
            if figure is not None:
                out.append(img(png_data_uri(figure), "learning curves"))
        return "".join(out) + "</div>"


def _cell(value):
    """A number as a short table cell: integers in full, floats to 4 significant digits."""
    if value is None:
        return "-"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.4g}"


def _figure(history):
    """The learning curves as a matplotlib Figure outside pyplot, or None without matplotlib."""
    try:
        figure = plotting.figure(8 if any(k.endswith("_error") for k in history.keys()) else 4, 2.8)
    except ImportError:
        return None
    from .report import draw_history

    return draw_history(history, figure)
