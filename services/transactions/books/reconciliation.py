"""One movement, two books (F5): giver's and receiver's records of a fund transfer must agree.

A transfer is recorded once, in the book of whoever records it first; the other book gets a
pending counterpart to confirm at its next meeting. The reconciliation report lists what is still
unconfirmed and what was confirmed with a different amount, by age, so that block staff chase the
oldest first.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date

from services.transactions.books.money import Paise

# Ageing buckets of the report, in days since the transfer was first recorded.
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-30", 0, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("90+", 91, None),
)


class Status(enum.StrEnum):
    MATCHED = "MATCHED"
    UNMATCHED = "UNMATCHED"  # the other book has not confirmed it yet
    MISMATCHED = "MISMATCHED"  # confirmed with another amount


@dataclass(frozen=True)
class Transfer:
    """A fund movement as both books see it."""

    transfer_id: str
    fund: str
    giver: str  # CBO (or the state mission) that pays
    receiver: str  # CBO that receives
    amount: Paise  # as first recorded
    recorded_on: date
    confirmed_amount: Paise | None = None  # as the other book confirmed it
    confirmed_on: date | None = None


@dataclass(frozen=True)
class Discrepancy:
    transfer: Transfer
    status: Status
    difference: Paise  # confirmed − recorded; the whole amount while unconfirmed
    age_days: int
    bucket: str


def status_of(transfer: Transfer) -> Status:
    if transfer.confirmed_amount is None:
        return Status.UNMATCHED
    if transfer.confirmed_amount != transfer.amount:
        return Status.MISMATCHED
    return Status.MATCHED


def bucket_of(age_days: int) -> str:
    for name, low, high in AGE_BUCKETS:
        if age_days >= low and (high is None or age_days <= high):
            return name
    raise ValueError(f"age cannot be negative: {age_days}")


def reconcile(transfers: Iterable[Transfer], on: date) -> Iterator[Discrepancy]:
    """Every transfer whose two books do not agree on ``on``, in the order given."""
    for transfer in transfers:
        status = status_of(transfer)
        if status is Status.MATCHED:
            continue
        confirmed = transfer.confirmed_amount
        difference = -transfer.amount if confirmed is None else confirmed - transfer.amount
        age = max((on - transfer.recorded_on).days, 0)
        yield Discrepancy(transfer, status, difference, age, bucket_of(age))


def summary(discrepancies: Iterable[Discrepancy]) -> Mapping[tuple[Status, str], tuple[int, Paise]]:
    """Count and amount in question per (status, age bucket) — the report's header table."""
    counts: Counter[tuple[Status, str]] = Counter()
    amounts: Counter[tuple[Status, str]] = Counter()
    for item in discrepancies:
        key = (item.status, item.bucket)
        counts[key] += 1
        amounts[key] += abs(item.difference)
    return {key: (counts[key], amounts[key]) for key in counts}
