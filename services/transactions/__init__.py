"""Meetings, ledgers, loans, funds and cut-off balances.

The gRPC contract (proto/lokos/transactions/v1) has no methods yet: they arrive with
the transactions issue. The process already runs for real: its own database with outbox and inbox
tables, migrations on start, NATS, health checks.
"""
