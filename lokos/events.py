"""Events on NATS JetStream: subjects, the envelope, the connection and the stream.

Subjects are ``lokos.<state>.<service>.<entity>.<event>``; one file-backed stream ``LOKOS``
holds them all. Payloads are :class:`lokos.common.v1.events_pb2.EventEnvelope` in protobuf.
Each process connects as its own NATS user (:mod:`lokos.bus` says what each may do) and stamps
its name on what it writes as the envelope's ``producer``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import nats
from google.protobuf.message import Message
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from lokos import context
from lokos.common.v1 import events_pb2
from lokos.principal import SYSTEM_REALM
from lokos.telemetry import inject_headers

log = logging.getLogger(__name__)

STREAM = "LOKOS"
STREAM_SUBJECTS = ["lokos.>"]
# JetStream de-duplicates on Nats-Msg-Id within this window; it only covers the relay's own
# retries. Idempotency of client writes is a unique key in the database, never this window.
DUPLICATE_WINDOW_SECONDS = 120.0
# 0: events are kept until the operator archives the stream (a state's year of events is a few
# GB on file storage); read models can always be rebuilt from the first event.
STREAM_MAX_AGE_SECONDS = 0.0

M = TypeVar("M", bound=Message)

# The service this process writes events as; set once at start (lokos.process.serve).
_producer = ""


def set_producer(service: str) -> None:
    """Name the service whose events this process writes (the envelopes' ``producer``)."""
    global _producer
    _producer = service


def subject(state: str, event_type: str) -> str:
    """``lokos.up.profiles.shg.created`` from ``("up", "profiles.shg.created")``."""
    return f"lokos.{state.lower()}.{event_type}"


def build_envelope(
    event_type: str,
    state: str,
    payload: Message,
    *,
    event_id: str | None = None,
    producer: str | None = None,
) -> events_pb2.EventEnvelope:
    """An envelope stamped with the producer (this process's service unless given), the
    current principal, request id and trace context."""
    env = events_pb2.EventEnvelope(
        event_id=event_id or str(uuid.uuid4()),
        type=event_type,
        state=state,
        request_id=context.request_id(),
        traceparent=inject_headers().get("traceparent", ""),
        producer=_producer if producer is None else producer,
    )
    env.occurred_at.FromDatetime(datetime.now(UTC))
    p = context.current_principal.get()
    if p is not None:
        env.actor.user_id = p.user_id
        env.actor.realm = p.realm
    else:  # the service acting on its own (a lock after failed logins, a consumer's follow-up)
        env.actor.user_id = f"system:{env.producer or 'unknown'}"
        env.actor.realm = SYSTEM_REALM
    env.payload.Pack(payload)
    return env


@dataclass(frozen=True)
class Event:
    """A consumed event: the envelope and its JetStream delivery count."""

    envelope: events_pb2.EventEnvelope
    subject: str
    delivered: int = 1
    # Messages of the consumer still waiting behind this one (JetStream's num_pending): how
    # far a read model lags.
    pending: int = 0
    # Its sequence in the stream (0: not known). Stream order is the order of the changes, so
    # a read model that keeps the sequence of the event it last applied to a row can skip a
    # redelivered or older event without an inbox row of its own (services/reports/ingest.py).
    seq: int = 0

    @property
    def id(self) -> str:
        return self.envelope.event_id

    @property
    def event_type(self) -> str:
        return self.envelope.type

    def payload(self, message_type: type[M]) -> M:
        msg = message_type()
        if not self.envelope.payload.Unpack(msg):
            raise ValueError(f"event {self.id} does not carry {message_type.__name__}")
        return msg


def foreign_origin(envelope: events_pb2.EventEnvelope, subject_: str) -> str | None:
    """Why an event did not come from the service that owns its type, or None when it did.

    NATS lets a service publish only under its own ``lokos.<state>.<service>.>``; consumers
    still dispatch on the envelope's ``type``, so they also insist that the envelope's
    producer, the first segment of its type and the subject's service segment are one
    service, and that the subject is exactly ``subject(state, type)``. A service whose
    credentials leak cannot then pass off ``profiles.shg.changed`` under its own subject.
    """
    tokens = subject_.split(".")
    owner = tokens[2] if len(tokens) > 2 and tokens[0] == "lokos" else ""
    if not envelope.producer:
        return "the envelope names no producer"
    if envelope.producer != owner:
        return f"producer {envelope.producer!r} published on {owner or subject_!r}'s subject"
    if envelope.type.split(".", 1)[0] != owner:
        return f"type {envelope.type!r} does not belong to {owner!r}"
    if not envelope.state or subject(envelope.state, envelope.type) != subject_:
        return f"subject {subject_!r} is not that of {envelope.state}/{envelope.type}"
    return None


class NatsLink:
    """One NATS connection per process, connected in the background and kept alive.

    The process starts even when NATS is down; the outbox relay and consumers wait on
    :meth:`jetstream` and carry on when NATS comes back.
    """

    def __init__(
        self,
        url: str,
        name: str,
        *,
        user: str = "",
        password: str = "",
        inbox_prefix: str = "",
        ensure_stream: bool = False,
        stream_replicas: int = 1,
    ) -> None:
        self.url = url
        self.name = name
        self.user = user
        self.password = password
        # Replies (publish acks, fetched events) come to inboxes under this prefix, which only
        # this user may subscribe to: no service reads the events delivered to another.
        self.inbox_prefix = inbox_prefix or "_INBOX"
        # Create the stream when missing: the bus owner's right (lokos.bus), not a service's.
        self.ensure_stream = ensure_stream
        self.stream_replicas = stream_replicas
        self._nc: NatsClient | None = None
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect_forever(), name=f"nats-connect-{self.name}")

    async def _connect_forever(self) -> None:
        delay = 0.2
        while True:
            try:
                nc = await connect(
                    self.url,
                    self.name,
                    user=self.user,
                    password=self.password,
                    inbox_prefix=self.inbox_prefix,
                )
                if self.ensure_stream:
                    await ensure_stream(nc.jetstream(), self.stream_replicas)
                self._nc = nc
                self._ready.set()
                log.info("connected to NATS at %s", self.url)
                return
            except Exception as exc:
                log.warning("NATS not reachable (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def jetstream(self) -> JetStreamContext:
        await self._ready.wait()
        assert self._nc is not None
        return self._nc.jetstream()

    async def client(self) -> NatsClient:
        """The connection itself, once up (a consumer's own pull requests go through it)."""
        await self._ready.wait()
        assert self._nc is not None
        return self._nc

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self._nc is not None:
            # drain() flushes what is in flight, but can wait its 30 s default on a consumer
            # whose fetch is pending; a stopping process gives it two seconds.
            try:
                await asyncio.wait_for(self._nc.drain(), 2)
            except Exception:
                await self._nc.close()


async def connect(
    url: str, name: str, *, user: str = "", password: str = "", inbox_prefix: str = "_INBOX"
) -> NatsClient:
    """A NATS connection as ``user`` that reconnects for ever."""
    return await nats.connect(
        url,
        name=name,
        user=user or None,
        password=password or None,
        inbox_prefix=inbox_prefix,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        connect_timeout=2,
    )


async def ensure_stream(js: JetStreamContext, replicas: int = 1) -> None:
    """Create the LOKOS stream when missing, with ``replicas`` copies (idempotent); an
    existing stream with another number of copies is scaled to it."""
    try:
        info = await js.stream_info(STREAM)
    except NotFoundError:
        info = None
    if info is not None:
        if (info.config.num_replicas or 1) != replicas:
            info.config.num_replicas = replicas
            await js.update_stream(info.config)
        return
    await js.add_stream(
        StreamConfig(
            name=STREAM,
            subjects=STREAM_SUBJECTS,
            storage=StorageType.FILE,
            retention=RetentionPolicy.LIMITS,
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
            # No age limit: the stream is the history the reports' read models are rebuilt
            # from (lokos reports rebuild); see docs/architecture.md, "Reports".
            max_age=STREAM_MAX_AGE_SECONDS,
            num_replicas=replicas,
        )
    )
