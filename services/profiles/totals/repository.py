"""The per-block counts, one grouped query each over SHGs and their members."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class ShgBlockCount:
    district_lgd_code: str
    block_lgd_code: str
    shgs: int = 0
    with_bank: int = 0
    members: int = 0
    sc: int = 0
    st: int = 0
    obc: int = 0
    general: int = 0
    other: int = 0


# As the reports service counts them (its read models): members in their SHG's block,
# leavers ("inactive") left out, categories upper-cased.
_SHGS = """
SELECT district_lgd_code, block_lgd_code, count(*) AS shgs,
       count(*) FILTER (WHERE bank_account_masked <> '') AS with_bank
  FROM cbo WHERE cbo_type = 'SHG' AND state = :state
 GROUP BY 1, 2
"""

_MEMBERS = """
SELECT c.district_lgd_code, c.block_lgd_code, count(*) AS members,
       count(*) FILTER (WHERE upper(m.social_category) = 'SC') AS sc,
       count(*) FILTER (WHERE upper(m.social_category) = 'ST') AS st,
       count(*) FILTER (WHERE upper(m.social_category) = 'OBC') AS obc,
       count(*) FILTER (WHERE upper(m.social_category) IN ('GEN', 'GENERAL')) AS general
  FROM member m JOIN cbo c ON c.id = m.shg_id
 WHERE c.cbo_type = 'SHG' AND c.state = :state AND m.status <> 'inactive'
 GROUP BY 1, 2
"""


async def count_shgs_by_block(session: AsyncSession, state: str) -> list[ShgBlockCount]:
    shgs = {(r[0], r[1]): r for r in await session.execute(text(_SHGS), {"state": state})}
    members = {(r[0], r[1]): r for r in await session.execute(text(_MEMBERS), {"state": state})}
    out = []
    for key in sorted(set(shgs) | set(members)):
        s, m = shgs.get(key), members.get(key)
        counts = (int(m[2]), int(m[3]), int(m[4]), int(m[5]), int(m[6])) if m else (0,) * 5
        out.append(
            ShgBlockCount(
                key[0],
                key[1],
                shgs=int(s[2]) if s else 0,
                with_bank=int(s[3]) if s else 0,
                members=counts[0],
                sc=counts[1],
                st=counts[2],
                obc=counts[3],
                general=counts[4],
                other=counts[0] - sum(counts[1:]),
            )
        )
    return out
