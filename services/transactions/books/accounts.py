"""The chart of accounts, as data, per CBO type (E4, D2, C11, F1–F3).

An account is a *head* of the chart plus, for heads kept per member, per loan or per bank account, a
sub-ledger key (the member id, the loan id, the bank account id). The same chart serves SHG, VO and
CLF books (F4): the "members" of a VO are SHGs and those of a CLF are VOs, so only the words differ.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class AccountType(enum.StrEnum):
    ASSET = "ASSET"
    LIABILITY = "LIABILITY"
    FUND = "FUND"  # grants held as corpus (RF, VRF, CEF) and the accumulated surplus
    INCOME = "INCOME"
    EXPENSE = "EXPENSE"

    @property
    def debit_normal(self) -> bool:
        return self in (AccountType.ASSET, AccountType.EXPENSE)


class SubLedger(enum.StrEnum):
    NONE = "NONE"
    MEMBER = "MEMBER"
    LOAN = "LOAN"
    BANK_ACCOUNT = "BANK_ACCOUNT"


class CboType(enum.StrEnum):
    SHG = "SHG"
    VO = "VO"
    CLF = "CLF"


class LoanSource(enum.StrEnum):
    """Where the money lent to a member came from (C11): one loan ledger per funding agency."""

    OWN_FUNDS = "OWN_FUNDS"
    RF = "RF"
    CIF = "CIF"
    CEF = "CEF"  # F3: enterprise loans from the CLF's CEF
    BANK_TL = "BANK_TL"
    BANK_CCL = "BANK_CCL"
    OTHER = "OTHER"


class BankAccountKind(enum.StrEnum):
    SB = "SB"  # never below zero (E3)
    CCL = "CCL"  # may draw down to its drawing power (E3, G2)
    FD = "FD"


@dataclass(frozen=True)
class Head:
    code: str
    name: str
    type: AccountType
    subledger: SubLedger = SubLedger.NONE
    # A receipt or payment head the bookkeeper picks from a drop-down (D2); None = system posted.
    drop_down: str | None = None


CASH = "CASH"
BANK = "BANK"
COMPULSORY_SAVINGS = "CS"
VOLUNTARY_SAVINGS = "VS"
FINES_RECEIVABLE = "FINE_RCV"
SURPLUS = "SURPLUS"
INTEREST_INCOME = "INT_INCOME"
PENALTY_INCOME = "PENALTY_INCOME"
FINE_INCOME = "FINE_INCOME"
SB_INTEREST_INCOME = "SB_INTEREST"
BANK_CHARGES = "BANK_CHARGES"
RF_CORPUS = "RF_CORPUS"


def loan_head(source: LoanSource) -> str:
    """The head of the member-loan ledger for a fund source (one ledger per funding agency)."""
    return f"LOAN_{source.value}"


def _member_loan_heads() -> list[Head]:
    return [
        Head(loan_head(s), f"Loans to members ({s.value})", AccountType.ASSET, SubLedger.LOAN)
        for s in LoanSource
    ]


_COMMON: list[Head] = [
    # assets
    Head(CASH, "Cash in hand", AccountType.ASSET),
    Head(BANK, "Cash at bank", AccountType.ASSET, SubLedger.BANK_ACCOUNT),
    *_member_loan_heads(),
    Head(FINES_RECEIVABLE, "Fines receivable from members", AccountType.ASSET, SubLedger.MEMBER),
    # liabilities to members and to lenders
    Head(COMPULSORY_SAVINGS, "Compulsory savings", AccountType.LIABILITY, SubLedger.MEMBER),
    Head(VOLUNTARY_SAVINGS, "Voluntary savings", AccountType.LIABILITY, SubLedger.MEMBER),
    Head("CIF_PAYABLE", "CIF loan", AccountType.LIABILITY, drop_down="CIF received"),
    Head("BANK_LOAN", "Bank loan", AccountType.LIABILITY, drop_down="Bank loan taken"),
    Head("CEF_PAYABLE", "CEF loan", AccountType.LIABILITY),
    # funds
    Head(RF_CORPUS, "Revolving Fund corpus", AccountType.FUND, drop_down="RF received"),
    Head("VRF_CORPUS", "Vulnerability Reduction Fund", AccountType.FUND, drop_down="VRF received"),
    Head("CEF_CORPUS", "Community Enterprise Fund", AccountType.FUND, drop_down="CEF received"),
    Head("GRANTS", "Grants and donations", AccountType.FUND, drop_down="Grants/donations"),
    Head(SURPLUS, "Accumulated surplus", AccountType.FUND),
    # income (D2)
    Head(INTEREST_INCOME, "Interest on loans to members", AccountType.INCOME),
    Head(PENALTY_INCOME, "Penal interest on loans", AccountType.INCOME),
    Head(FINE_INCOME, "Fines", AccountType.INCOME, drop_down="Fine"),
    Head(SB_INTEREST_INCOME, "Interest on savings bank account", AccountType.INCOME),
    Head("MEMBERSHIP_FEES", "Membership fees", AccountType.INCOME, drop_down="Membership fees"),
    Head("GROUP_WORK_INCOME", "Income from group work", AccountType.INCOME, drop_down="Group work"),
    Head("IGA_INCOME", "Income from IGA", AccountType.INCOME, drop_down="Income from IGA"),
    Head("MISC_INCOME", "Miscellaneous income", AccountType.INCOME, drop_down="Miscellaneous"),
    # expenses (D2)
    Head("BANK_LOAN_INTEREST", "Interest on bank loan", AccountType.EXPENSE),
    Head("CIF_INTEREST", "Interest on CIF loan", AccountType.EXPENSE),
    Head("CEF_INTEREST", "Interest on CEF loan", AccountType.EXPENSE),
    Head(BANK_CHARGES, "Bank charges", AccountType.EXPENSE),
    Head("TRAINING", "Training fees", AccountType.EXPENSE, drop_down="Training fees"),
    Head("IGA_EXPENSES", "Expenses for IGA", AccountType.EXPENSE, drop_down="Expenses for IGA"),
    Head("MEETING_EXPENSES", "Meeting/event expenses", AccountType.EXPENSE, drop_down="Meeting"),
    Head("STATIONERY", "Stationery", AccountType.EXPENSE, drop_down="Stationery"),
    Head("TRAVEL", "Travel", AccountType.EXPENSE, drop_down="Travel"),
    Head("BK_HONORARIUM", "Bookkeeper honorarium", AccountType.EXPENSE, drop_down="Honorarium"),
    Head("MISC_EXPENSES", "Miscellaneous expenses", AccountType.EXPENSE, drop_down="Miscellaneous"),
]

# VO and CLF lend to SHGs / VOs from CIF and VRF as well, and carry start-up funds (F2, F3).
_FEDERATION_EXTRA: list[Head] = [
    Head("CIF_CORPUS", "Community Investment Fund corpus", AccountType.FUND),
    Head("STARTUP_FUND", "Start-up cost fund", AccountType.FUND, drop_down="Start-up received"),
]


@dataclass(frozen=True)
class Chart:
    cbo_type: CboType
    heads: dict[str, Head]

    def head(self, code: str) -> Head:
        try:
            return self.heads[code]
        except KeyError:
            raise KeyError(f"no account head {code!r} in the {self.cbo_type} chart") from None


# F4: the members of a VO are SHGs and those of a CLF are VOs; the heads are the same, their
# names say whose they are (a VO's "Loans to member SHGs (CIF)").
MEMBER_WORD: dict[CboType, str] = {
    CboType.SHG: "members",
    CboType.VO: "member SHGs",
    CboType.CLF: "member VOs",
}


def chart_for(cbo_type: CboType) -> Chart:
    heads = list(_COMMON)
    if cbo_type is not CboType.SHG:
        heads += _FEDERATION_EXTRA
        word = MEMBER_WORD[cbo_type]
        heads = [
            Head(h.code, h.name.replace("members", word), h.type, h.subledger, h.drop_down)
            for h in heads
        ]
    return Chart(cbo_type, {h.code: h for h in heads})


CHARTS: dict[CboType, Chart] = {t: chart_for(t) for t in CboType}
