"""What the transactions use cases need besides a session; built once per process in main.py."""

from __future__ import annotations

from dataclasses import dataclass

from lokos.db import Database
from services.transactions.bank_linkage_service import BankLinkage
from services.transactions.config import TransactionsSettings
from services.transactions.funds_service import Funds
from services.transactions.grading_service import Grading
from services.transactions.service import Transactions


@dataclass(frozen=True)
class Deps:
    db: Database
    settings: TransactionsSettings
    # The SHG/VO/CLF books with the state's book policy and its CLF approvers.
    books: Transactions
    # Community funds between the tiers (F1–F6), with the state's dated fund rules.
    funds: Funds
    # Panchasutra grades from the books (K1–K3), with the state's grading scale.
    grading: Grading
    # The SHG's bank loans on the bank's own dates (G1–G8).
    bank_linkage: BankLinkage
