"""The rules applied to records: which candidates are duplicates of which member, and how.

Plain functions over plain records, for one member (a check) or thousands (a refresh):
candidates come from the index (by identifier hash, or by name key within the panchayat),
decisions from the Block Program Manager; what comes out is each member's matches and her
duplication status. Confirmed rules are evaluated before potential ones: a member with a
confirmed duplicate is blocked whatever else is found, so her name candidates are not scored.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from asyncpg.pgproto import pgproto

from services.dedup import names
from services.dedup.rules import IDENTIFIER_RULES, RuleSet

NONE, POTENTIAL, CONFIRMED = "none", "potential", "confirmed"
# One of the two names must agree fully: when both only half agree ("Laxmi Mishra, w/o Ramesh
# Nath" and "Lakshmi Devi, w/o Ramesh Kumar": one token each, the surnames missing or
# different) the pair is common in any panchayat and flagging it buries the real duplicates.
# On 75,000 synthetic members this drops 42% of the name flags and keeps 114 of 115 planted
# name variants.
STRONG_NAME_MATCH = 95.0
NOT_DUPLICATE, DUPLICATE = "not_duplicate", "duplicate"


@dataclass(slots=True)
class Rec:
    """A member as the index holds her (identifiers as 128-bit hash prefixes)."""

    member_id: uuid.UUID
    state: str
    code: str = ""
    shg_id: uuid.UUID | None = None
    district: str = ""
    block: str = ""
    panchayat: str = ""
    village: str = ""
    name: str = ""
    relative_name: str = ""
    household: str = ""
    status: str = "new"
    aadhaar: uuid.UUID | None = None
    bank_account: uuid.UUID | None = None
    voter_id: uuid.UUID | None = None
    mobile: uuid.UUID | None = None
    fingerprint: uuid.UUID | None = None
    gender: str = ""  # F, M, T or "" (unknown)

    def identifier(self, rule: str) -> uuid.UUID | None:
        value: uuid.UUID | None = getattr(self, rule)
        return value


@dataclass(slots=True)
class Decision:
    decision: str
    reason: str
    decided_by: str
    fingerprint_low: uuid.UUID | None
    fingerprint_high: uuid.UUID | None


@dataclass(slots=True)
class Found:
    other: Rec
    kind: str
    rules: list[str] = field(default_factory=list)
    name_score: float = 0.0
    relative_score: float = 0.0
    decision: str = ""
    reason: str = ""
    decided_by: str = ""

    @property
    def counts(self) -> str:
        """What this match makes of the member's status (an override makes it nothing)."""
        if self.decision == NOT_DUPLICATE:
            return NONE
        if self.decision == DUPLICATE:
            return CONFIRMED
        return self.kind


def parse_id(text: str) -> uuid.UUID:
    """A UUID from its text, as the index's rows hold it: asyncpg's ``uuid.UUID`` subclass,
    which parses and prints in a fraction of the standard class's time (a migration import
    brings lakhs of members, each with an id, an SHG and up to four hashes to parse, and
    their fingerprint prints the hashes). ``ValueError`` for text that is not one."""
    parsed: uuid.UUID = pgproto.UUID(text)
    return parsed


def hash_prefix(hex_digest: str) -> uuid.UUID | None:
    """The first 128 bits of a hex HMAC, as stored; None for none or a malformed one."""
    if len(hex_digest) != 64:
        return None
    try:
        return parse_id(hex_digest[:32])
    except ValueError:
        return None


def fingerprint(rec: Rec) -> uuid.UUID:
    """Changes when a name or an identifier changes (and only then)."""
    parts = (
        " ".join(rec.name.lower().split()),
        " ".join(rec.relative_name.lower().split()),
        *(str(rec.identifier(r) or "") for r in IDENTIFIER_RULES),
    )
    return uuid.UUID(bytes=hashlib.sha256("\x1f".join(parts).encode()).digest()[:16])


