"""Database plumbing: the async engine, one session per RPC or consumed event, and
migrations applied at start.

Each service owns one PostgreSQL database. Its ``migrations/`` folder is an Alembic
environment whose ``env.py`` calls :func:`run_alembic_env`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import sqlalchemy.exc
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from lokos.errors import Unavailable

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    """Metadata for one service's declarative base (each service has its own)."""
    return MetaData(naming_convention=NAMING_CONVENTION)


class Database:
    """The engine and session factory of one service's database."""

    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False) -> None:
        self.url = url
        # No pre-ping: it costs a round trip per checkout. A connection that died with its
        # server fails one request (503, retried by clients with their idempotency keys) and
        # is then replaced by the pool.
        self.pool_size = pool_size
        self.pool: asyncpg.Pool | None = None
        self.engine: AsyncEngine = create_async_engine(
            url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800, echo=echo
        )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # Reads in autocommit: no BEGIN/ROLLBACK round trips around a single SELECT.
        self.read_sessions = async_sessionmaker(
            self.engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
        )

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """One session; the caller commits. Anything uncommitted is rolled back on exit."""
        async with self.sessions() as session:
            yield session

    @asynccontextmanager
    async def read_session(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only (autocommit; each statement sees committed data)."""
        async with self.read_sessions() as session:
            yield session

    async def open_read_pool(self) -> None:
        """A plain asyncpg pool for hot primary-key reads (no ORM on the request path)."""
        self.pool = await asyncpg.create_pool(
            asyncpg_dsn(self.url), min_size=1, max_size=self.pool_size, reset=_keep_session
        )

    async def fetchrow(self, sql: str, *args: object) -> asyncpg.Record | None:
        """One row from the read pool: a primary-key read, the only I/O of the hot reads.

        It has no span of its own: the server span of the call around it measures it to
        within microseconds, and a child span (≈ 50 µs to make and export) was a tenth of
        the whole read's CPU. Lists (:meth:`fetch`) and the ORM's statements keep theirs."""
        if self.pool is None:
            raise RuntimeError("open_read_pool() was not called")
        async with self.pool.acquire() as conn:
            return await conn.fetchrow(sql, *args)

    async def fetch(self, sql: str, *args: object) -> list[asyncpg.Record]:
        """Rows from the read pool, traced like the ORM's queries."""
        if self.pool is None:
            raise RuntimeError("open_read_pool() was not called")
        with tracer.start_as_current_span(
            sql.split(None, 1)[0], kind=SpanKind.CLIENT, attributes={"db.system": "postgresql"}
        ):
            async with self.pool.acquire() as conn:
                return list(await conn.fetch(sql, *args))

    async def dispose(self) -> None:
        if self.pool is not None:
            await self.pool.close()
        await self.engine.dispose()


# What asyncpg raises when the server is away, restarting or shutting down, or the connection
# died under a statement (SQLSTATE classes 08 and 57P, "cannot connect now"). A plain OSError
# is what asyncio raises when every address of the host refused the connection.
_OUTAGES: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    sqlalchemy.exc.TimeoutError,  # no pooled connection came free in time
)


def outage(exc: BaseException) -> Unavailable | None:
    """The database outage ``exc`` stands for, as a 503 to retry later; None when ``exc`` is
    something else (a bug, a constraint), which stays an internal error.

    Every gRPC server of a service maps its unexpected errors through this (see
    :func:`lokos.rpc.start_server`), so a request that meets a dead or restarting PostgreSQL
    answers "unavailable, retry" instead of "internal error", whichever query it was in.
    """
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if (
            isinstance(e, _OUTAGES)
            or type(e) is OSError
            or (isinstance(e, asyncpg.InterfaceError) and "closed" in str(e))
            or (isinstance(e, sqlalchemy.exc.DBAPIError) and e.connection_invalidated)
        ):
            return Unavailable(
                "the database is unavailable; retry shortly", code="database_unavailable"
            )
        orig = getattr(e, "orig", None)
        todo += [e.__cause__, orig if isinstance(orig, BaseException) else None]
    return None


async def _keep_session(conn: asyncpg.Connection) -> None:
    """The read pool runs single SELECTs only: no session state to reset, so skip asyncpg's
    reset query (a round trip on every release)."""


def asyncpg_dsn(url: str, database: str | None = None) -> str:
    """The plain ``postgresql://`` DSN asyncpg wants, from a SQLAlchemy URL."""
    u = make_url(url).set(drivername="postgresql")
    if database is not None:
        u = u.set(database=database)
    return u.render_as_string(hide_password=False)


async def wait_for_server(url: str, timeout: float = 60.0) -> None:
    """Wait until PostgreSQL accepts connections (it may still be starting)."""
    deadline = asyncio.get_running_loop().time() + timeout
    dsn = asyncpg_dsn(url, "postgres")
    while True:
        try:
            conn = await asyncpg.connect(dsn, timeout=5)
            await conn.close()
            return
        except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"PostgreSQL not reachable: {exc}") from exc
            await asyncio.sleep(0.3)


async def create_database_if_missing(url: str) -> None:
    """Create the service's database (embedded mode). Safe when several processes race."""
    name = make_url(url).database
    if not name:
        raise ValueError("database URL names no database")
    conn = await asyncpg.connect(asyncpg_dsn(url, "postgres"))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
                log.info("created database %s", name)
            except asyncpg.DuplicateDatabaseError:
                pass
    finally:
        await conn.close()


def migrate(migrations_dir: Path, url: str, revision: str = "head") -> None:
    """Apply the service's Alembic migrations (blocking; call via ``asyncio.to_thread``)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, revision)


async def prepare_database(migrations_dir: Path, url: str, *, create: bool) -> None:
    """Wait for the server, create the database if asked, and migrate it to head."""
    await wait_for_server(url)
    if create:
        await create_database_if_missing(url)
    await asyncio.to_thread(migrate, migrations_dir, url)


def run_alembic_env(target_metadata: MetaData) -> None:
    """Body of every service's ``migrations/env.py`` (async engine, online or offline)."""
    from alembic import context

    config = context.config
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("sqlalchemy.url is not set")

    def do_run(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()

    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    async def run_online() -> None:
        engine = create_async_engine(url)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    asyncio.run(run_online())
