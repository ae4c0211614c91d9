"""Idempotent event consumers.

A durable JetStream pull consumer per (service, purpose), created by the bus owner
(:mod:`lokos.bus`); the service binds to it and never creates or changes it. Each message is
handled in its own database transaction that also records the event id in the service's
``inbox`` table; the message is acked only after that commits. A replay (redelivery after a
crash, a duplicate publish) finds its id in the inbox and is acked without effect. An event
whose type does not belong to the service that published it (:func:`lokos.events.foreign_origin`)
is logged, counted and acked without being applied.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.errors import FetchTimeoutError, NotFoundError
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


def _event(envelope: events_pb2.EventEnvelope, msg: Msg) -> Event:
    meta = msg.metadata if msg.reply else None
    if meta is None:
        return Event(envelope, msg.subject)
    return Event(envelope, msg.subject, meta.num_delivered, meta.num_pending or 0)


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
        # Events dropped because their type did not belong to their producer.
        self.rejected = 0

    async def run(self) -> None:
        delay = 0.2
        while True:
            try:
                js = await self.nats.jetstream()
                await self._wait_for_durable(js)
                sub = await js.pull_subscribe_bind(self.durable, stream=STREAM)
                delay = 0.2
                while True:
                    try:
                        msgs = await sub.fetch(self.batch, timeout=1)
                    except (FetchTimeoutError, TimeoutError):
                        continue
                    if self.batch_handler is not None:
                        await self.handle_batch(msgs)
                    else:
                        for msg in msgs:
                            await self.handle(msg)
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

        Each event gets a ``consume <type>`` span in its own request's trace (the help desk
        follows one submission into every consumer), ended when the batch commits; the
        batch's span links them."""
        assert self.batch_handler is not None
        events: list[Event] = []
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
            events.append(_event(envelope, msg))
        if not events:
            return
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
                        rows = await session.execute(
                            text(
                                "INSERT INTO inbox (consumer, event_id)"
                                " SELECT :c, unnest(CAST(:ids AS text[]))"
                                " ON CONFLICT DO NOTHING RETURNING event_id"
                            ),
                            {"c": self.durable, "ids": [e.id for e in events]},
                        )
                        fresh = {r[0] for r in rows}
                        seen: set[str] = set()
                        todo = []
                        for e in events:
                            if e.id in fresh and e.id not in seen:
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
