"""What a gradient check found, as data (`to_dict()`, for --json) and as a table (`str(report)`).

Vocabulary used everywhere: *autodiff* is the engine's reverse-mode gradient; *numerical* is the
central finite difference in float64. An error is |autodiff - numerical|; a relative error divides
by the larger of the two magnitudes.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field


def element_name(name, index):
    """`layers.1.weight[3, 1]`; a scalar input is just its name."""
    if index is None:
        return name
    if index == ():
        return name
    return f"{name}[{', '.join(str(i) for i in index)}]"


def json_safe(obj):
    """Replace non-finite floats (which strict JSON cannot hold) by strings, and tuples by lists."""
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    return obj


def _num(x):
    return "-" if x is None else f"{x:.3g}"


@dataclass
class InputCheck:
    """One input (or parameter) at one derivative order."""

    name: str
    shape: tuple
    order: int
    checked: int            # elements compared
    failed: int             # elements outside tolerance
    kinks: int              # elements found non-differentiable (not failures)
    max_abs_err: float
    max_rel_err: float
    worst_index: tuple | None
    autodiff: float | None   # at the worst element
    numerical: float | None
    singular: int = 0        # elements near a singularity (neither passed nor failed)
    undecided: int = 0       # elements the finite differences cannot decide (neither passed nor failed)
    refined: int = 0         # elements that agreed only at a smaller step (passed)

    @property
    def status(self):
        """The most serious of the elements' verdicts: FAIL, SINGULARITY, UNDECIDED, KINK, ok."""
        for count, status in ((self.failed, "FAIL"), (self.singular, "SINGULARITY"),
                              (self.undecided, "UNDECIDED"), (self.kinks, "KINK")):
            if count:
                return status
        return "ok"


@dataclass
class Kink:
    """A non-differentiable point: the one-sided slopes differ (a kink), or the function itself
    jumps (`jump` is f(x+h) - f(x-h) for a small h; at order 2 the function is the gradient, so a
    kink of f shows up as a jump). The engine's value there is `autodiff`."""

    name: str
    index: tuple
    order: int
    left_slope: float
    right_slope: float
    autodiff: float
    jump: float | None = None

    def __str__(self):
        where = element_name(self.name, self.index)
        if self.jump is not None:
            what = "the gradient" if self.order == 2 else "the function"
            return f"{where}: {what} jumps by {self.jump:.6g} here (discontinuous); autodiff gives {self.autodiff:.6g}"
        return (f"{where}: slope {self.left_slope:.6g} from the left, {self.right_slope:.6g} from the right; "
                f"autodiff gives {self.autodiff:.6g}")


@dataclass
class Unresolved:
    """An element the check could neither pass nor fail, so no rule is blamed for it:
    "SINGULARITY" (fn or its derivative is not finite, or unbounded, within a step; `near` is
    where), or "UNDECIDED" (the finite differences do not settle at any step tried)."""

    name: str
    index: tuple
    order: int
    status: str
    autodiff: float
    near: float | None
    detail: str             # what the finite differences showed

    def __str__(self):
        where = element_name(self.name, self.index)
        what = f"near a singularity at {where} ≈ {self.near:.6g}" if self.status == "SINGULARITY" else "cannot decide"
        return f"{where}: {what} (autodiff gives {self.autodiff:.6g}): {self.detail}"


@dataclass
class DirectionalCheck:
    """mode="fast": one JVP by finite differences against one VJP, along a random +-1 direction."""

    order: int
    autodiff: float
    numerical: float
    allowed: float
    ok: bool
    fell_back: bool  # the full check was run because this one failed

    @property
    def abs_err(self):
        return abs(self.autodiff - self.numerical)


@dataclass
class WrongNode:
    """The first node (in topological order) whose own VJP disagrees with finite differences of
    its own forward function at its recorded inputs."""

    op: str
    label: str | None
    input_index: int        # which argument's VJP is wrong
    input_shapes: list
    params: str             # the node's non-differentiable arguments, abbreviated
    site: str               # where the node was created
    max_abs_err: float
    max_rel_err: float
    worst_index: tuple | None
    autodiff: float
    numerical: float

    def __str__(self):
        label = f" (label {self.label!r})" if self.label else ""
        params = f", params {self.params}" if self.params else ""
        where = f"element {list(self.worst_index)}" if self.worst_index else "the element"
        return (f"first wrong node: '{self.op}'{label}, input shapes {', '.join(map(str, self.input_shapes))}"
                f"{params}\n  created at {self.site}\n"
                f"  its VJP for input {self.input_index} is wrong: at {where} autodiff {self.autodiff:.9g}, "
                f"numerical {self.numerical:.9g} (max abs err {self.max_abs_err:.3g}, "
                f"max rel err {self.max_rel_err:.3g})")


