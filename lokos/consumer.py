"""Idempotent event consumers.

A durable JetStream pull consumer per (service, purpose), created by the bus owner
(:mod:`lokos.bus`); the service binds to it and never creates or changes it. Messages are
pulled a batch at a time with the next pull request already out while a batch is in the
database (:class:`Puller`). A batch consumer handles each batch in one database
transaction, otherwise each message has its own; the transaction also records the event ids
in the service's ``inbox`` table; the messages are acked only after that commits. A replay
(redelivery after a crash, a duplicate publish) finds its id in the inbox and is acked without
effect. A batch consumer may leave events out of the inbox (``inboxed``) whose effect it makes
idempotent itself, by the stream sequence each event carries (:attr:`lokos.events.Event.seq`):
a row that keeps the sequence of the event that last wrote it ignores an event not newer.
An event whose type does not belong to the service that published it
(:func:`lokos.events.foreign_origin`) is logged, counted and acked without being applied.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from sqlalchemy import Column, DateTime, MetaData, String, Table, func, text
from sqlalchemy.ext.asyncio import AsyncSession

from lokos import context
from lokos.bus import filters
from lokos.common.v1 import events_pb2
from lokos.db import Database
from lokos.events import STREAM, Event, NatsLink, foreign_origin
from lokos.principal import system_principal
from lokos.telemetry import extract_context

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

Handler = Callable[[AsyncSession, Event], Awaitable[None]]
# Which events of a batch the inbox records; the batch handler applies the others
# idempotently by their stream sequence.
Inboxed = Callable[[Event], bool]
# Many events in one transaction: for consumers that index lakhs of records after a bulk
# import, where a transaction per event would be the bottleneck.
BatchHandler = Callable[[AsyncSession, list[Event]], Awaitable[None]]


def inbox_table(metadata: MetaData) -> Table:
    """Processed event ids, per consumer, in the consuming service's database."""
    return Table(
        "inbox",
        metadata,
        Column("consumer", String(64), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def _sampled(msg: Msg) -> bool:
    """Whether the message carries the context of a sampled trace. An unsampled or absent
    one would give a span that records nothing, at tens of microseconds an event to extract."""
    parent = (msg.headers or {}).get("traceparent", "")
    return len(parent) == 55 and parent[-1] in "13579bdf"


class Puller:
    """A durable's messages, pulled in batches through pull requests of the consumer's own.

    nats-py's ``fetch`` waits for each message of a batch under a timer of its own and asks
    for the next batch only once the last is handled, so the consumer waits on the broker
    between batches. Here the messages land in a buffer as they arrive, the next request goes
    out as soon as one is answered, while a batch is still in the database, and the consumer
    takes what has arrived at once. One request is open at a time, so the stream's order is
    kept, and the buffer holds at most two batches: what is fetched and not acknowledged
    stays below the durable's ``max_ack_pending``.
    """

    EXPIRES_SECONDS = 2.0

    def __init__(self, nc: NatsClient, durable: str, batch: int, stream: str = STREAM) -> None:
        self.nc = nc
        self.batch = batch
        self.next_subject = f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}"
        self.inbox = nc.new_inbox()
        self.buffer: deque[Msg] = deque()
        self.arrived = asyncio.Event()
        # Messages the open request may still bring (0: none open), and when it was sent: a
        # request lost with the connection is given up after it would have expired.
        self.open_for = 0
        self.asked_at = 0.0
        self.gone: str | None = None
        self.sub: Subscription | None = None

    async def open(self) -> None:
        self.sub = await self.nc.subscribe(self.inbox, cb=self._arrive)

    async def close(self) -> None:
        if self.sub is not None:
            try:
                await self.sub.unsubscribe()
            except Exception as exc:  # a closed connection has no subscription left
                log.debug("unsubscribe %s: %s", self.inbox, exc)

    async def _arrive(self, msg: Msg) -> None:
        status = JetStreamContext.is_status_msg(msg)
        if status is None:
            self.buffer.append(msg)
            self.open_for -= 1
            self.arrived.set()
        elif status == "100":  # a heartbeat
            return
        else:  # the request is over: expired (408), or refused (409)
            self.open_for = 0
            if status == "409":
                # Asked again by the next take(), not at once: a refusal that persists
                # (the durable deleted, a batch above its limit) must not become a busy loop.
                description = (msg.headers or {}).get("Description", "")
                log.warning("pull request refused: %s %s", status, description)
                if "Deleted" in description:
                    self.gone = description
                    self.arrived.set()
                return
        if self.open_for <= 0:
            await self._ask()

    async def _ask(self) -> None:
        now = asyncio.get_running_loop().time()
        if self.open_for > 0 and now - self.asked_at < self.EXPIRES_SECONDS + 1:
            return
        self.open_for = 0
        if len(self.buffer) >= self.batch:
            return
        self.open_for, self.asked_at = self.batch, now
        request = {"batch": self.batch, "expires": int(self.EXPIRES_SECONDS * 1e9)}
        await self.nc.publish(self.next_subject, json.dumps(request).encode(), reply=self.inbox)

    async def take(self, timeout: float) -> list[Msg]:
        """Up to a batch of messages: what has arrived, or the first to arrive in ``timeout``."""
        await self._ask()
        if not self.buffer:
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), timeout)
        if self.gone is not None:
            raise RuntimeError(f"pull consumer: {self.gone}")
        msgs = [self.buffer.popleft() for _ in range(min(len(self.buffer), self.batch))]
        await self._ask()  # the next batch comes in while this one is handled
        return msgs


