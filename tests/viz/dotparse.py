"""A small reader for the DOT that draw_graph writes (one statement per line), for the tests:
node labels as rows of text, node attributes, edges and clusters with their members."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

_NODE = re.compile(r"^\s*(\w+) \[label=<(.*)> (.*)\]$")
_EDGE = re.compile(r"^\s*(\w+) -> (\w+)$")
_ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')


@dataclass
class Cluster:
    label: str = ""
    members: list = field(default_factory=list)
    children: list = field(default_factory=list)


@dataclass
class Dot:
    nodes: dict      # id -> {"rows": [str], "attrs": {str: str}}
    edges: list      # (tail, head)
    clusters: list   # top-level Cluster trees

    def by_name(self, name):
        """The node whose first label row (its name) is `name`."""
        found = [n for n in self.nodes.values() if n["rows"][0] == name]
        assert len(found) == 1, f"{len(found)} nodes named {name!r}"
        return found[0]

    def id_of(self, name):
        return next(i for i, n in self.nodes.items() if n["rows"][0] == name)

    def row(self, name, prefix):
        """The text after `prefix ` in node `name`'s label (e.g. row('f3', 'grad'))."""
        rows = [r for r in self.by_name(name)["rows"] if r.startswith(prefix + " ")]
        assert len(rows) == 1, f"{name}: rows {self.by_name(name)['rows']}"
        return rows[0][len(prefix) + 1:]

    def all_clusters(self):
        stack, out = list(self.clusters), []
        while stack:
            c = stack.pop(0)
            out.append(c)
            stack[:0] = c.children
        return out

    def cluster(self, label):
        found = [c for c in self.all_clusters() if c.label == label]
        assert len(found) == 1, f"clusters: {[c.label for c in self.all_clusters()]}"
        return found[0]


def parse(source: str) -> Dot:
    nodes, edges, top, stack = {}, [], [], []
    for line in source.splitlines():
        if m := _NODE.match(line):
            rows = [html.unescape(re.sub(r"<[^>]+>", "", r)) for r in m.group(2).split("<BR/>")]
            attrs = {k: v.strip('"') for k, v in _ATTR.findall(m.group(3))}
            nodes[m.group(1)] = {"rows": rows, "attrs": attrs}
        elif m := _EDGE.match(line):
            edges.append((m.group(1), m.group(2)))
        elif line.strip().startswith("subgraph cluster_"):
            c = Cluster()
            (stack[-1].children if stack else top).append(c)
            stack.append(c)
        elif stack and "label=" in line:  # the cluster's attribute line
            stack[-1].label = dict(_ATTR.findall(line))["label"].strip('"')
        elif stack and line.strip() == "}":
            stack.pop()
        elif stack and re.fullmatch(r"\s*\w+", line):
            stack[-1].members.append(line.strip())
    return Dot(nodes, edges, top)


def numbers(text: str) -> list[float]:
    """The numbers in a label row, in order ('[[1, -2.5e-3],' -> [1.0, -0.0025])."""
    return [float(s) for s in re.findall(r"-?\d+(?:\.\d*)?(?:e[-+]?\d+)?|-?inf|nan", text)]
