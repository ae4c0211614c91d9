"""The SHG duplicate flag: a similar SHG name in the same village, or members shared with
another SHG (a confirmed duplicate across two SHGs: a woman belongs to one SHG at a time).

Flags are recomputed for every SHG of the villages an SHG event touches (a village holds a
handful of SHGs) and for the SHGs of members whose checks changed; a change of flag emits
``dedup.shg.flagged`` for profiles' reads.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

import asyncpg
from anyascii import anyascii
from rapidfuzz import fuzz

from lokos.dedup.v1 import dedup_pb2
from lokos.outbox import add_events_copy
from services.dedup import names

SAME_NAME, OVERLAPPING = "same_name_in_village", "overlapping_members"
# Words nearly every SHG name carries: they say nothing about which group it is.
_GENERIC = frozenset(
    [
        "shg",
        "swayam",
        "sahayata",
        "sahayta",
        "samuh",
        "samooh",
        "samuha",
        "self",
        "help",
        "group",
        "groups",
        "mahila",
        "mahilaa",
        "sangha",
        "sangh",
        "sangam",
        "mandal",
        "mandali",
        "sanghatan",
        "samiti",
        "krishak",
        "kisan",
        "svayam",
        "sahay",
        "sahayak",
        "no",
        "number",
        "the",
        "of",
        "and",
    ]
)
_WORD = re.compile(r"[a-z0-9]+")
SHG_NAME_THRESHOLD = 90.0


def shg_name_key(name: str) -> str:
    """An SHG's name without its generic words, folded like a person's name; group numbers
    ("Durga SHG 2") stay, so numbered groups of one village are told apart."""
    words = [w for w in _WORD.findall(anyascii(name[:200]).lower()) if w not in _GENERIC]
    digits = [w for w in words if w.isdigit()]
    form = names.name_form(" ".join(w for w in words if not w.isdigit()))
    # Folding can lengthen a name (x → ks, restored vowels); the column holds 200.
    return " ".join([form.folded, *digits]).strip()[:200]


def similar_names(a: str, b: str) -> bool:
    if not a or not b:
        return False
    if any(w.isdigit() for w in a.split()) or any(w.isdigit() for w in b.split()):
        return a == b
    return fuzz.token_sort_ratio(a, b) >= SHG_NAME_THRESHOLD


_UPSERT_SHGS = """
INSERT INTO shg_index (shg_id, code, state, block_lgd_code, village_lgd_code, name,
                       name_folded, active, version)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::bool[], $9::bigint[])
ON CONFLICT (shg_id) DO UPDATE SET
    code = EXCLUDED.code, state = EXCLUDED.state, block_lgd_code = EXCLUDED.block_lgd_code,
    village_lgd_code = EXCLUDED.village_lgd_code, name = EXCLUDED.name,
    name_folded = EXCLUDED.name_folded, active = EXCLUDED.active, version = EXCLUDED.version