def _event(envelope: events_pb2.EventEnvelope, msg: Msg) -> Event:
    meta = msg.metadata if msg.reply else None
    if meta is None:
        return Event(envelope, msg.subject)
    return Event(
        envelope, msg.subject, meta.num_delivered, meta.num_pending or 0, meta.sequence.stream
    )


def stream_seq(msg: Msg) -> int:
    """The message's sequence in the stream (0: not a JetStream message).

    Read from the ack subject's first form, ``$JS.ACK.<stream>.<consumer>.<delivered>.<stream
    seq>.<consumer seq>.<time>.<pending>``, without the library's metadata, which parses every
    field (a cost of every message of a batch); the longer form (with a domain) goes through it.
    """
    reply = msg.reply
    if not reply:
        return 0
    tokens = reply.split(".")
    if len(tokens) == 9:
        return int(tokens[5])
    return msg.metadata.sequence.stream


class EventConsumer:
    """Feeds events matching ``subjects`` to ``handler`` exactly once in effect."""

    def __init__(
        self,
        db: Database,
        nats_link: NatsLink,
        *,
        durable: str,
        subjects: list[str],
        handler: Handler | None = None,
        batch_handler: BatchHandler | None = None,
        service: str,
        state: str,
        batch: int = 100,
        inboxed: Inboxed | None = None,
    ) -> None:
        if (handler is None) == (batch_handler is None):
            raise ValueError("give a handler or a batch_handler")
        self.db = db
        self.nats = nats_link
        self.durable = durable
        self.subjects = subjects
        self.batch_handler = batch_handler
        self.handler: Handler = handler or self._one_of_batch
        self.service = service
        self.state = state
        self.batch = batch
        self.inboxed = inboxed
        # Events dropped because their type did not belong to their producer.
        self.rejected = 0

    async def run(self) -> None:
        delay = 0.2
        while True:
            try:
                js = await self.nats.jetstream()
                await self._wait_for_durable(js)
                puller = Puller(await self.nats.client(), self.durable, self.batch)
                await puller.open()
                try:
                    delay = 0.2
                    while True:
                        msgs = await puller.take(timeout=1.0)
                        if not msgs:
                            continue
                        if self.batch_handler is not None:
                            await self.handle_batch(msgs)
                        else:
                            for msg in msgs:
                                await self.handle(msg)
                finally:
                    await puller.close()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("consumer %s: %s; retrying in %.1fs", self.durable, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _wait_for_durable(self, js: JetStreamContext) -> None:
        """Until the bus owner has created the durable with exactly this consumer's filter."""
        said = False
        while True:
            try:
                info = await js.consumer_info(STREAM, self.durable)
            except NotFoundError:
                if not said:
                    log.info("consumer %s: waiting for the bus owner to create it", self.durable)
                    said = True
            else:
                if filters(info.config) == set(self.subjects):
                    return
                log.error(
                    "consumer %s is filtered on %s, this service handles %s; waiting for the"
                    " bus owner (lokos.bus) to set its filter",
                    self.durable,
                    sorted(filters(info.config)),
                    sorted(self.subjects),
                )
            await asyncio.sleep(0.5)

    async def _reject(self, msg: Msg, envelope: events_pb2.EventEnvelope) -> bool:
        """Ack and drop ``msg`` when its event does not come from its type's owner."""
        reason = foreign_origin(envelope, msg.subject)
        if reason is None:
            return False
        self.rejected += 1
        log.warning(
            "consumer %s: dropped event %s of type %r on %s: %s (%d dropped so far)",
            self.durable,
            envelope.event_id,
            envelope.type,
            msg.subject,
            reason,
            self.rejected,
        )
        await msg.ack()
        return True

    async def _one_of_batch(self, session: AsyncSession, event: Event) -> None:
        assert self.batch_handler is not None
        await self.batch_handler(session, [event])

    async def handle_batch(self, msgs: list[Msg]) -> None:
        """Process fetched messages in one transaction; if that fails, each message on its
        own, so one bad event holds up only itself.

        Each event of a sampled trace gets a ``consume <type>`` span in its own request's
        trace (the help desk follows one submission into every consumer), ended when the
        batch commits; the batch's span links them."""
        assert self.batch_handler is not None
        envelopes: list[events_pb2.EventEnvelope] = []
        good: list[Msg] = []
        for msg in msgs:
            envelope = events_pb2.EventEnvelope()
            try:
                envelope.ParseFromString(msg.data)
            except Exception:
                log.error(
                    "consumer %s: undecodable message on %s; terminating it",
                    self.durable,
                    msg.subject,
                )
                await msg.term()
                continue
            if await self._reject(msg, envelope):
                continue
            good.append(msg)
            envelopes.append(envelope)
        if not good:
            return
        # What still waits behind the batch, from its last message's delivery metadata (read
        # once: parsing it is a cost of every message otherwise); a batch handler does not
        # look at delivery counts.
        behind = _event(envelopes[-1], good[-1]).pending
        events = [
            Event(e, m.subject, 1, behind, stream_seq(m))
            for e, m in zip(envelopes, good, strict=True)
        ]
        attributes = {"messaging.system": "nats", "messaging.consumer.group.name": self.durable}
        per_event = [
            tracer.start_span(
                f"consume {e.event_type}",
                context=extract_context(m.headers),
                kind=SpanKind.CONSUMER,
                attributes={
                    **attributes,
                    "messaging.destination.name": m.subject,
                    "messaging.message.id": e.id,
                    "messaging.batch.message_count": len(events),
                },
            )
            for e, m in zip(events, good, strict=True)
            if _sampled(m)
        ]
        links = [trace.Link(sp.get_span_context()) for sp in per_event]
        try:
            with tracer.start_as_current_span(
                f"consume batch of {len(events)}",
                kind=SpanKind.CONSUMER,
                links=links,
                attributes={**attributes, "messaging.batch.message_count": len(events)},
            ) as span:
                token = context.current_principal.set(system_principal(self.service, self.state))
                try:
                    async with self.db.session() as session:
                        inboxed = self.inboxed
                        kept = [inboxed is None or inboxed(e) for e in events]
                        recorded = [e for e, k in zip(events, kept, strict=True) if k]
                        # Run even with no id to record: its lock on the inbox is what a
                        # rebuild's swap waits on (services/reports/rebuild.py).
                        rows = await session.execute(
                            text(
                                "INSERT INTO inbox (consumer, event_id)"
                                " SELECT :c, unnest(CAST(:ids AS text[]))"
                                " ON CONFLICT DO NOTHING RETURNING event_id"
                            ),
                            {"c": self.durable, "ids": [e.id for e in recorded]},
                        )
                        fresh = {r[0] for r in rows}
                        seen: set[str] = set()
                        todo = []
                        for e, k in zip(events, kept, strict=True):
                            if not k:
                                todo.append(e)
                            elif e.id in fresh and e.id not in seen:
                                seen.add(e.id)
                                todo.append(e)
                        span.set_attribute("lokos.duplicates", len(events) - len(todo))
                        if todo:
                            await self.batch_handler(session, todo)
                        await session.commit()
                except Exception as exc:
                    span.record_exception(exc)
                    log.warning(
                        "consumer %s: a batch of %d failed (%s); handling one by one",
                        self.durable,
                        len(events),
                        exc,
                    )
                    for msg in good:
                        await self.handle(msg)
                    return
                finally:
                    context.current_principal.reset(token)
        finally:
            for sp in per_event:
                sp.end()
        for msg in good:  # each ack only joins the connection's write buffer
            await msg.ack()

    async def handle(self, msg: Msg) -> None:
        """Process one message; ack after commit, nak (redeliver later) on failure."""
        envelope = events_pb2.EventEnvelope()
        try:
            envelope.ParseFromString(msg.data)
        except Exception:
            log.error(
                "consumer %s: undecodable message on %s; terminating it", self.durable, msg.subject
            )
            await msg.term()
            return
        if await self._reject(msg, envelope):
            return
        event = _event(envelope, msg)
        parent = extract_context(msg.headers)
        with tracer.start_as_current_span(
            f"consume {envelope.type}",
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "nats",
                "messaging.destination.name": msg.subject,
                "messaging.message.id": envelope.event_id,
                "messaging.consumer.group.name": self.durable,
            },
        ) as span:
            tokens = (
                context.current_principal.set(system_principal(self.service, self.state)),
                context.current_request_id.set(envelope.request_id),
            )
            try:
                async with self.db.session() as session:
                    fresh = (
                        await session.execute(
                            text(
                                "INSERT INTO inbox (consumer, event_id) VALUES (:c, :e)"
                                " ON CONFLICT DO NOTHING RETURNING event_id"
                            ),
                            {"c": self.durable, "e": envelope.event_id},
                        )
                    ).first()
                    if fresh is None:
                        span.set_attribute("lokos.duplicate", True)
                    else:
                        await self.handler(session, event)
                    await session.commit()
            except Exception as exc:
                span.record_exception(exc)
                span.set_status(trace.Status(trace.StatusCode.ERROR, str(exc)))
                log.exception("consumer %s failed on event %s", self.durable, envelope.event_id)
                await msg.nak(delay=min(2.0 * event.delivered, 30.0))
                return
            finally:
                context.current_principal.reset(tokens[0])
                context.current_request_id.reset(tokens[1])
            await msg.ack()
