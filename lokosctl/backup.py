"""``lokos backup`` and ``lokos restore``: one state instance to a folder and back.

A backup holds, for the platform of the current settings:

- ``stream.jsonl``: every message of the stream LOKOS (subject, headers, payload), read as
  the NATS admin through an ephemeral consumer;
- ``<service>.dump``: each service's database, ``pg_dump --format=custom``, taken *after*
  the stream, so every event in the stream has its outbox row in the producer's dump;
- ``files/``: the services' own data folders (the profiles identifier key, identity's OTP
  key) and, in embedded mode, the development identity provider's store;
- ``manifest.json``: what was taken when, and each database's Alembic revision.

Restoring stops the LokOS processes (the supervisor keeps PostgreSQL and NATS up), recreates
each database from its dump, the stream from its messages (same ``Nats-Msg-Id``), and puts the
files back; outbox rows whose event is not in the restored stream (published between the
stream's snapshot and that service's dump) are marked unpublished so the relay sends them
again. The bus owner then recreates the durable consumers from the start of the stream, and
every consumer's inbox skips what its restored database already holds: the instance replays
to the numbers it had, nothing lost and nothing counted twice.

PostgreSQL client tools are the server's own (the system's, else the ``pgserver`` wheel's;
launcher.postgres.find_bindir), so their version always matches.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import nats
from nats.aio.client import Client as NatsClient
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from launcher.platform import Platform
from launcher.postgres import PostgresInstance, find_bindir
from launcher.settings import SERVICES
from lokos import bus
from lokos.events import STREAM, ensure_stream

MANIFEST = "manifest.json"
STREAM_FILE = "stream.jsonl"
FILES = "files"
# Processes stopped while their data is replaced, in the order they are started again.
LOKOS_PROCESSES = ("bus", *SERVICES, "gateway")
FETCH_BATCH = 500


@dataclass(frozen=True)
class Taken:
    folder: Path
    messages: int
    databases: dict[str, str]  # service -> Alembic revision


def _libpq_url(sqlalchemy_url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and the environment that carries the password."""
    parts = urlsplit(sqlalchemy_url.replace("+asyncpg", ""))
    password = parts.password or ""
    netloc = f"{parts.username}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc)), {"PGPASSWORD": password}


def _bindir(platform: Platform) -> Path:
    bindir, _ = find_bindir(platform.s.pg_bindir, allow_system=platform.s.pg_use_system)
    return bindir


def _attach_postgres(platform: Platform) -> None:
    """Let ``platform.database_url`` answer for an already prepared platform."""
    if platform.postgres is None and not platform.s.external_database_url:
        platform.postgres = PostgresInstance(
            platform.data / "postgres", platform.s.pg_port, _bindir(platform)
        )


