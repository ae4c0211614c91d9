"""The SMS-sender port: how OTPs reach a bookkeeper's phone.

Development: :class:`OutboxSms` appends messages to ``<data_dir>/sms/outbox.jsonl``, which
``lokos otp <user-id>`` reads. Production: :class:`HttpSmsGateway` posts to the state's SMS
gateway (URL, bearer token and sender id from configuration). Messages are never logged.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Protocol

import httpx

from lokos.errors import Unavailable


class SmsSender(Protocol):
    async def send(self, mobile: str, text: str, *, user_id: str, purpose: str) -> None: ...


class OutboxSms:
    """Writes each SMS as a JSON line to a local file (embedded mode only)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)

    async def send(self, mobile: str, text: str, *, user_id: str, purpose: str) -> None:
        line = json.dumps(
            {"at": time.time(), "to": mobile, "user_id": user_id, "purpose": purpose, "text": text}
        )
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, (line + "\n").encode())
            finally:
                os.close(fd)


def read_outbox(path: Path, user_id: str) -> list[dict[str, object]]:
    """Messages sent to ``user_id``, oldest first (for ``lokos otp`` and tests)."""
    if not path.exists():
        return []
    found = []
    for line in path.read_text().splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if entry.get("user_id") == user_id:
            found.append(entry)
    return found


class HttpSmsGateway:
    """POSTs ``{"to", "sender", "text"}`` as JSON with a bearer token to the SMS gateway."""

    def __init__(self, url: str, token: str, sender_id: str, http: httpx.AsyncClient) -> None:
        self.url = url
        self.token = token
        self.sender_id = sender_id
        self.http = http

    async def send(self, mobile: str, text: str, *, user_id: str, purpose: str) -> None:
        try:
            resp = await self.http.post(
                self.url,
                json={"to": f"91{mobile}", "sender": self.sender_id, "text": text},
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=10,
            )
        except httpx.HTTPError as exc:
            raise Unavailable("the SMS gateway did not answer", code="sms_unavailable") from exc
        if resp.status_code >= 300:
            raise Unavailable(
                f"the SMS gateway refused the message ({resp.status_code})", code="sms_refused"
            )
