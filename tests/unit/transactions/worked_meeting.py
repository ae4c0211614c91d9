"""The worked meeting of shared/TRANSACTIONS.md §8, as domain objects (numbers in rupees there)."""

from __future__ import annotations

import datetime as dt

from services.transactions.books import accounts as acc
from services.transactions.books.cutoff import (
    CutOffLoan,
    CutOffMember,
    CutOffSheet,
    books_from_cutoff,
    check_cutoff,
)
from services.transactions.books.meeting import (
    Attendance,
    BankAccount,
    Books,
    Contra,
    Disbursal,
    GroupLine,
    GroupLineKind,
    Meeting,
    MemberLine,
    Repayment,
)
from services.transactions.books.money import rupees
from services.transactions.books.policy import BookPolicy
from services.transactions.books.schedule import LoanTerms, Method

SB = "SB1"
MEMBERS = [f"M{i:02d}" for i in range(1, 16)]
MEETING_DATE = dt.date(2026, 1, 10)
CUTOFF_DATE = dt.date(2025, 12, 10)  # meeting 24, the last one on paper in this test
VOLUNTARY_BEFORE = {"M02": 400, "M05": 700, "M09": 500}

M03_TERMS = LoanTerms(
    amount=rupees(6_000),
    rate=200,
    method=Method.DECLINING_EMI,
    tenure=6,
    first_due_meeting=23,
    first_due_date=dt.date(2025, 11, 10),
)


def opening_sheet() -> CutOffSheet:
    """The opening position (closing of meeting 24) as a cut-off sheet."""
    return CutOffSheet(
        date=CUTOFF_DATE,
        last_paper_meeting=24,
        cash=rupees(1_250),
        banks={SB: rupees(48_600)},
        members=tuple(
            CutOffMember(m, compulsory=rupees(2_200), voluntary=rupees(VOLUNTARY_BEFORE.get(m, 0)))
            for m in MEMBERS
        ),
        loans=(CutOffLoan("L-M03", "M03", M03_TERMS, instalments_paid=2),),
        funds={acc.RF_CORPUS: rupees(15_000)},
        surplus=rupees(4_329),
    )


def opening_books(policy: BookPolicy | None = None) -> Books:
    policy = policy or BookPolicy()
    chart = acc.CHARTS[acc.CboType.SHG]
    sheet = opening_sheet()
    result = check_cutoff(sheet, chart, policy)
    return books_from_cutoff(sheet, result, chart, policy, rupees(200), {SB: BankAccount(SB)})


def meeting_25() -> Meeting:
    voluntary = {"M02": 100, "M05": 250, "M09": 150}
    lines = []
    for m in MEMBERS:
        if m == "M15":
            lines.append(MemberLine(m, Attendance.ABSENT))
            continue
        lines.append(
            MemberLine(
                m,
                Attendance.LATE if m == "M12" else Attendance.PRESENT,
                compulsory=rupees(200),
                voluntary=rupees(voluntary.get(m, 0)),
                fine=rupees(5) if m == "M12" else 0,
                repayments=(Repayment("L-M03", rupees(1_071)),) if m == "M03" else (),
                disbursals=(
                    (
                        Disbursal(
                            "L-M07",
                            rupees(10_000),
                            rate=200,
                            method=Method.DECLINING_EMI,
                            tenure=10,
                            purpose="dairy",
                            via=SB,
                        ),
                    )
                    if m == "M07"
                    else ()
                ),
            )
        )
    return Meeting(
        number=25,
        date=MEETING_DATE,
        members=tuple(lines),
        group=(GroupLine(GroupLineKind.PAYMENT, "STATIONERY", rupees(60)),),
        contras=(Contra("CASH", SB, rupees(4_000)),),
        cash_counted=rupees(1_566),
        passbook={SB: rupees(42_600)},
    )


# M07's schedule from §8: (due meeting, EMI, interest, principal, balance) in rupees.
M07_SCHEDULE = [
    (26, 1113, 200, 913, 9087),
    (27, 1113, 182, 931, 8156),
    (28, 1113, 163, 950, 7206),
    (29, 1113, 144, 969, 6237),
    (30, 1113, 125, 988, 5249),
    (31, 1113, 105, 1008, 4241),
    (32, 1113, 85, 1028, 3213),
    (33, 1113, 64, 1049, 2164),
    (34, 1113, 43, 1070, 1094),
    (35, 1116, 22, 1094, 0),
]
M03_SCHEDULE = [
    (1071, 120, 951, 5049),
    (1071, 101, 970, 4079),
    (1071, 82, 989, 3090),
    (1071, 62, 1009, 2081),
    (1071, 42, 1029, 1052),
    (1073, 21, 1052, 0),
]
