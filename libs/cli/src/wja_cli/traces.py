"""`wja trace <urn>`: a case's spans, from every service's span file, as trees."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from rich.tree import Tree


def load_spans(trace_dir: Path) -> list[dict[str, Any]]:
    """Every span written by every process under ``trace_dir``."""
    spans: list[dict[str, Any]] = []
    for path in sorted(trace_dir.glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    try:
                        spans.append(json.loads(line))
                    except ValueError:
                        continue  # a line being written right now
    return spans


def case_spans(spans: list[dict[str, Any]], urn: str) -> list[dict[str, Any]]:
    """The spans of every trace that touches the case (tagged, or linked to a tagged span)."""
    traces = {s["trace_id"] for s in spans if s.get("attributes", {}).get("wja.case.urn") == urn}
    linked = {lk["trace_id"] for s in spans if s["trace_id"] in traces for lk in s.get("links", [])}
    linked |= {s["trace_id"] for s in spans for lk in s.get("links", []) if lk["trace_id"] in traces}
    keep = traces | linked
    return sorted((s for s in spans if s["trace_id"] in keep), key=lambda s: s["start"])


def _label(span: dict[str, Any]) -> str:
    ms = (span["end"] - span["start"]) / 1e6
    status = "" if span.get("status") != "ERROR" else " [red]ERROR[/red]"
    return f"[bold]{span['service']}[/bold]  {span['name']}  [dim]{ms:.1f} ms[/dim]{status}"


def build_trees(spans: list[dict[str, Any]]) -> list[Tree]:
    """One tree per root span (a span whose parent is not among ``spans``)."""
    ids = {s["span_id"] for s in spans}
    children: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for span in spans:
        parent = span.get("parent_id")
        children[parent if parent in ids else None].append(span)

    def grow(node: Tree, span: dict[str, Any]) -> None:
        for child in children.get(span["span_id"], []):
            grow(node.add(_label(child)), child)

    trees = []
    for root in children[None]:
        tree = Tree(_label(root))
        grow(tree, root)
        trees.append(tree)
    return trees


def services_in(spans: list[dict[str, Any]]) -> set[str]:
    """Which services a set of spans comes from."""
    return {s["service"] for s in spans}
