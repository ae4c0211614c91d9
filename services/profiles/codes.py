"""Codes issued when a CBO or member is first activated (approved).

Format (unique per state because LGD block and village codes are unique nationally):

| record | code | example |
| --- | --- | --- |
| SHG | ``S`` + block LGD code + 5-digit serial within the block | ``S1001000017`` |
| VO | ``V`` + block LGD code + 4-digit serial | ``V10010003`` |
| CLF | ``C`` + block LGD code + 3-digit serial | ``C1001002`` |
| member | ``M`` + village LGD code (block's when none) + 5-digit serial | ``M12345600042`` |

Serials come from ``code_counter`` rows updated in the approving transaction, so two checkers
approving at once get different numbers and an aborted approval issues none.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_WIDTH = {"S": 5, "V": 4, "C": 3, "M": 5}
TYPE_LETTER = {"SHG": "S", "VO": "V", "CLF": "C", "member": "M"}


async def next_code(session: AsyncSession, kind: str, lgd_code: str) -> str:
    letter = TYPE_LETTER[kind]
    prefix = f"{letter}{lgd_code}"
    serial = (
        await session.execute(
            text(
                "INSERT INTO code_counter (prefix, next_value) VALUES (:p, 2)"
                " ON CONFLICT (prefix) DO UPDATE SET next_value = code_counter.next_value + 1"
                " RETURNING next_value - 1"
            ),
            {"p": prefix},
        )
    ).scalar_one()
    return f"{prefix}{int(serial):0{_WIDTH[letter]}d}"
