"""Migration of existing SHGs and members from the old MIS: a CSV export, checked row by row
while it streams in, and loaded with PostgreSQL COPY in one transaction.

- ``csvformat``: the format (documented there and in ``docs/migration-import.md``) and the
  streaming parser/validator; pure, no I/O.
- ``importer``: the load (geography, idempotency, COPY, the batch, audit and outbox rows).
- ``grpc_api``: ``MigrationRpc``, the ``ImportMigration`` servicer method.
"""
