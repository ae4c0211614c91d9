"""How well the name rule decides, measured on labelled pairs of members.

A labelled pair is two members' names and relatives' names and whether they are the same
woman. The measure is the service's own decision, not a single score: the pair is compared
only if the two share a blocking key (as the index would find her), then the name rule of
the state's rules decides (both thresholds, one of the two names agreeing fully). Reported:
precision and recall overall, recall per same-person category, the share of false flags per
different-people category, and the blocking-key recall (the share of same-person pairs that
are ever compared).

The pairs come from ``tests/unit/dedup/member_pairs.csv`` or from a state's own checkers
(``GET /v1/duplicate-decisions/labelled-pairs``, same CSV columns):

    python -m services.dedup.evaluation pairs.csv
"""

from __future__ import annotations

import argparse
import csv
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from services.dedup import matching, names, rules

CSV_FIELDS = ("category", "same", "a_name", "a_relative", "b_name", "b_relative", "note")
# The category of pairs exported from the checkers' decisions.
DECISION_CATEGORY = "decision"


@dataclass(frozen=True, slots=True)
class LabelledRow:
    category: str
    same: bool
    a_name: str
    a_relative: str
    b_name: str
    b_relative: str
    note: str = ""


def read_rows(handle: Iterable[str]) -> list[LabelledRow]:
    reader = csv.DictReader(handle)
    if tuple(reader.fieldnames or ()) != CSV_FIELDS:
        raise ValueError(f"the columns must be {', '.join(CSV_FIELDS)}")
    rows: list[LabelledRow] = []
    for line, r in enumerate(reader, start=2):
        if r["same"] not in ("0", "1"):
            raise ValueError(f"line {line}: same must be 0 or 1")
        rows.append(
            LabelledRow(
                r["category"], r["same"] == "1", r["a_name"], r["a_relative"], r["b_name"],
                r["b_relative"], r["note"] or "",
            )
        )  # fmt: skip
    return rows


def write_rows(rows: Iterable[LabelledRow], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for r in rows:
        writer.writerow(
            (r.category, int(r.same), r.a_name, r.a_relative, r.b_name, r.b_relative, r.note)
        )


@dataclass(frozen=True, slots=True)
class Outcome:
    row: LabelledRow
    compared: bool  # the two share a blocking key: the index would put them side by side
    flagged: bool  # the service would flag them as potential duplicates
    name_score: float
    relative_score: float


def decide(rows: Sequence[LabelledRow], rule_set: rules.RuleSet | None = None) -> list[Outcome]:
    """The service's decision on each pair: blocking keys, then the name rule."""
    rule_set = rule_set or rules.defaults("xx")
    subjects: list[matching.Rec] = []
    candidates: list[tuple[int, matching.Rec]] = []
    compared: list[bool] = []
    for i, r in enumerate(rows):
        a = matching.Rec(uuid.uuid4(), rule_set.state, panchayat="p", village="v",
                         name=r.a_name, relative_name=r.a_relative)  # fmt: skip
        b = matching.Rec(uuid.uuid4(), rule_set.state, panchayat="p", village="v",
                         name=r.b_name, relative_name=r.b_relative)  # fmt: skip
        subjects.append(a)
        keys_a = names.name_keys(a.name, a.relative_name)
        keys_b = names.name_keys(b.name, b.relative_name)
        compared.append(bool(set(keys_a) & set(keys_b)))
        if compared[-1]:
            candidates.append((i, b))
    found = dict(matching.name_matches(subjects, candidates, rule_set))
    out: list[Outcome] = []
    for i, r in enumerate(rows):
        f = found.get(i)
        name = names.name_score(names.name_form(r.a_name), names.name_form(r.b_name))
        relative = names.name_score(
            names.name_form(r.a_relative), names.name_form(r.b_relative), relative=True
        )
        out.append(Outcome(r, compared[i], f is not None, name, relative))
    return out


@dataclass(frozen=True, slots=True)
class CategoryScore:
    category: str
    same: bool
    pairs: int
    flagged: int

    @property
    def rate(self) -> float:
        """Recall for same-person pairs, the share of false flags for different people."""
        return self.flagged / self.pairs if self.pairs else 0.0


@dataclass(frozen=True, slots=True)
class Report:
    pairs: int
    precision: float
    recall: float
    blocking_recall: float
    categories: tuple[CategoryScore, ...]
    mistakes: tuple[Outcome, ...]


def report(outcomes: Sequence[Outcome]) -> Report:
    tp = sum(o.flagged and o.row.same for o in outcomes)
    fp = sum(o.flagged and not o.row.same for o in outcomes)
    positives = [o for o in outcomes if o.row.same]
    groups: dict[tuple[str, bool], list[Outcome]] = {}
    for o in outcomes:
        groups.setdefault((o.row.category, o.row.same), []).append(o)
    return Report(
        pairs=len(outcomes),
        precision=tp / (tp + fp) if tp + fp else 1.0,
        recall=tp / len(positives) if positives else 1.0,
        blocking_recall=(sum(o.compared for o in positives) / len(positives) if positives else 1.0),
        categories=tuple(
            CategoryScore(category, same, len(group), sum(o.flagged for o in group))
            for (category, same), group in sorted(
                groups.items(), key=lambda kv: (not kv[0][1], kv[0][0])
            )
        ),
        mistakes=tuple(o for o in outcomes if o.flagged != o.row.same),
    )


def format_report(r: Report) -> str:
    lines = [
        f"pairs={r.pairs} precision={r.precision:.3f} recall={r.recall:.3f}"
        f" blocking-key recall={r.blocking_recall:.3f}"
    ]
    for c in r.categories:
        what = "recall" if c.same else "false flags"
        lines.append(f"  {c.category:<14} {'same' if c.same else 'different':<9} "
                     f"n={c.pairs:<4} {what}={c.rate:.3f}")  # fmt: skip
    for o in r.mistakes:
        kind = "missed" if o.row.same else "false flag"
        why = "" if o.compared else " (no shared blocking key)"
        lines.append(
            f"  {kind}: {o.row.a_name} / {o.row.a_relative}  ~  {o.row.b_name} /"
            f" {o.row.b_relative}  name={o.name_score:.1f} relative={o.relative_score:.1f}"
            f"{why} [{o.row.category}]"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("pairs", type=Path, help="CSV of labelled pairs")
    args = ap.parse_args()
    with args.pairs.open(encoding="utf-8", newline="") as handle:
        rows = read_rows(handle)
    print(format_report(report(decide(rows))))


if __name__ == "__main__":
    main()