def _run(argv: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(argv, env={**os.environ, **env}, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{Path(argv[0]).name} failed: {result.stderr.strip()}")


# --- the stream -------------------------------------------------------------------------


async def _nats(platform: Platform) -> NatsClient:
    user, password = platform.nats_credentials(bus.ADMIN)
    return await nats.connect(platform.nats_url, user=user, password=password, name="backup")


async def snapshot_stream(platform: Platform, path: Path) -> int:
    """Write every message of the stream to ``path`` (JSON lines); how many."""
    nc = await _nats(platform)
    try:
        js = nc.jetstream()
        last = (await js.stream_info(STREAM)).state.last_seq
        count = 0
        with path.open("w", encoding="utf-8") as out:
            if last == 0:
                return 0
            sub = await js.pull_subscribe(
                "lokos.>",
                stream=STREAM,
                config=ConsumerConfig(
                    ack_policy=AckPolicy.NONE,
                    deliver_policy=DeliverPolicy.ALL,
                    inactive_threshold=60.0,
                ),
            )
            seq = 0
            while seq < last:
                for msg in await sub.fetch(FETCH_BATCH, timeout=10):
                    seq = msg.metadata.sequence.stream
                    if seq > last:
                        break
                    record = {
                        "subject": msg.subject,
                        "headers": dict(msg.headers or {}),
                        "data": base64.b64encode(msg.data).decode(),
                    }
                    out.write(json.dumps(record, sort_keys=True) + "\n")
                    count += 1
            await sub.unsubscribe()
        return count
    finally:
        await nc.close()


async def restore_stream(platform: Platform, path: Path) -> set[str]:
    """Recreate the stream with the saved messages; the event ids it holds."""
    nc = await _nats(platform)
    ids: set[str] = set()
    try:
        js = nc.jetstream()
        with contextlib.suppress(NotFoundError):
            await js.delete_stream(STREAM)
        await ensure_stream(js, platform.s.nats_stream_replicas)
        with path.open(encoding="utf-8") as saved:
            for line in saved:
                record = json.loads(line)
                headers = record["headers"] or None
                await js.publish(
                    record["subject"], base64.b64decode(record["data"]), headers=headers
                )
                if headers and "Nats-Msg-Id" in headers:
                    ids.add(headers["Nats-Msg-Id"])
    finally:
        await nc.close()
    return ids


# --- the databases ------------------------------------------------------------------------


async def _revision(url: str) -> str:
    conn = await asyncpg.connect(url)
    try:
        return str(await conn.fetchval("SELECT version_num FROM alembic_version") or "")
    finally:
        await conn.close()


def dump_database(platform: Platform, service: str, path: Path) -> str:
    url = platform.database_url(service)
    libpq, env = _libpq_url(url)
    _run(
        [str(_bindir(platform) / "pg_dump"), "--format=custom", f"--file={path}", libpq],
        env,
    )
    return asyncio.run(_revision(url.replace("+asyncpg", "")))


async def _recreate(url: str) -> None:
    parts = urlsplit(url.replace("+asyncpg", ""))
    database = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()


async def _unpublish_missing(url: str, published: set[str]) -> int:
    """Mark outbox rows whose event the restored stream lacks as not yet published."""
    conn = await asyncpg.connect(url)
    try:
        exists = await conn.fetchval("SELECT to_regclass('outbox') IS NOT NULL")
        if not exists:
            return 0
        status = await conn.execute(
            "UPDATE outbox SET published_at = NULL"
            " WHERE published_at IS NOT NULL AND NOT (event_id = ANY($1::text[]))",
            list(published),
        )
        return int(status.split()[-1])
    finally:
        await conn.close()


def restore_database(platform: Platform, service: str, path: Path) -> None:
    url = platform.database_url(service)
    asyncio.run(_recreate(url))
    libpq, env = _libpq_url(url)
    _run(
        [
            str(_bindir(platform) / "pg_restore"),
            "--no-owner",
            "--exit-on-error",
            f"--dbname={libpq}",
            str(path),
        ],
        env,
    )


# --- the whole instance --------------------------------------------------------------------


def _file_folders(platform: Platform) -> list[str]:
    names = [s for s in SERVICES if (platform.data / s).is_dir()]
    if not platform.s.keycloak_url and (platform.data / "idp").is_dir():
        names.append("idp")
    return names


def backup(platform: Platform, out: Path) -> Taken:
    """Back up the running platform into a new folder under ``out``."""
    _attach_postgres(platform)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = out / f"lokos-{platform.s.state}-{stamp}"
    folder.mkdir(parents=True, exist_ok=False, mode=0o700)
    # The stream first: each of its events then has its outbox row in the dumps below.
    messages = asyncio.run(snapshot_stream(platform, folder / STREAM_FILE))
    revisions = {
        service: dump_database(platform, service, folder / f"{service}.dump")
        for service in SERVICES
    }
    for name in _file_folders(platform):
        shutil.copytree(platform.data / name, folder / FILES / name)
    manifest = {
        "state": platform.s.state,
        "created_at": datetime.now(UTC).isoformat(),
        "stream": {"name": STREAM, "file": STREAM_FILE, "messages": messages},
        "databases": {s: {"file": f"{s}.dump", "revision": r} for s, r in revisions.items()},
        "files": _file_folders(platform),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return Taken(folder, messages, revisions)


def restore(platform: Platform, folder: Path, timeout: float = 180.0) -> dict[str, int]:
    """Restore ``folder`` into the running platform; outbox rows re-sent per service."""
    _attach_postgres(platform)
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    if manifest["state"] != platform.s.state:
        raise ValueError(
            f"the backup is of state {manifest['state']!r}, this platform serves "
            f"{platform.s.state!r}"
        )
    # The LokOS processes this platform runs (the IdP only in embedded mode), stopped while
    # their data is replaced; one already stopped stays as it is until the end.
    programs = {p["name"]: p["statename"] for p in platform.status()}
    stopped = [n for n in (*LOKOS_PROCESSES, "idp") if n in programs]
    for name in stopped:
        if programs[name] in ("RUNNING", "STARTING", "BACKOFF"):
            platform.stop_program(name)
    try:
        published = asyncio.run(restore_stream(platform, folder / STREAM_FILE))
        resent = {}
        for service, entry in manifest["databases"].items():
            restore_database(platform, service, folder / entry["file"])
            url = platform.database_url(service).replace("+asyncpg", "")
            resent[service] = asyncio.run(_unpublish_missing(url, published))
        for name in manifest["files"]:
            target = platform.data / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(folder / FILES / name, target)
    finally:
        for name in ("idp", *LOKOS_PROCESSES):
            if name in stopped:
                platform.start_program(name)
    deadline = time.monotonic() + timeout
    platform.wait_ready(max(1.0, deadline - time.monotonic()))
    return resent