def pair(a: uuid.UUID, b: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    return (a, b) if a.int < b.int else (b, a)


def decision_holds(d: Decision, a: Rec, b: Rec) -> bool:
    """A decision stands while neither record changed a name or an identifier."""
    low, high = (a, b) if a.member_id.int < b.member_id.int else (b, a)
    return d.fingerprint_low == low.fingerprint and d.fingerprint_high == high.fingerprint


def identifier_matches(
    subject: Rec, candidates: Iterable[Rec], rules: RuleSet
) -> dict[uuid.UUID, Found]:
    found: dict[uuid.UUID, Found] = {}
    for rule in rules.identifier_rules:
        mine = subject.identifier(rule.name)
        if mine is None:
            continue
        for other in candidates:
            if other.member_id == subject.member_id or other.identifier(rule.name) != mine:
                continue
            if (
                rule.exempt_same_household
                and subject.household
                and subject.household == other.household
            ):
                continue
            f = found.get(other.member_id)
            if f is None:
                found[other.member_id] = Found(other, rule.kind, [rule.name])
            elif rule.name not in f.rules:  # a candidate may come back once per lookup
                f.rules.append(rule.name)
                if rule.kind == CONFIRMED:
                    f.kind = CONFIRMED
    return found


def name_matches(
    subjects: Sequence[Rec], candidates: Sequence[tuple[int, Rec]], rules: RuleSet
) -> list[tuple[int, Found]]:
    """Similar name and relative name, scored in one batch.

    ``candidates`` pairs an index into ``subjects`` with a candidate found by the blocking
    keys; only pairs within the rule's reach (village or panchayat) are scored.
    """
    rule = rules.rule("name")
    if rule.kind == "off" or not candidates:
        return []
    forms: dict[str, names.NameForm] = {}

    def form(raw: str) -> names.NameForm:
        f = forms.get(raw)
        if f is None:
            f = forms[raw] = names.name_form(raw)
        return f

    kept: list[tuple[int, Rec]] = []
    for i, other in candidates:
        s = subjects[i]
        if other.member_id == s.member_id or not s.relative_name or not other.relative_name:
            continue
        if rule.within == "village" and (not s.village or s.village != other.village):
            continue
        if rule.within != "village" and (not s.panchayat or s.panchayat != other.panchayat):
            continue
        # A man and a woman are never one person, whatever their names.
        if s.gender and other.gender and s.gender != other.gender:
            continue
        kept.append((i, other))
    if not kept:
        return []
    name_scores = names.score_pairs(
        [form(subjects[i].name) for i, _ in kept], [form(o.name) for _, o in kept]
    )
    out: list[tuple[int, Found]] = []
    relative_left: list[names.NameForm] = []
    relative_right: list[names.NameForm] = []
    similar: list[tuple[int, Rec, float]] = []
    for (i, other), score in zip(kept, name_scores, strict=True):
        if score >= rule.name_threshold:
            similar.append((i, other, score))
            relative_left.append(form(subjects[i].relative_name))
            relative_right.append(form(other.relative_name))
    if not similar:
        return []
    relative_scores = names.score_pairs(relative_left, relative_right, relative=True)
    for (i, other, score), rel in zip(similar, relative_scores, strict=True):
        if rel >= rule.relative_threshold and max(score, rel) >= STRONG_NAME_MATCH:
            out.append(
                (i, Found(other, POTENTIAL, ["name"], round(score, 1), round(float(rel), 1)))
            )
    return out


def merge(found: dict[uuid.UUID, Found], extra: Found) -> None:
    f = found.get(extra.other.member_id)
    if f is None:
        found[extra.other.member_id] = extra
    else:
        f.rules.extend(r for r in extra.rules if r not in f.rules)
        f.name_score, f.relative_score = extra.name_score, extra.relative_score


def apply_decisions(
    subject: Rec,
    found: dict[uuid.UUID, Found],
    decisions: dict[tuple[uuid.UUID, uuid.UUID], Decision],
) -> None:
    for f in found.values():
        d = decisions.get(pair(subject.member_id, f.other.member_id))
        if d is None or not decision_holds(d, subject, f.other):
            continue
        # A confirmed match cannot be overridden, whatever was decided when it was potential.
        if d.decision == NOT_DUPLICATE and f.kind == CONFIRMED:
            continue
        f.decision, f.reason, f.decided_by = d.decision, d.reason, d.decided_by


def status_of(found: Iterable[Found]) -> str:
    counts = {f.counts for f in found}
    if CONFIRMED in counts:
        return CONFIRMED
    if POTENTIAL in counts:
        return POTENTIAL
    return NONE


def ordered(found: Iterable[Found]) -> list[Found]:
    """Confirmed first, then potential, then overridden; then by code for a stable list."""
    rank = {CONFIRMED: 0, POTENTIAL: 1, NONE: 2}
    return sorted(found, key=lambda f: (rank[f.counts], f.other.code, str(f.other.member_id)))
