"""Helpers for identity tests through the gateway: geography, users, logins, OTPs."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import httpx

from launcher.platform import Platform


def new_code(digits: int = 9) -> str:
    return str(uuid.uuid4().int % 10**digits).rjust(digits, "1")


@dataclass
class Geo:
    """Two districts: D1 with blocks B1 and B2, D2 with block B3."""

    d1: str
    d2: str
    b1: str
    b2: str
    b3: str


def make_geo(http: httpx.Client, admin_token: str) -> Geo:
    h = {"Authorization": f"Bearer {admin_token}"}
    d1, d2, b1, b2, b3 = (new_code(8), new_code(8), new_code(), new_code(), new_code())
    for d in (d1, d2):
        r = http.post(
            "/v1/geography/districts", json={"lgd_code": d, "name": f"District {d}"}, headers=h
        )
        assert r.status_code == 201, r.text
    for b, d in ((b1, d1), (b2, d1), (b3, d2)):
        r = http.post(
            "/v1/geography/blocks",
            json={"lgd_code": b, "name": f"Block {b}", "district_lgd_code": d},
            headers=h,
        )
        assert r.status_code == 201, r.text
    return Geo(d1, d2, b1, b2, b3)


def login(
    http: httpx.Client, user_id: str, password: str, *, entry: str = "state", **extra: str
) -> httpx.Response:
    return http.post(
        f"/v1/auth/{entry}/login", json={"user_id": user_id, "password": password, **extra}
    )


def token(http: httpx.Client, user_id: str, password: str, *, entry: str = "state") -> str:
    r = login(http, user_id, password, entry=entry)
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def mobile_token(
    http: httpx.Client, platform: Platform, user_id: str, password: str, device_id: str
) -> str:
    """Log in through the mobile channel from ``device_id``, answering the SMS OTP."""
    first = login(http, user_id, password, client="mobile", device_id=device_id)
    assert first.status_code == 202, first.text
    second = login(
        http,
        user_id,
        password,
        client="mobile",
        device_id=device_id,
        challenge_id=first.json()["challenge_id"],
        otp=latest_otp(platform, user_id),
    )
    assert second.status_code == 200, second.text
    return str(second.json()["access_token"])


def create_user(
    http: httpx.Client,
    actor_token: str,
    user_id: str,
    role: str,
    level: str,
    codes: list[str],
    *,
    password: str = "Lokos@2024",
    mobile: str = "9876500000",
    device_id: str = "",
    **fields: object,
) -> httpx.Response:
    body = {
        "user_id": user_id,
        "name": f"Test {user_id}",
        "mobile": mobile,
        "password": password,
        "temporary_password": False,
        "roles": [{"role": role, "scope": {"level": level, "codes": codes}}],
        **fields,
    }
    headers = {"Authorization": f"Bearer {actor_token}"}
    if device_id:  # the actor's token is a mobile one, bound to this device
        headers["X-Device-Id"] = device_id
    return http.post("/v1/users", json=body, headers=headers)


def latest_otp(platform: Platform, user_id: str) -> str:
    path = platform.data / "sms" / "outbox.jsonl"
    for line in reversed(path.read_text().splitlines()):
        entry = json.loads(line)
        if entry["user_id"] == user_id:
            return str(entry["text"][:6])
    raise AssertionError(f"no OTP was sent to {user_id}")
