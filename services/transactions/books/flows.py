"""One fund movement, two books (F5): the entries each side books, as plain functions.

A movement is RELEASE (the state mission → a CLF, VO or SHG: the mission keeps no book here),
GRANT (a federation passes a fund on: RF to an SHG, F1), LOAN (a federation lends CIF or CEF, F2,
F3) or REPAYMENT (the borrower pays its lending federation back). The giver's entry is made when
the movement is recorded; the receiver's when it confirms what reached it — with the amount it
confirms, which may differ (the reconciliation report then lists it).

- RELEASE: giver none; receiver Dr cash/bank, Cr the fund's corpus.
- GRANT: giver Dr the fund's corpus, Cr cash/bank; receiver Dr cash/bank, Cr the corpus.
- LOAN: giver Dr loans to members (fund) [loan], Cr cash/bank; receiver Dr cash/bank, Cr the
  fund's loan payable.
- REPAYMENT: giver Dr loan payable (principal), Dr interest expense, Cr cash/bank; receiver Dr
  cash/bank, Cr interest income, Cr loans to members (fund) [loan].
"""

from __future__ import annotations

import datetime as dt
import enum

from services.transactions.books import accounts as acc
from services.transactions.books.accounts import LoanSource
from services.transactions.books.funds import CORPUS_HEAD, INTEREST_HEAD, PAYABLE_HEAD, FundType
from services.transactions.books.ledger import JournalEntry, Posting, credit, debit
from services.transactions.books.money import Paise

CASH = "CASH"


class Movement(enum.StrEnum):
    RELEASE = "RELEASE"
    GRANT = "GRANT"
    LOAN = "LOAN"
    REPAYMENT = "REPAYMENT"


def money_posting(location: str, amount: Paise, *, receive: bool) -> Posting:
    """Cash in hand, or the named bank account (a sub-ledger of BANK)."""
    if location == CASH:
        return debit(acc.CASH, amount) if receive else credit(acc.CASH, amount)
    return debit(acc.BANK, amount, location) if receive else credit(acc.BANK, amount, location)


def loan_head(fund: FundType) -> str:
    return acc.loan_head(LoanSource(fund.value))


def giver_entry(
    movement: Movement,
    fund: FundType,
    amount: Paise,
    location: str,
    on: dt.date,
    narration: str,
    *,
    loan_id: str = "",
    principal: Paise = 0,
    interest: Paise = 0,
) -> JournalEntry | None:
    """The giver's side; None for a release (the state mission keeps no book here). For a
    repayment ``principal + interest`` is ``amount``, as the lender's schedule split it."""
    kind = f"FUND_{movement.value}"
    pay = money_posting(location, amount, receive=False)
    if movement is Movement.RELEASE:
        return None
    if movement is Movement.GRANT:
        return JournalEntry(on, kind, narration, (debit(CORPUS_HEAD[fund], amount), pay))
    if movement is Movement.LOAN:
        return JournalEntry(on, kind, narration, (debit(loan_head(fund), amount, loan_id), pay))
    if principal + interest != amount:
        raise ValueError("a repayment's principal and interest make up its amount")
    lines = []
    if principal:
        lines.append(debit(PAYABLE_HEAD[fund], principal))
    if interest:
        lines.append(debit(INTEREST_HEAD[fund], interest))
    return JournalEntry(on, kind, narration, (*lines, pay))


def receiver_entry(
    movement: Movement,
    fund: FundType,
    confirmed: Paise,
    location: str,
    on: dt.date,
    narration: str,
    *,
    loan_id: str = "",
    interest: Paise = 0,
) -> JournalEntry:
    """The receiver's side, for the amount it confirms. A repayment confirmed short pays the
    interest first (C8's order), the rest goes to the loan's principal."""
    kind = f"FUND_{movement.value}_RECEIVED"
    got = money_posting(location, confirmed, receive=True)
    if movement in (Movement.RELEASE, Movement.GRANT):
        return JournalEntry(on, kind, narration, (got, credit(CORPUS_HEAD[fund], confirmed)))
    if movement is Movement.LOAN:
        return JournalEntry(on, kind, narration, (got, credit(PAYABLE_HEAD[fund], confirmed)))
    to_interest = min(confirmed, interest)
    lines = [got]
    if to_interest:
        lines.append(credit(acc.INTEREST_INCOME, to_interest))
    if confirmed - to_interest:
        lines.append(credit(loan_head(fund), confirmed - to_interest, loan_id))
    return JournalEntry(on, kind, narration, tuple(lines))
