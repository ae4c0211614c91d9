from typing import Any

from lokos import catalogue
from lokos.config import ServiceSettings


class TransactionsSettings(ServiceSettings):
    service_name: str = "transactions"
    grpc_port: int = 50054
    # Events of profiles applied per transaction (LOKOS_CONSUMER_BATCH): a migration import
    # sends lakhs of member events at once.
    consumer_batch: int = 500
    # This state's book settings over the rulebook's defaults (``BookPolicy`` field names, as
    # JSON: LOKOS_BOOK_POLICY='{"rounding_unit": 1, "min_age_for_lending_days": 90}'); a book's
    # own settings go on top of these. Checked at start: a bad setting stops the service.
    book_policy: dict[str, Any] = {}
    # This state's community-fund rules as dated changes over the rulebook's defaults
    # (``FundRule`` field names per fund, each change with the date it applies from:
    # LOKOS_FUND_RULES='{"CIF": [{"from": "2021-11-25", "lender": "VO"}]}'). Checked at start.
    fund_rules: dict[str, Any] = {}
    # F6: the role(s) that approve a CLF's own books and transfers (the seeds name none);
    # LOKOS_CLF_BOOK_APPROVERS='["DISTRICT_PROGRAM_MANAGER"]'. Role codes of the catalogue.
    clf_book_approvers: list[str] = sorted(catalogue.CLF_BOOK_APPROVERS)
    # This state's grading scale over the rulebook's defaults (K2: scales differ by state), as
    # JSON: LOKOS_GRADING_POLICY='{"periods": 3, "bands": [["A", 80], ["B", 60], ["C", 0]]}'
    # (``GradingPolicy`` fields; weights by indicator). Checked at start.
    grading_policy: dict[str, Any] = {}
