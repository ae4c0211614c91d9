"""De-duplication of members and CBOs (identifier index, matches, decisions).

The gRPC contract (proto/lokos/dedup/v1) has no methods yet: they arrive with the dedup
issue. The process already runs for real: its own database with outbox and inbox
tables, migrations on start, NATS, health checks.
"""
