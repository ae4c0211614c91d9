"""Journal entries and balances (E4): debits equal credits, or the entry does not exist.

A ``Posting`` is one line of an entry: an account (head + sub-ledger key), a side and a positive
amount in paise. ``JournalEntry`` refuses to be built unbalanced; the database enforces the same
rule again with a deferred constraint trigger, so no code path can store half an entry.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from services.transactions.books.accounts import Chart, SubLedger
from services.transactions.books.money import Paise, format_rupees


class Side(enum.StrEnum):
    DEBIT = "D"
    CREDIT = "C"


class LedgerError(ValueError):
    """An entry that breaks a ledger rule; ``field`` names what is wrong for the caller."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True, order=True)
class Account:
    """A head of the chart plus its sub-ledger key ('' for heads without a sub-ledger)."""

    head: str
    sub: str = ""

    def __str__(self) -> str:
        return f"{self.head}:{self.sub}" if self.sub else self.head


@dataclass(frozen=True)
class Posting:
    account: Account
    side: Side
    amount: Paise

    @property
    def signed(self) -> Paise:
        """Debit positive, credit negative."""
        return self.amount if self.side is Side.DEBIT else -self.amount


def debit(head: str, amount: Paise, sub: str = "") -> Posting:
    return Posting(Account(head, sub), Side.DEBIT, amount)


def credit(head: str, amount: Paise, sub: str = "") -> Posting:
    return Posting(Account(head, sub), Side.CREDIT, amount)


@dataclass(frozen=True)
class JournalEntry:
    """One balanced entry. ``kind`` says what happened (CS, VS, REPAYMENT, CONTRA …)."""

    date: dt.date
    kind: str
    narration: str
    postings: tuple[Posting, ...]
    meeting_number: int | None = None
    reverses: int | None = None  # index/id of the entry a correction reverses (A6, E5)

    def __post_init__(self) -> None:
        if len(self.postings) < 2:
            raise LedgerError("postings", "a journal entry needs at least one debit and one credit")
        for p in self.postings:
            if type(p.amount) is not int or p.amount <= 0:
                raise LedgerError(
                    "postings.amount", f"posting amounts are positive whole paise, got {p.amount!r}"
                )
        if self.total_debit != self.total_credit:
            raise LedgerError(
                "postings",
                f"debits {format_rupees(self.total_debit)} ≠ credits "
                f"{format_rupees(self.total_credit)} in {self.kind}",
            )

    @property
    def total_debit(self) -> Paise:
        return sum(p.amount for p in self.postings if p.side is Side.DEBIT)

    @property
    def total_credit(self) -> Paise:
        return sum(p.amount for p in self.postings if p.side is Side.CREDIT)

    def reversal(self, date: dt.date, reason: str, meeting_number: int | None) -> JournalEntry:
        """The correcting entry (A6): the same postings on the other side, in a later meeting."""
        if not reason.strip():
            raise LedgerError("reason", "a reversal needs a reason")
        flipped = tuple(
            Posting(p.account, Side.CREDIT if p.side is Side.DEBIT else Side.DEBIT, p.amount)
            for p in self.postings
        )
        return JournalEntry(date, f"REVERSAL:{self.kind}", reason, flipped, meeting_number)


def check_against_chart(entry: JournalEntry, chart: Chart) -> None:
    """Postings name chart heads, with a sub-ledger key exactly when the head has one."""
    for p in entry.postings:
        try:
            head = chart.head(p.account.head)
        except KeyError as e:
            raise LedgerError("postings.account", str(e.args[0])) from None
        needs_sub = head.subledger is not SubLedger.NONE
        if needs_sub != bool(p.account.sub):
            raise LedgerError(
                "postings.account",
                f"{head.code} {'needs' if needs_sub else 'takes no'} {head.subledger.lower()} key",
            )


@dataclass
class Balances:
    """Signed balances (debit positive) per account, built from entries in any order."""

    by_account: dict[Account, Paise] = field(default_factory=lambda: defaultdict(int))

    @classmethod
    def of(cls, entries: Iterable[JournalEntry], as_of: dt.date | None = None) -> Balances:
        b = cls()
        for e in entries:
            if as_of is None or e.date <= as_of:
                b.post(e)
        return b

    def post(self, entry: JournalEntry) -> None:
        for p in entry.postings:
            self.by_account[p.account] += p.signed

    def signed(self, head: str, sub: str = "") -> Paise:
        return self.by_account.get(Account(head, sub), 0)

    def head_total(self, head: str) -> Paise:
        """Signed total of a head across its sub-ledgers."""
        return sum(v for a, v in self.by_account.items() if a.head == head)

    def natural(self, head: str, chart: Chart, sub: str | None = None) -> Paise:
        """The balance on the head's normal side: assets/expenses as debits, the rest as credits."""
        raw = self.head_total(head) if sub is None else self.signed(head, sub)
        return raw if chart.head(head).type.debit_normal else -raw

    def subs(self, head: str) -> Mapping[str, Paise]:
        return {a.sub: v for a, v in self.by_account.items() if a.head == head and v != 0}

    def is_balanced(self) -> bool:
        return sum(self.by_account.values()) == 0


@dataclass(frozen=True)
class TrialBalanceLine:
    account: Account
    debit: Paise
    credit: Paise


def trial_balance(balances: Balances) -> list[TrialBalanceLine]:
    """Each non-zero account with its balance on the debit or credit column; the columns agree."""
    lines = []
    for account in sorted(balances.by_account):
        v = balances.by_account[account]
        if v:
            lines.append(TrialBalanceLine(account, max(v, 0), max(-v, 0)))
    return lines


@dataclass(frozen=True)
class BalanceSheet:
    """Assets against liabilities and funds; income less expenses is shown inside the surplus."""

    assets: dict[str, Paise]
    liabilities: dict[str, Paise]
    funds: dict[str, Paise]  # includes SURPLUS = accumulated surplus + income − expenses

    @property
    def total_assets(self) -> Paise:
        return sum(self.assets.values())

    @property
    def total_liabilities_and_funds(self) -> Paise:
        return sum(self.liabilities.values()) + sum(self.funds.values())


def balance_sheet(balances: Balances, chart: Chart, surplus_head: str) -> BalanceSheet:
    from services.transactions.books.accounts import AccountType

    assets: dict[str, Paise] = {}
    liabilities: dict[str, Paise] = {}
    funds: dict[str, Paise] = {}
    net_income = 0
    for code, head in chart.heads.items():
        v = balances.natural(code, chart)
        if head.type is AccountType.INCOME:
            net_income += v
        elif head.type is AccountType.EXPENSE:
            net_income -= v
        elif v:
            {AccountType.ASSET: assets, AccountType.LIABILITY: liabilities}.get(head.type, funds)[
                code
            ] = v
    funds[surplus_head] = funds.get(surplus_head, 0) + net_income
    return BalanceSheet(assets, liabilities, funds)
