"""A database outage reads as Unavailable (503, retry), whatever layer raised it; anything else
stays an internal error."""

from __future__ import annotations

import asyncpg
import pytest
import sqlalchemy.exc

from lokos.db import outage
from lokos.errors import Unavailable


def _wrapped(cause: BaseException, *, invalidated: bool = False) -> BaseException:
    """As SQLAlchemy's asyncpg adapter raises it: a DBAPIError whose ``orig`` is the adapter's
    error, caused by asyncpg's."""
    adapted = Exception(str(cause))
    adapted.__cause__ = cause
    return sqlalchemy.exc.DBAPIError("SELECT 1", None, adapted, connection_invalidated=invalidated)


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(111, "Connect call failed"),
        OSError("Multiple exceptions: [Errno 111] Connect call failed"),
        TimeoutError(),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.InterfaceError("cannot call Connection.fetch(): connection is closed"),
        _wrapped(asyncpg.ConnectionDoesNotExistError("closed")),
        _wrapped(ConnectionResetError()),
        _wrapped(Exception("server closed the connection"), invalidated=True),
        sqlalchemy.exc.TimeoutError("QueuePool limit reached"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_outages(exc: BaseException) -> None:
    err = outage(exc)
    assert isinstance(err, Unavailable)
    assert err.http_status == 503 and err.code == "database_unavailable"


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("a bug"),
        FileNotFoundError("no such file"),
        asyncpg.UniqueViolationError("duplicate key"),
        asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
        _wrapped(asyncpg.UniqueViolationError("duplicate key")),
    ],
    ids=lambda e: type(e).__name__,
)
def test_other_errors_stay_internal(exc: BaseException) -> None:
    assert outage(exc) is None
