"""Reads back the spans the processes wrote (JSON lines) and arranges one trace as a tree."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class SpanNode:
    span_id: str
    parent_id: str
    service: str
    name: str
    kind: str
    start: int
    end: int
    status: str
    error: str
    children: list[SpanNode] = field(default_factory=list)

    @property
    def duration_ms(self) -> float:
        return (self.end - self.start) / 1e6


def load_trace(trace_dir: Path, trace_id: str) -> list[SpanNode]:
    """Every span of ``trace_id`` found under ``trace_dir``."""
    trace_id = trace_id.strip().lower()
    spans: list[SpanNode] = []
    needle = f'"trace_id":"{trace_id}"'
    for path in sorted(trace_dir.glob("*.jsonl*")):
        with path.open(encoding="utf-8", errors="replace") as f:
            for line in f:
                if needle not in line:
                    continue
                try:
                    r = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut by a crash mid-write
                spans.append(
                    SpanNode(
                        r["span_id"],
                        r["parent_id"],
                        r["service"],
                        r["name"],
                        r["kind"],
                        int(r["start"] or 0),
                        int(r["end"] or 0),
                        r["status"],
                        r.get("error", ""),
                    )
                )
    return spans


def build_tree(spans: list[SpanNode]) -> list[SpanNode]:
    """Roots (spans whose parent is absent), each with children ordered by start time."""
    by_id = {s.span_id: s for s in spans}
    roots: list[SpanNode] = []
    for s in sorted(spans, key=lambda s: s.start):
        parent = by_id.get(s.parent_id)
        if parent is None:
            roots.append(s)
        else:
            parent.children.append(s)
    return roots