WHERE shg_index.version <= EXCLUDED.version
RETURNING shg_id
"""


async def upsert_shgs(
    conn: asyncpg.Connection,
    shgs: Iterable[tuple[uuid.UUID, str, str, str, str, str, bool, int]],
) -> set[uuid.UUID]:
    """Index SHGs ``(id, code, state, block, village, name, active, version)``; returns the
    SHGs to re-flag: the changed ones and every SHG of their old and new villages."""
    rows = list({s[0]: s for s in shgs}.values())
    if not rows:
        return set()
    ids = [r[0] for r in rows]
    before = await conn.fetch(
        "SELECT state, village_lgd_code FROM shg_index WHERE shg_id = ANY($1::uuid[])", ids
    )
    await conn.fetch(
        _UPSERT_SHGS,
        ids,
        [r[1] for r in rows],
        [r[2] for r in rows],
        [r[3] for r in rows],
        [r[4] for r in rows],
        [r[5] for r in rows],
        [shg_name_key(r[5]) for r in rows],
        [r[6] for r in rows],
        [r[7] for r in rows],
    )
    villages = {(b[0], b[1]) for b in before} | {(r[2], r[4]) for r in rows}
    villages.discard(("", ""))
    neighbours = await conn.fetch(
        """
        SELECT shg_id FROM shg_index
        JOIN unnest($1::text[], $2::text[]) AS v(state, village)
          ON shg_index.state = v.state AND shg_index.village_lgd_code = v.village
        WHERE v.village <> ''
        """,
        [v[0] for v in villages],
        [v[1] for v in villages],
    )
    return set(ids) | {n[0] for n in neighbours}


_OVERLAPPING = """
SELECT s.shg_id FROM unnest($1::uuid[]) AS s(shg_id)
WHERE EXISTS (
    SELECT 1 FROM member_index a
    JOIN duplicate_match d ON d.member_id = a.member_id AND d.kind = 'confirmed'
    JOIN member_index b ON b.member_id = d.other_id
    WHERE a.shg_id = s.shg_id AND a.active AND b.active AND b.shg_id <> s.shg_id
) OR EXISTS (
    SELECT 1 FROM member_index a
    JOIN duplicate_match d ON d.other_id = a.member_id AND d.kind = 'confirmed'
    JOIN member_index b ON b.member_id = d.member_id
    WHERE a.shg_id = s.shg_id AND a.active AND b.active AND b.shg_id <> s.shg_id
)
"""


async def refresh_flags(conn: asyncpg.Connection, shg_ids: Iterable[uuid.UUID]) -> int:
    """Recompute the flags of ``shg_ids`` (those indexed); emit an event for each change."""
    ids = sorted(set(shg_ids), key=lambda u: u.int)
    if not ids:
        return 0
    shgs = await conn.fetch(
        "SELECT shg_id, state, village_lgd_code, name_folded, active, flagged, reasons"
        " FROM shg_index WHERE shg_id = ANY($1::uuid[])",
        ids,
    )
    if not shgs:
        return 0
    villages = {(s["state"], s["village_lgd_code"]) for s in shgs if s["village_lgd_code"]}
    peers = await conn.fetch(
        """
        SELECT shg_id, state, village_lgd_code, name_folded FROM shg_index
        JOIN unnest($1::text[], $2::text[]) AS v(st, village)
          ON state = v.st AND village_lgd_code = v.village
        WHERE active
        """,
        [v[0] for v in villages],
        [v[1] for v in villages],
    )
    by_village: dict[tuple[str, str], list[asyncpg.Record]] = {}
    for p in peers:
        by_village.setdefault((p["state"], p["village_lgd_code"]), []).append(p)
    overlapping = {r[0] for r in await conn.fetch(_OVERLAPPING, [s["shg_id"] for s in shgs])}
    changes: list[tuple[uuid.UUID, bool, list[str]]] = []
    for s in shgs:
        reasons: list[str] = []
        if s["active"]:
            same = any(
                p["shg_id"] != s["shg_id"] and similar_names(s["name_folded"], p["name_folded"])
                for p in by_village.get((s["state"], s["village_lgd_code"]), [])
            )
            if same:
                reasons.append(SAME_NAME)
            if s["shg_id"] in overlapping:
                reasons.append(OVERLAPPING)
        if bool(reasons) != s["flagged"] or reasons != list(s["reasons"]):
            changes.append((s["shg_id"], bool(reasons), reasons))
    if not changes:
        return 0
    rows = await conn.fetch(
        """
        UPDATE shg_index SET flagged = t.flagged, reasons = string_to_array(t.reasons, ','),
               flag_version = flag_version + 1
        FROM unnest($1::uuid[], $2::bool[], $3::text[]) AS t(shg_id, flagged, reasons)
        WHERE shg_index.shg_id = t.shg_id
        RETURNING shg_index.shg_id, shg_index.state, shg_index.flagged, shg_index.reasons,
                  shg_index.flag_version
        """,
        [c[0] for c in changes],
        [c[1] for c in changes],
        [",".join(c[2]) for c in changes],
    )
    await add_events_copy(
        conn,
        (
            (
                "dedup.shg.flagged",
                r["state"],
                dedup_pb2.ShgFlagged(
                    shg_id=str(r["shg_id"]),
                    flagged=r["flagged"],
                    reasons=[x for x in r["reasons"] if x],
                    flag_version=r["flag_version"],
                ),
            )
            for r in rows
        ),
    )
    return len(rows)
