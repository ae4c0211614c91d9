"""The production SMS adapter against a real local HTTP server standing in for the state's
SMS gateway (its contract: POST JSON with a bearer token)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from lokos.errors import Unavailable
from services.identity.sms import HttpSmsGateway, OutboxSms, read_outbox


class _Gateway(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, object]]] = []
    status = 202

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append((self.headers["Authorization"], body))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def sms_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Gateway.received = []
    _Gateway.status = 202
    yield f"http://127.0.0.1:{server.server_address[1]}/send"
    server.shutdown()


def test_http_gateway_posts_the_message_with_the_token(sms_server: str) -> None:
    async def send() -> None:
        async with httpx.AsyncClient() as http:
            sms = HttpSmsGateway(sms_server, "secret-token", "LOKOS", http)
            await sms.send("9876543210", "123456 is your LokOS OTP", user_id="UP_X", purpose="otp")

    asyncio.run(send())
    ((auth, body),) = _Gateway.received
    assert auth == "Bearer secret-token"
    assert body == {"to": "919876543210", "sender": "LOKOS", "text": "123456 is your LokOS OTP"}


def test_http_gateway_refusal_and_silence_are_unavailable(sms_server: str) -> None:
    _Gateway.status = 500

    async def send(url: str) -> None:
        async with httpx.AsyncClient() as http:
            await HttpSmsGateway(url, "t", "LOKOS", http).send(
                "9876543210", "x", user_id="U", purpose="otp"
            )

    with pytest.raises(Unavailable) as refused:
        asyncio.run(send(sms_server))
    assert refused.value.code == "sms_refused"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/send"
    with pytest.raises(Unavailable) as silent:
        asyncio.run(send(closed))
    assert silent.value.code == "sms_unavailable"


def test_development_outbox_is_private_and_read_per_user(tmp_path: Path) -> None:
    path = tmp_path / "sms" / "outbox.jsonl"
    sms = OutboxSms(path)
    asyncio.run(sms.send("9876543210", "111111 first", user_id="UP_A", purpose="otp"))
    asyncio.run(sms.send("9876543211", "222222 other", user_id="UP_B", purpose="otp"))
    asyncio.run(sms.send("9876543210", "333333 second", user_id="UP_A", purpose="otp"))
    assert [m["text"] for m in read_outbox(path, "UP_A")] == ["111111 first", "333333 second"]
    assert path.stat().st_mode & 0o077 == 0
