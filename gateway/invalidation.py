"""Drop cached principals when identity announces a change (roles, status, device, CBOs).

A plain NATS subscription: missing an announcement while NATS is away costs at most the
cache's TTL, so no durable consumer is needed here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from gateway.auth import PrincipalResolver
from lokos import bus, events
from lokos.common.v1 import events_pb2
from lokos.config import LokosSettings
from lokos.identity.v1 import identity_pb2

log = logging.getLogger(__name__)
SUBJECT = "lokos.*.identity.user.changed"


class PrincipalInvalidation:
    def __init__(self, settings: LokosSettings, resolver: PrincipalResolver) -> None:
        self.url = settings.nats_url
        # The gateway's own NATS user may only listen to this subject (lokos/bus.py).
        self.user, self.password = bus.credentials(settings)
        self.resolver = resolver
        self._nc: NatsClient | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        delay = 0.2
        while True:
            try:
                self._nc = await events.connect(
                    self.url,
                    "gateway-invalidation",
                    user=self.user,
                    password=self.password,
                    inbox_prefix=bus.inbox_prefix(self.user),
                )
                await self._nc.subscribe(SUBJECT, cb=self._on_message)
                return
            except Exception as exc:
                log.warning("principal invalidation: NATS not reachable (%s)", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _on_message(self, msg: Msg) -> None:
        try:
            envelope = events_pb2.EventEnvelope.FromString(msg.data)
            reason = events.foreign_origin(envelope, msg.subject)
            if reason is not None:
                log.warning("dropped event %s on %s: %s", envelope.event_id, msg.subject, reason)
                return
            changed = identity_pb2.UserChanged()
            if envelope.payload.Unpack(changed):
                self.resolver.forget(changed.realm, changed.user_id)
        except Exception:
            log.exception("undecodable identity event on %s", msg.subject)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._nc is not None and self._nc.is_connected:
            await self._nc.close()
