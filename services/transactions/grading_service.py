"""Panchasutra grading from the live books (K1–K3), for one SHG or a whole block.

The books' figures come from a handful of set-based queries over every SHG asked for
(``grading_repository``); the rules are ``books/grading.py``; each grade is stored in
``cbo_grade`` with the indicator values, the books' figures behind them and the policy used, and
announced as ``transactions.grade.computed`` through the outbox — all in one transaction.

Who may compute: programme staff whose unit reaches the SHG (or the whole block, for a
block-wide run); K2 names the VO or a village committee as the grader, and the grade is a
reading of the books, so any staff reader reaching them may ask for it. Readers of the books
read the grades.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import asyncpg
from google.protobuf.message import Message

from lokos.catalogue import STAFF_READERS
from lokos.db import Database
from lokos.errors import NotFound, ValidationFailed
from lokos.outbox import add_events_copy
from lokos.principal import GeoPath, Principal
from lokos.transactions.v1 import grading_pb2 as gpb
from lokos.values import parse_uuid
from services.transactions import access, grading_repository, repository
from services.transactions.books import accounts as acc
from services.transactions.books.grading import GradingPolicy, PeriodBooks, grade
from services.transactions.books.grading_settings import (
    figures,
    graded_months,
    hundredths,
    indicators_json,
    meetings_due,
    month_end,
    policy_to_json,
)
from services.transactions.books.schedule import Frequency

# K3 "corpus": the SHG's own money — members' savings, funds held as corpus, the surplus and
# the year's income less expenses (credit balances); loans owed to a bank or federation are not.
_OWN_HEADS = tuple(
    h.code
    for h in acc.CHARTS[acc.CboType.SHG].heads.values()
    if h.code in (acc.COMPULSORY_SAVINGS, acc.VOLUNTARY_SAVINGS)
    or h.type in (acc.AccountType.FUND, acc.AccountType.INCOME, acc.AccountType.EXPENSE)
)


def _as_of(value: str, today: dt.date) -> dt.date:
    if not value:
        return today
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed.one("as_of", "must be a date as YYYY-MM-DD") from None
    if day > today:
        raise ValidationFailed.one("as_of", "must not be in the future")
    return day


def _where(row: asyncpg.Record) -> GeoPath:
    return GeoPath(
        row["state"],
        district=row["district_lgd_code"],
        block=row["block_lgd_code"],
        cbo_ids=(str(row["cbo_id"]),),
    )


def grade_view(row: asyncpg.Record | dict[str, Any]) -> gpb.GradeView:
    indicators = repository.loads(row["indicators"])
    policy = repository.loads(row["policy"])
    return gpb.GradeView(
        grade_id=str(row["grade_id"]),
        cbo_id=str(row["cbo_id"]),
        period_end=row["period_end"].isoformat(),
        periods=int(policy.get("graded_periods", policy.get("periods", 0))),
        score=row["score"],
        grade=row["grade"],
        passed=row["passed"],
        indicators=[
            gpb.IndicatorValue(
                indicator=name,
                value=v["value"],
                percent=v["percent"],
                weight=v["weight"],
                points=v["points"],
                numerator=v["numerator"],
                denominator=v["denominator"],
            )
            for name, v in indicators.items()
        ],
        policy_json=json.dumps(policy, sort_keys=True),
        computed_at=row["computed_at"].isoformat() if row.get("computed_at") else "",
        computed_by=row["computed_by"],
    )


class Grading:
    def __init__(self, db: Database, state: str, policy: GradingPolicy | None = None) -> None:
        self.db = db
        self.state = state
        self.policy = policy or GradingPolicy()

    async def compute(
        self, principal: Principal, req: gpb.ComputeGradesRequest, today: dt.date
    ) -> gpb.ComputeGradesResponse:
        if bool(req.cbo_id) == bool(req.block_lgd_code):
            raise ValidationFailed.one("cbo_id", "give either an SHG (cbo_id) or a block")
        as_of = _as_of(req.as_of, today)
        async with self.db.session() as session:
            conn = await repository.raw(session)
            if req.cbo_id:
                cid = parse_uuid(req.cbo_id, "cbo_id")
                shgs = await grading_repository.shgs_to_grade(conn, cbo_id=cid)
                if not shgs or not principal.can_reach(_where(shgs[0]), STAFF_READERS):
                    raise NotFound("books of this SHG not found", code="cbo_not_found")
            else:
                block = GeoPath(self.state, block=req.block_lgd_code)
                # The district is not known here; a block grant names the block itself, and
                # district or state grants reach it when one of its SHGs is theirs.
                shgs = await grading_repository.shgs_to_grade(
                    conn, state=self.state, block=req.block_lgd_code
                )
                reaches = principal.can_reach(block, STAFF_READERS) or (
                    bool(shgs) and principal.can_reach(_where(shgs[0]), STAFF_READERS)
                )
                if not reaches:
                    raise NotFound("no such block within your reach", code="block_not_found")
            answer, rows, events = await self._grade(conn, shgs, as_of, principal.user_id)
            await grading_repository.insert_grades(conn, rows)
            await add_events_copy(conn, events)
            await session.commit()
        return answer

    async def _grade(
        self,
        conn: asyncpg.Connection,
        shgs: Sequence[asyncpg.Record],
        as_of: dt.date,
        user: str,
    ) -> tuple[gpb.ComputeGradesResponse, list[tuple[Any, ...]], list[tuple[str, str, Message]]]:
        policy = self.policy
        answer = gpb.ComputeGradesResponse()
        months_of: dict[uuid.UUID, list[dt.date]] = {}
        for shg in shgs:
            months = graded_months(
                shg["cutoff_date"], Frequency(shg["frequency"]), as_of, policy.periods
            )
            if months:
                months_of[shg["cbo_id"]] = months
            else:
                answer.skipped.append(
                    gpb.SkippedShg(
                        cbo_id=str(shg["cbo_id"]),
                        reason="no complete month of books since the first expected meeting",
                    )
                )
        rows: list[tuple[Any, ...]] = []
        events: list[tuple[str, str, Message]] = []
        if not months_of:
            return answer, rows, events
        ids = list(months_of)
        start = min(m[0] for m in months_of.values())
        end = month_end(max(m[-1] for m in months_of.values()))
        facts: dict[tuple[uuid.UUID, dt.date], asyncpg.Record] = {
            (r["cbo_id"], r["month"]): r
            for r in await grading_repository.member_months(conn, ids, start, end)
        }
        held: dict[tuple[uuid.UUID, dt.date], asyncpg.Record] = {
            (r["cbo_id"], r["month"]): r
            for r in await grading_repository.meeting_months(conn, ids, start, end)
        }
        corpus_rows: dict[uuid.UUID, list[tuple[dt.date, int]]] = defaultdict(list)
        for r in await grading_repository.corpus_months(conn, ids, start, end, _OWN_HEADS):
            corpus_rows[r["cbo_id"]].append((r["month"], r["corpus"]))
        stored_policy = policy_to_json(policy)
        for shg in shgs:
            cid = shg["cbo_id"]
            if cid not in months_of:
                continue
            months = months_of[cid]
            due = meetings_due(shg["cutoff_date"], Frequency(shg["frequency"]), months)
            books = []
            for month in months:
                f = facts.get((cid, month))
                h = held.get((cid, month))
                books.append(
                    PeriodBooks(
                        meetings_due=due[month],
                        meetings_held=h["held"] if h else 0,
                        attendance_present=f["present"] if f else 0,
                        attendance_expected=f["expected"] if f else 0,
                        members=f["members"] if f else 0,
                        members_full_savings=f["members_full"] if f else 0,
                        lent=f["lent"] if f else 0,
                        corpus=max(_corpus_at(corpus_rows[cid], month), 0),
                        demand=f["demand"] if f else 0,
                        collected_against_demand=f["collected"] if f else 0,
                        meeting_dates=tuple(h["dates"]) if h else (),
                        approval_dates=tuple(h["approved"]) if h else (),
                    )
                )
            result = grade(books, policy)
            counts = figures(books, policy)
            period_end = month_end(months[-1])
            grade_id = uuid.uuid4()
            score = hundredths(result.score)
            indicators = indicators_json(result, counts)
            used = {**stored_policy, "graded_periods": result.periods}
            rows.append(
                (
                    grade_id,
                    cid,
                    shg["cbo_type"],
                    shg["state"],
                    period_end,
                    score,
                    result.grade,
                    result.passed,
                    indicators,
                    used,
                    user,
                )
            )
            answer.grades.append(
                grade_view(
                    {
                        "grade_id": grade_id,
                        "cbo_id": cid,
                        "period_end": period_end,
                        "score": score,
                        "grade": result.grade,
                        "passed": result.passed,
                        "indicators": indicators,
                        "policy": used,
                        "computed_by": user,
                    }
                )
            )
            answer.by_grade[result.grade] += 1
            events.append(
                (
                    "transactions.grade.computed",
                    shg["state"],
                    gpb.GradeEvent(
                        grade_id=str(grade_id),
                        cbo_id=str(cid),
                        cbo_type=shg["cbo_type"],
                        block_lgd_code=shg["block_lgd_code"],
                        district_lgd_code=shg["district_lgd_code"],
                        period_end=period_end.isoformat(),
                        score=score,
                        grade=result.grade,
                        passed=result.passed,
                        percent={k: v["percent"] for k, v in indicators.items()},
                    ),
                )
            )
        return answer, rows, events

    async def list(self, principal: Principal, cbo_id: str) -> gpb.ListGradesResponse:
        cid = parse_uuid(cbo_id, "cbo_id")
        async with self.db.read_session() as session:
            conn = await repository.raw(session)
            row = await repository.cbo_with_parents(conn, cid)
            if row is None:
                raise NotFound("books of this CBO not found", code="cbo_not_found")
            access.require_reader(principal, access.where(row))
            rows = await grading_repository.grades(conn, cid)
        return gpb.ListGradesResponse(grades=[grade_view(r) for r in rows])


def _corpus_at(months: list[tuple[dt.date, int]], month: dt.date) -> int:
    """The corpus at the end of ``month``: the last month with postings on or before it."""
    value = 0
    for m, corpus in months:
        if m > month:
            break
        value = corpus
    return value
