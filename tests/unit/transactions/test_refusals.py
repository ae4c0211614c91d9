"""What the core refuses, with the field named, and the cut-off sheet's balancing."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from services.transactions.books import accounts as acc
from services.transactions.books.cutoff import check_cutoff
from services.transactions.books.meeting import (
    Contra,
    MeetingRefused,
    MemberLine,
    Repayment,
    books_after,
    record_meeting,
)
from services.transactions.books.money import rupees
from services.transactions.books.policy import BookPolicy
from tests.unit.transactions.worked_meeting import SB, meeting_25, opening_books, opening_sheet

TODAY = dt.date(2026, 1, 10)


def refused_fields(meeting_changes: dict[str, object], today: dt.date = TODAY) -> set[str]:
    m = dataclasses.replace(meeting_25(), **meeting_changes)  # type: ignore[arg-type]
    with pytest.raises(MeetingRefused) as exc:
        record_meeting(opening_books(), m, today)
    return {e.field for e in exc.value.errors}


def with_member(index: int, **changes: object) -> tuple[MemberLine, ...]:
    lines = list(meeting_25().members)
    lines[index] = dataclasses.replace(lines[index], **changes)  # type: ignore[arg-type]
    return tuple(lines)


def test_negative_and_fractional_amounts_name_the_field() -> None:
    assert "members[0].compulsory" in refused_fields({"members": with_member(0, compulsory=-100)})
    assert "members[1].voluntary" in refused_fields({"members": with_member(1, voluntary=10.5)})
    absurd = BookPolicy().max_line_amount + 1
    assert "members[0].compulsory" in refused_fields({"members": with_member(0, compulsory=absurd)})


def test_unknown_member_and_loan() -> None:
    assert "members[0].member_id" in refused_fields({"members": with_member(0, member_id="M99")})
    bad_loan = with_member(2, repayments=(Repayment("L-NOPE", rupees(100)),))
    assert "members[2].repayments[0].loan_id" in refused_fields({"members": bad_loan})
    # someone else's loan
    other = with_member(0, repayments=(Repayment("L-M03", rupees(100)),))
    assert "members[0].repayments[0].loan_id" in refused_fields({"members": other})


def test_future_and_out_of_order_meetings() -> None:
    assert "date" in refused_fields({}, today=dt.date(2026, 1, 9))
    assert "number" in refused_fields({"number": 26})
    assert "date" in refused_fields({"date": dt.date(2025, 12, 1)})


def test_cash_never_below_zero() -> None:
    fields = refused_fields(
        {"contras": (Contra("CASH", SB, rupees(10_000)),), "passbook": {SB: rupees(48_600)}}
    )
    assert "cash_counted" in fields


def test_repayment_beyond_the_loan_is_refused() -> None:
    too_much = with_member(2, repayments=(Repayment("L-M03", rupees(5_000)),))
    assert "members[2].repayments[0].amount" in refused_fields({"members": too_much})


def test_refusal_changes_nothing() -> None:
    books = opening_books()
    before = dict(books.balances.by_account)
    with pytest.raises(MeetingRefused):
        record_meeting(books, dataclasses.replace(meeting_25(), number=30), TODAY)
    assert dict(books.balances.by_account) == before


def test_cutoff_must_balance() -> None:
    chart = acc.CHARTS[acc.CboType.SHG]
    sheet = dataclasses.replace(opening_sheet(), surplus=rupees(4_000))
    with pytest.raises(MeetingRefused) as exc:
        check_cutoff(sheet, chart, BookPolicy())
    assert exc.value.errors[0].field == "surplus"
    assert "difference 329.00" in exc.value.errors[0].message


def test_next_meeting_opens_on_the_closing() -> None:
    books = opening_books()
    after = books_after(books, record_meeting(books, meeting_25(), TODAY))
    assert after.location_balance("CASH") == rupees(1_566)
    assert after.location_balance(SB) == rupees(42_600)
    assert after.cs_arrears["M15"] == rupees(200)


def test_a_new_shg_opens_at_zero() -> None:
    chart = acc.CHARTS[acc.CboType.SHG]
    sheet = dataclasses.replace(
        opening_sheet(),
        last_paper_meeting=0,  # a new SHG (I1: an old one brings its balances)
        cash=0,
        banks={},
        loans=(),
        funds={},
        surplus=0,
        members=tuple(
            dataclasses.replace(m, compulsory=0, voluntary=0) for m in opening_sheet().members
        ),
    )
    result = check_cutoff(sheet, chart, BookPolicy())
    assert result.entry is None and result.total_assets == 0