@dataclass
class GradcheckReport:
    """The result of `gradcheck` / `check_module`. Truthy when the check passed."""

    ok: bool
    mode: str
    order: int
    eps: float | None
    atol: float
    rtol: float
    checks: list = field(default_factory=list)        # InputCheck rows
    kinks: list = field(default_factory=list)         # Kink
    directional: list = field(default_factory=list)   # DirectionalCheck (fast mode)
    wrong_node: WrongNode | None = None
    localisation: str = ""                            # what the node-by-node search concluded
    notes: list = field(default_factory=list)
    unresolved: list = field(default_factory=list)    # Unresolved: near a singularity, or undecided

    def __bool__(self):
        return self.ok

    @property
    def failures(self):
        return [c for c in self.checks if c.failed]

    @property
    def verdict(self):
        """PASSED; FAILED (some element's gradient is wrong); UNDECIDED (none is wrong, but some
        element could not be checked: near a singularity, or beyond what float64 steps can tell)."""
        if self.ok:
            return "PASSED"
        return "FAILED" if self.failures or not self.unresolved else "UNDECIDED"

    def to_dict(self):
        """Plain data for JSON: non-finite numbers become the strings "inf", "-inf", "nan"."""
        d = asdict(self)
        d["verdict"] = self.verdict
        for row, check in zip(d["checks"], self.checks):
            row["status"] = check.status
        return json_safe(d)

    def __str__(self):
        lines = [f"gradcheck: {self.verdict} (order {self.order}, mode {self.mode}; "
                 "autodiff = the engine's reverse mode, numerical = central differences in float64, "
                 + ("step h = cbrt(eps64) * max(1, |x|)" if self.eps is None else f"step h = {self.eps:g}")
                 + f"; tolerance {self.atol:g} + {self.rtol:g} * |value|)"]
        for d in self.directional:
            lines.append(f"  fast check, order {d.order}: directional derivative autodiff {d.autodiff:.9g}, "
                         f"numerical {d.numerical:.9g}, error {d.abs_err:.3g} (allowed {d.allowed:.3g}) -> "
                         + ("ok" if d.ok else "mismatch" + (", fell back to the full check" if d.fell_back else "")))
        if self.checks:
            lines.append(self._table())
        if self.kinks:
            shown = self.kinks[:10]
            lines.append(f"non-differentiable points ({len(self.kinks)}; reported, not failures):")
            lines += [f"  {k}" + (f" [order {k.order}]" if self.order > 1 else "") for k in shown]
            if len(self.kinks) > len(shown):
                lines.append(f"  ... and {len(self.kinks) - len(shown)} more")
        if self.unresolved:
            lines.append(f"not checked ({len(self.unresolved)}; neither passed nor failed, no rule is blamed):")
            lines += [f"  {u}" + (f" [order {u.order}]" if self.order > 1 else "") for u in self.unresolved[:10]]
            if len(self.unresolved) > 10:
                lines.append(f"  ... and {len(self.unresolved) - 10} more")
        if self.wrong_node is not None:
            lines.append(str(self.wrong_node))
        elif self.localisation:
            lines.append(self.localisation)
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def _rows(self):
        """The per-input table: (header, rows), the order column only for higher-order checks."""
        header = ("input", "order", "shape", "max abs err", "max rel err", "worst element", "autodiff",
                  "numerical", "status")
        rows = [header]
        for c in self.checks:
            rows.append((c.name, str(c.order), str(c.shape), _num(c.max_abs_err), _num(c.max_rel_err),
                         "-" if c.worst_index is None else element_name(c.name, c.worst_index),
                         "-" if c.autodiff is None else f"{c.autodiff:.9g}",
                         "-" if c.numerical is None else f"{c.numerical:.9g}", c.status))
        if self.order == 1:
            rows = [r[:1] + r[2:] for r in rows]
        return rows[0], rows[1:]

    def _table(self):
        header, body = self._rows()
        rows = [header] + body
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        return "\n".join("  " + "  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in rows)

    # ---- notebooks ------------------------------------------------------------------------------

    def _settings(self):
        return (f"order {self.order}, mode {self.mode}; "
                + ("step h = cbrt(eps64)·max(1, |x|)" if self.eps is None else f"step h = {self.eps:g}")
                + f"; tolerance {self.atol:g} + {self.rtol:g}·|value|")

    def _extras(self):
        """(title, lines) of the parts below the table: kinks, unresolved elements, the wrong node, notes."""
        parts = []
        for d in self.directional:
            parts.append(("fast check", [f"order {d.order}: directional derivative autodiff {d.autodiff:.9g}, "
                                         f"numerical {d.numerical:.9g}, error {d.abs_err:.3g} "
                                         f"(allowed {d.allowed:.3g}): " + ("ok" if d.ok else "mismatch")]))
        if self.kinks:
            lines = [str(k) for k in self.kinks[:10]]
            if len(self.kinks) > 10:
                lines.append(f"... and {len(self.kinks) - 10} more")
            parts.append((f"non-differentiable points ({len(self.kinks)}; reported, not failures)", lines))
        if self.unresolved:
            lines = [str(u) for u in self.unresolved[:10]]
            if len(self.unresolved) > 10:
                lines.append(f"... and {len(self.unresolved) - 10} more")
            parts.append((f"not checked ({len(self.unresolved)}; neither passed nor failed)", lines))
        if self.wrong_node is not None:
            parts.append(("localisation", str(self.wrong_node).splitlines()))
        elif self.localisation:
            parts.append(("localisation", self.localisation.splitlines()))
        if self.notes:
            parts.append(("notes", list(self.notes)))
        return parts

    def _repr_markdown_(self):
        verdict = self.verdict if self.ok else f"**{self.verdict}**"
        out = [f"gradcheck: {verdict} ({self._settings()})", ""]
        if self.checks:
            header, body = self._rows()
            status = len(header) - 1
            body = [r[:status] + (r[status] if r[status] == "ok" else f"**{r[status]}**",) for r in body]
            from ..viz.display import markdown_table

            out += [markdown_table(header, body), ""]
        for title, lines in self._extras():
            out += [f"*{title}*:", ""] + [f"- {line}" for line in lines] + [""]
        return "\n".join(out)

    def _repr_html_(self):
        """The verdict in colour, the per-input table with failing rows highlighted (`tg-fail`),
        kinks (`tg-kink`) and unresolved elements (`tg-unresolved`) shaded, then the details."""
        from ..viz.display import esc, html_table, verdict_html

        out = ['<div class="tg-gradcheck">', verdict_html(self.verdict, f"({self._settings()})")]
        if self.checks:
            header, body = self._rows()
            kinds = {"FAIL": "fail", "KINK": "kink", "SINGULARITY": "unresolved", "UNDECIDED": "unresolved"}
            status = [kinds.get(c.status) for c in self.checks]
            marks = {(r, len(header) - 1): s or "ok" for r, s in enumerate(status)}
            out.append(html_table(header, body, numeric=tuple(i for i, h in enumerate(header) if h in (
                "order", "max abs err", "max rel err", "autodiff", "numerical")), row_status=status,
                cell_status=marks, css_class="tg-table tg-gradcheck-inputs"))
        for title, lines in self._extras():
            body = "".join(f"<li>{esc(line)}</li>" for line in lines)
            if title == "localisation":
                body = f"<pre>{esc(chr(10).join(lines))}</pre>"
            else:
                body = f"<ul>{body}</ul>"
            out.append(f"<p><b>{esc(title)}</b></p>{body}")
        return "".join(out) + "</div>"


class GradcheckError(AssertionError):
    """Raised by gradcheck(..., raise_on_failure=True) when the check fails (carries `.report`),
    and for checks that cannot run (e.g. a non-deterministic function; then `.report` is None)."""

    def __init__(self, message, report=None):
        super().__init__(message)
        self.report = report
