"""A state's SHG books per block, counted from the meetings (not from events): what
``lokos reports verify`` compares the reports' read models with."""

from __future__ import annotations

from lokos.catalogue import TOTALS_READERS
from lokos.db import Database
from lokos.errors import PermissionDenied
from lokos.principal import Principal
from lokos.transactions.v1 import transactions_pb2 as pb
from services.transactions import repository

# As the reports service counts them (its read models): approved meetings only; the loans
# outstanding of an SHG are those at its last approved meeting.
_BOOKS = """
WITH approved AS (
    SELECT m.cbo_id, m.number, c.district_lgd_code, c.block_lgd_code,
           coalesce((m.result -> 'totals' ->> 'compulsory')::bigint, 0) AS compulsory,
           coalesce((m.result -> 'totals' ->> 'voluntary')::bigint, 0) AS voluntary,
           coalesce((m.result -> 'totals' ->> 'loans_outstanding')::bigint, 0) AS outstanding
      FROM meeting m JOIN cbo c ON c.cbo_id = m.cbo_id
     WHERE m.status = 'APPROVED' AND c.cbo_type = 'SHG' AND c.state = $1),
per_shg AS (
    SELECT cbo_id, district_lgd_code, block_lgd_code, sum(compulsory) AS compulsory,
           sum(voluntary) AS voluntary,
           (array_agg(outstanding ORDER BY number DESC))[1] AS outstanding
      FROM approved GROUP BY 1, 2, 3)
SELECT district_lgd_code, block_lgd_code, count(*) AS with_transactions,
       sum(compulsory)::bigint AS compulsory, sum(voluntary)::bigint AS voluntary,
       sum(outstanding)::bigint AS loan_outstanding
  FROM per_shg GROUP BY 1, 2 ORDER BY 1, 2
"""


async def count_books_by_block(db: Database, caller: Principal) -> pb.CountBooksByBlockResponse:
    """Per block of the caller's state; a service or a state-wide totals reader only."""
    if not (caller.is_system or caller.reach(TOTALS_READERS) is None):
        raise PermissionDenied("only a state administrator may read the state's totals")
    async with db.read_session() as session:
        rows = await (await repository.raw(session)).fetch(_BOOKS, caller.state)
    return pb.CountBooksByBlockResponse(blocks=[pb.BookBlockCount(**dict(r.items())) for r in rows])
