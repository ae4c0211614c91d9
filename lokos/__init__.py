"""LokOS shared plumbing.

Everything here is plumbing every process uses: configuration, database sessions and
migrations, the outbox and idempotent consumers, gRPC helpers, telemetry, the principal,
error types and the local runtime. No domain rules live here.

The sub-packages ``lokos.<service>.v1`` (common, identity, profiles, dedup, transactions,
reports) are generated from ``proto/`` by ``make proto`` and are never edited by hand.
"""
