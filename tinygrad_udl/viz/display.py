"""Rich display in notebooks: small HTML and Markdown tables, and figures as inline PNG images.

Jupyter shows an object through its `_repr_html_` / `_repr_markdown_` methods when it has them.
Backward traces, gradient-check reports, training histories and modules define them with the
helpers here, so that they look alike: a plain table, a verdict in colour, and failures
highlighted. Everything is a pure function of its arguments (no global state, no JavaScript);
styles are inline so the tables survive renderers that strip `<style>` blocks, and every
highlighted row also carries a class (`tg-fail`, `tg-kink`, ...) for tests and custom CSS.
"""
from __future__ import annotations

import base64
import html
import io

# Row / cell highlights by status: background and text colour.
HIGHLIGHTS = {
    "fail": ("#fdecea", "#b71c1c"),
    "kink": ("#fff4e5", "#a64b00"),
    "unresolved": ("#fff8e1", "#8a6d00"),
    "ok": ("", "#1b5e20"),
    "final": ("#eef5fd", ""),
}
VERDICT_COLOURS = {"PASSED": "#2e7d32", "FAILED": "#c62828", "UNDECIDED": "#ef6c00"}

_TABLE = 'style="border-collapse: collapse; font-size: 0.9em; margin: 0.3em 0"'
_CELL = "padding: 2px 8px"


def esc(value) -> str:
    """`value` as HTML-escaped text."""
    return html.escape(str(value), quote=True)


def html_table(columns, rows, *, numeric=(), row_status=None, cell_status=None, css_class="tg-table") -> str:
    """An HTML table. `columns`: header texts; `rows`: lists of cell texts (escaped here).

    numeric:     indices of right-aligned columns.
    row_status:  one status per row (None or a key of HIGHLIGHTS): the row's background and class.
    cell_status: {(row, column): status}: that cell's colour, in bold.
    """
    head = "".join(f'<th style="{_CELL}; text-align: {"right" if i in numeric else "left"}">{esc(c)}</th>'
                   for i, c in enumerate(columns))
    body = []
    for r, row in enumerate(rows):
        status = row_status[r] if row_status else None
        background = HIGHLIGHTS[status][0] if status else ""
        row_style = "border-top: 1px solid #ddd" + (f"; background: {background}" if background else "")
        attrs = (f' class="tg-{status}"' if status else "") + f' style="{row_style}"'
        cells = []
        for i, cell in enumerate(row):
            style = f"{_CELL}; text-align: {'right' if i in numeric else 'left'}"
            text = esc(cell)
            mark = (cell_status or {}).get((r, i))
            if mark:
                colour = HIGHLIGHTS[mark][1]
                style += "; font-weight: bold" + (f"; color: {colour}" if colour else "")
            cells.append(f'<td style="{style}">{text}</td>')
        body.append(f"<tr{attrs}>{''.join(cells)}</tr>")
    return (f'<table class="{css_class}" {_TABLE}><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


def markdown_table(columns, rows, *, numeric=()) -> str:
    """The same table in Markdown (pipes in cells escaped)."""
    def line(cells):
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"
    rule = "|" + "|".join("---:" if i in numeric else "---" for i in range(len(columns))) + "|"
    return "\n".join([line(columns), rule] + [line(r) for r in rows])


def verdict_html(verdict: str, detail: str = "") -> str:
    """'gradcheck: PASSED' as a coloured heading line, with optional detail text after it."""
    colour = VERDICT_COLOURS.get(verdict, "#333333")
    text = f'<span class="tg-verdict" style="color: {colour}; font-weight: bold">{esc(verdict)}</span>'
    return f"<p>{text}{(' ' + esc(detail)) if detail else ''}</p>"


def png_data_uri(figure, dpi=90) -> str:
    """A matplotlib Figure as a `data:image/png;base64,...` URI (the figure is not shown or closed)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def img(uri: str, alt: str) -> str:
    return f'<img src="{uri}" alt="{esc(alt)}" style="max-width: 100%"/>'
