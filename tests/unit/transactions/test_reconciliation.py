"""Fund transfers recorded in two books (F5): the reconciliation lists what does not agree."""

from __future__ import annotations

from datetime import date

import pytest

from services.transactions.books.money import rupees
from services.transactions.books.reconciliation import (
    Status,
    Transfer,
    bucket_of,
    reconcile,
    summary,
)

ON = date(2026, 11, 30)


def _transfer(tid: str, recorded_on: date, confirmed: int | None, amount: int = 50_000) -> Transfer:
    return Transfer(
        transfer_id=tid,
        fund="CIF",
        giver="VO-1",
        receiver="SHG-" + tid,
        amount=rupees(amount),
        recorded_on=recorded_on,
        confirmed_amount=None if confirmed is None else rupees(confirmed),
        confirmed_on=None if confirmed is None else recorded_on,
    )


def test_matched_transfers_are_not_listed() -> None:
    assert list(reconcile([_transfer("1", date(2026, 11, 1), 50_000)], ON)) == []


def test_unconfirmed_and_mismatched_are_listed_with_age_and_difference() -> None:
    found = list(
        reconcile(
            [
                _transfer("1", date(2026, 11, 1), 50_000),
                _transfer("2", date(2026, 11, 20), None),  # 10 days waiting
                _transfer("3", date(2026, 7, 1), 45_000),  # confirmed ₹5,000 short, 152 days
            ],
            ON,
        )
    )
    assert [
        (d.transfer.transfer_id, d.status, d.difference, d.age_days, d.bucket) for d in found
    ] == [
        ("2", Status.UNMATCHED, -rupees(50_000), 10, "0-30"),
        ("3", Status.MISMATCHED, -rupees(5_000), 152, "90+"),
    ]
    assert summary(found) == {
        (Status.UNMATCHED, "0-30"): (1, rupees(50_000)),
        (Status.MISMATCHED, "90+"): (1, rupees(5_000)),
    }


@pytest.mark.parametrize(
    ("age", "bucket"), [(0, "0-30"), (30, "0-30"), (31, "31-60"), (90, "61-90"), (91, "90+")]
)
def test_age_buckets_have_no_gaps(age: int, bucket: str) -> None:
    assert bucket_of(age) == bucket


def test_a_negative_age_is_a_bug_not_a_bucket() -> None:
    with pytest.raises(ValueError, match="negative"):
        bucket_of(-1)
