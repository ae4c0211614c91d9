"""Meetings, ledgers, loans, funds and cut-off balances of SHGs (issue 11).

The rules are in ``books/`` (pure, no I/O); ``service.py`` applies them to the stored books in one
transaction per meeting; ``grpc_api.py`` translates the contract (proto/lokos/transactions/v1).
"""
