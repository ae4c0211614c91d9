"""Tables of the transactions database.

- ``cbo`` and ``member``: this service's own copy of what profiles says (from ``profiles.*``
  events): where a CBO sits, its parent federation (for the approver's scope), who is an active
  member since when. Never read from profiles' tables.
- ``book``: one row per CBO's books — the latest settings, the last meeting, the cut-off and its
  maker-checker state. Its row lock serialises every write to one CBO's books.
- ``book_setting``: frequency and compulsory savings as dated settings.
- ``meeting``: the meeting as captured (``payload``) and as computed (``result``), its status
  and what undoing it needs (``undo``: loans before it, arrears before it).
- ``meeting_member``: each member's row of a meeting, for the passbook.
- ``journal_entry`` / ``posting``: the double-entry ledger. A deferred constraint trigger refuses
  any transaction that leaves an entry's postings not summing to zero (see migrations 0002 and
  0005; ``entry_check`` is its queue of the entries a transaction touched).
- ``loan``: each member loan with its schedule and what was paid against each instalment.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lokos.audit import audit_table
from lokos.consumer import inbox_table
from lokos.db import new_metadata
from lokos.outbox import outbox_table


class TransactionsBase(DeclarativeBase):
    metadata = new_metadata()


metadata = TransactionsBase.metadata
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
audit_log = audit_table(metadata)

_EMPTY = text("''")


class CboCopy(TransactionsBase):
    __tablename__ = "cbo"

    cbo_id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    cbo_type: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16))
    district_lgd_code: Mapped[str] = mapped_column(String(16), server_default=_EMPTY)
    block_lgd_code: Mapped[str] = mapped_column(String(16), server_default=_EMPTY)
    panchayat_lgd_code: Mapped[str] = mapped_column(String(16), server_default=_EMPTY)
    village_lgd_code: Mapped[str] = mapped_column(String(16), server_default=_EMPTY)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(UUID)
    status: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(BigInteger)
    # C1: lending starts a set number of days after formation.
    formed_on: Mapped[date | None] = mapped_column(Date)


class MemberCopy(TransactionsBase):
    __tablename__ = "member"

    member_id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    shg_id: Mapped[uuid.UUID] = mapped_column(UUID, index=True)
    status: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(BigInteger)
    # Dates the membership changed as profiles reported them; "active on a date" reads these.
    active_since: Mapped[date | None] = mapped_column(Date)
    inactive_since: Mapped[date | None] = mapped_column(Date)
    # She left on an approved leaving date (inactive_since is the day after it): a member on
    # the days before. An inactive record without one is not a member on any date.
    left_shg: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


class Book(TransactionsBase):
    __tablename__ = "book"

    cbo_id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    cbo_type: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16))
    frequency: Mapped[str] = mapped_column(String(16))
    compulsory_amount: Mapped[int] = mapped_column(BigInteger)
    policy: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    last_number: Mapped[int] = mapped_column(Integer)
    last_date: Mapped[date] = mapped_column(Date)
    cs_arrears: Mapped[dict[str, int]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    cutoff_client_id: Mapped[str] = mapped_column(String(64))
    cutoff_status: Mapped[str] = mapped_column(String(16))
    cutoff_date: Mapped[date] = mapped_column(Date)
    cutoff_last_paper_meeting: Mapped[int] = mapped_column(Integer)
    cutoff_payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    cutoff_total: Mapped[int] = mapped_column(BigInteger)
    maker: Mapped[str] = mapped_column(String(64))
    checker: Mapped[str] = mapped_column(String(64), server_default=_EMPTY)
    remarks: Mapped[str] = mapped_column(Text, server_default=_EMPTY)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class BankAccountRow(TransactionsBase):
    __tablename__ = "bank_account"

    cbo_id: Mapped[uuid.UUID] = mapped_column(
        UUID, ForeignKey("book.cbo_id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    drawing_power: Mapped[int] = mapped_column(BigInteger, server_default="0")


class BookSetting(TransactionsBase):
    """Dated settings (A2, B1): what is in force at a meeting is the latest row on or before its
    date. The cut-off writes the first one; groups raise their savings over time."""

    __tablename__ = "book_setting"

    cbo_id: Mapped[uuid.UUID] = mapped_column(
        UUID, ForeignKey("book.cbo_id", ondelete="CASCADE"), primary_key=True
    )
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    frequency: Mapped[str] = mapped_column(String(16))
    compulsory_amount: Mapped[int] = mapped_column(BigInteger)
    set_by: Mapped[str] = mapped_column(String(64))


class MeetingRow(TransactionsBase):
    __tablename__ = "meeting"
    __table_args__ = (
        Index("uq_meeting_client", "cbo_id", "client_id", unique=True),
        # One live meeting per number; rejected ones stay as history.
        Index(
            "uq_meeting_number_live",
            "cbo_id",
            "number",
            unique=True,
            postgresql_where=text("status <> 'REJECTED'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=uuid.uuid4)
    cbo_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("book.cbo_id"))
    client_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[int] = mapped_column(Integer)
    date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # CLOSED, APPROVED, REJECTED
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    result: Mapped[dict[str, Any]] = mapped_column(JSONB)
    undo: Mapped[dict[str, Any]] = mapped_column(JSONB)
    maker: Mapped[str] = mapped_column(String(64))
    checker: Mapped[str] = mapped_column(String(64), server_default=_EMPTY)
    remarks: Mapped[str] = mapped_column(Text, server_default=_EMPTY)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MeetingMemberRow(TransactionsBase):
    """Each member's row of a meeting (due, paid, arrear, totals after it): the passbook (R9)
    reads one member's rows by index instead of unpacking every meeting's result."""

    __tablename__ = "meeting_member"
    __table_args__ = (Index("ix_meeting_member_passbook", "cbo_id", "member_id", "number"),)

    meeting_id: Mapped[uuid.UUID] = mapped_column(
        UUID, ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    cbo_id: Mapped[uuid.UUID] = mapped_column(UUID)
    number: Mapped[int] = mapped_column(Integer)
    row: Mapped[dict[str, Any]] = mapped_column(JSONB)


class JournalEntryRow(TransactionsBase):
    __tablename__ = "journal_entry"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    cbo_id: Mapped[uuid.UUID] = mapped_column(UUID, index=True)
    meeting_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID, ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    entry_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(32))
    narration: Mapped[str] = mapped_column(Text, server_default=_EMPTY)
    # A6/E5: the entry this one reverses; an entry is reversed at most once.
    reverses: Mapped[int | None] = mapped_column(BigInteger, unique=True)


class PostingRow(TransactionsBase):
    __tablename__ = "posting"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="nonzero"),
        # Covering: balances as of a date are an index-only scan of one CBO's postings.
        Index(
            "ix_posting_cbo_date",
            "cbo_id",
            "entry_date",
            postgresql_include=["head", "sub", "amount"],
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("journal_entry.id", ondelete="CASCADE"), index=True
    )
    cbo_id: Mapped[uuid.UUID] = mapped_column(UUID)
    entry_date: Mapped[date] = mapped_column(Date)
    head: Mapped[str] = mapped_column(String(32))
    sub: Mapped[str] = mapped_column(String(64), server_default=_EMPTY)
    # Signed paise: debit positive, credit negative (the entry's postings sum to zero).
    amount: Mapped[int] = mapped_column(BigInteger)


class AccountBalanceRow(TransactionsBase):
    """The running balance of each account of a CBO over every live posting (pending meetings
    included), kept by statement triggers on ``posting`` (migration 0003) so that no write path
    can forget it: current balances, the trial balance and the meeting pack read these few rows
    instead of summing the whole journal."""

    __tablename__ = "account_balance"

    cbo_id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    head: Mapped[str] = mapped_column(String(32), primary_key=True)
    sub: Mapped[str] = mapped_column(String(64), primary_key=True)
    balance: Mapped[int] = mapped_column(BigInteger)


class EntryCheck(TransactionsBase):
    """The entries a transaction wrote postings of, each checked once at commit (E4) by the
    deferred trigger of migration 0005, which takes it off again: empty outside transactions."""

    __tablename__ = "entry_check"
    __table_args__ = {"prefixes": ["UNLOGGED"]}

    entry_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class LoanRow(TransactionsBase):
    __tablename__ = "loan"

    cbo_id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    loan_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(64), server_default=_EMPTY)
    meeting_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID, ForeignKey("meeting.id", ondelete="CASCADE")
    )
    # LoanState as JSON (terms, schedule, paid per instalment, penalty due).
    state: Mapped[dict[str, Any]] = mapped_column(JSONB)
    outstanding: Mapped[int] = mapped_column(BigInteger)
    closed: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


class CboGrade(TransactionsBase):
    """A Panchasutra grade (K1–K3) as computed from the CBO's books, stored with every value it
    was computed from so it can be explained later; RF, CIF and bank eligibility read the latest
    one on or before a date."""

    __tablename__ = "cbo_grade"
    __table_args__ = (Index("ix_cbo_grade_cbo_period", "cbo_id", "period_end"),)

    grade_id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    cbo_id: Mapped[uuid.UUID] = mapped_column(UUID)
    cbo_type: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16))
    # The last day of the periods graded, and when and by whom it was computed.
    period_end: Mapped[date] = mapped_column(Date)
    score: Mapped[str] = mapped_column(String(16))  # exact decimal as text, e.g. "84.02"
    grade: Mapped[str] = mapped_column(String(4))
    passed: Mapped[bool] = mapped_column(Boolean)
    # Indicator → {"value": "<fraction>", "weight": n, "points": "<decimal>"}; the policy used.
    indicators: Mapped[dict[str, Any]] = mapped_column(JSONB)
    policy: Mapped[dict[str, Any]] = mapped_column(JSONB)
    computed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    computed_by: Mapped[str] = mapped_column(String(64))


class FundTransferRow(TransactionsBase):
    """One movement of community funds (F1–F5): recorded once, in the giver's book (a release
    from the state mission has no book here), approved by the giver tier's approver, confirmed
    by the receiver, whose book then gets its side. ``matched``: both books agree — the
    reconciliation report (R4, F5) reads the rest through a partial index per block."""

    __tablename__ = "fund_transfer"
    __table_args__ = (
        Index("uq_fund_transfer_client", "client_id", unique=True),
        Index("ix_fund_transfer_giver", "giver_id"),
        Index("ix_fund_transfer_receiver", "receiver_id", "loan_id"),
        Index(
            "ix_fund_transfer_open",
            "state",
            "block_lgd_code",
            "transfer_date",
            postgresql_where=text("NOT matched AND status <> 'REJECTED'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    movement: Mapped[str] = mapped_column(String(16))  # RELEASE, GRANT, LOAN, REPAYMENT
    fund: Mapped[str] = mapped_column(String(16))
    giver_id: Mapped[uuid.UUID | None] = mapped_column(UUID)  # None: the state mission
    giver_tier: Mapped[str] = mapped_column(String(8))
    receiver_id: Mapped[uuid.UUID] = mapped_column(UUID)
    receiver_tier: Mapped[str] = mapped_column(String(8))
    amount: Mapped[int] = mapped_column(BigInteger)
    principal: Mapped[int] = mapped_column(BigInteger, server_default="0")
    interest: Mapped[int] = mapped_column(BigInteger, server_default="0")
    mode: Mapped[str] = mapped_column(String(8))
    giver_account: Mapped[str] = mapped_column(String(64), server_default=_EMPTY)
    transfer_date: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(Text, server_default=_EMPTY)
    loan_id: Mapped[str] = mapped_column(String(64), server_default=_EMPTY)
    status: Mapped[str] = mapped_column(String(16))  # PENDING, APPROVED, REJECTED
    confirmed_amount: Mapped[int | None] = mapped_column(BigInteger)
    confirmed_on: Mapped[date | None] = mapped_column(Date)
    confirmed_by: Mapped[str] = mapped_column(String(64), server_default=_EMPTY)
    matched: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # The two books' entries (none yet for a side not written); a rejection deletes the giver's.
    giver_entry_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("journal_entry.id", ondelete="SET NULL")
    )
    receiver_entry_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("journal_entry.id", ondelete="SET NULL")
    )
    # REPAYMENT: the lender's loan state before it, restored if the repayment is rejected.
    undo: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    maker: Mapped[str] = mapped_column(String(64))
    checker: Mapped[str] = mapped_column(String(64), server_default=_EMPTY)
    remarks: Mapped[str] = mapped_column(Text, server_default=_EMPTY)
    block_lgd_code: Mapped[str] = mapped_column(String(16), server_default=_EMPTY)
    district_lgd_code: Mapped[str] = mapped_column(String(16), server_default=_EMPTY)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class BankLoanRow(TransactionsBase):
    """A term loan or cash-credit limit the SHG's bank sanctioned (G2), with the portal's
    Template-1 fields (G8). The SHG's liability to the bank is the ledger's ``BANK_LOAN`` head
    per loan account, apart from the member loans it funds (``LOAN_BANK_*``, G7)."""

    __tablename__ = "bank_loan"
    __table_args__ = (
        CheckConstraint("amount > 0", name="positive"),
        Index("uq_bank_loan_client", "cbo_id", "client_id", unique=True),
    )

    cbo_id: Mapped[uuid.UUID] = mapped_column(
        UUID, ForeignKey("book.cbo_id", ondelete="CASCADE"), primary_key=True
    )
    loan_account: Mapped[str] = mapped_column(String(32), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    facility: Mapped[str] = mapped_column(String(2))  # TL, CC
    sb_account: Mapped[str] = mapped_column(String(64))
    sanctioned_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    drawing_power: Mapped[int] = mapped_column(BigInteger)
    rate: Mapped[int] = mapped_column(Integer)  # hundredths of a percent per annum
    instalments: Mapped[int] = mapped_column(Integer)
    instalment_amount: Mapped[int] = mapped_column(BigInteger)
    frequency: Mapped[str] = mapped_column(String(1))
    first_due_on: Mapped[date | None] = mapped_column(Date)
    moratorium_months: Mapped[int] = mapped_column(Integer)
    ifsc: Mapped[str] = mapped_column(String(11))
    capital_subsidy: Mapped[bool] = mapped_column(Boolean)
    sb_opened_on: Mapped[date | None] = mapped_column(Date)
    pin: Mapped[str] = mapped_column(String(6))
    maker: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class BankLoanLineRow(TransactionsBase):
    """A disbursal or repayment on the bank's own date, with the journal entry it made."""

    __tablename__ = "bank_loan_line"
    __table_args__ = (
        ForeignKeyConstraint(
            ["cbo_id", "loan_account"],
            ["bank_loan.cbo_id", "bank_loan.loan_account"],
            ondelete="CASCADE",
        ),
        Index("uq_bank_loan_line_client", "cbo_id", "client_id", unique=True),
        Index("ix_bank_loan_line_loan", "cbo_id", "loan_account", "on"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    cbo_id: Mapped[uuid.UUID] = mapped_column(UUID)
    loan_account: Mapped[str] = mapped_column(String(32))
    client_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # DISBURSAL, REPAYMENT
    on: Mapped[date] = mapped_column(Date)
    particulars: Mapped[str] = mapped_column(String(100))
    principal: Mapped[int] = mapped_column(BigInteger)
    interest: Mapped[int] = mapped_column(BigInteger)
    entry_id: Mapped[int] = mapped_column(BigInteger)
    maker: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
