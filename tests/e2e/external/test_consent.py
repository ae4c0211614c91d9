"""Member-level data only with the member's consent: none → 403; captured by the bookkeeper
with the OTP sent to the member's registered mobile → her data for the consented dates only;
revoked or expired → 403 at once; every fetch in the log with the consent id, visible to her
bookkeeper."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from launcher.platform import Platform
from tests.conftest import Api
from tests.e2e.external.test_external_api import bearer, register, token
from tests.e2e.identity_helpers import latest_otp
from tests.e2e.transactions.books_helpers import Shg, shg_with_members
from tests.e2e.transactions.test_offline_upload import meetings, open_new_books, upload

pytestmark = pytest.mark.platform


@pytest.fixture(scope="module")
def shg(api: Api) -> Shg:
    s = shg_with_members(api, count=2)
    open_new_books(api, s)
    code, answer = upload(api, s, meetings(s, 3))  # 2026-01-05, 2026-02-05, 2026-03-05
    assert code == 200, answer
    return s


def ask(http: httpx.Client, headers: dict[str, str], member_id: str, **extra: Any) -> Any:
    body = {
        "member_id": member_id,
        "purpose": {"code": "CREDIT", "text": "Appraisal of an SHG member loan"},
        "data_scope": ["savings", "repayment_history"],
        "data_range": {"from": "2026-02-01", "to": "2026-02-28"},
        "expires_on": (date.today() + timedelta(days=30)).isoformat(),
        **extra,
    }
    r = http.post("/external/v1/consents", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def capture(api: Api, s: Shg, consent_id: str, member_id: str) -> dict[str, Any]:
    sent = api.http.post(f"/v1/consents/{consent_id}/otp", headers=s.bookkeeper)
    assert sent.status_code == 200, sent.text
    assert sent.json()["sent_to"].startswith("XXXXXX")
    otp = latest_otp(api.platform, f"member:{member_id}")
    wrong = api.http.post(
        f"/v1/consents/{consent_id}/grant",
        json={"otp": "000000" if otp != "000000" else "111111"},
        headers=s.bookkeeper,
    )
    assert wrong.status_code == 401
    r = api.http.post(f"/v1/consents/{consent_id}/grant", json={"otp": otp}, headers=s.bookkeeper)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def history(
    http: httpx.Client, headers: dict[str, str], member: str, consent: str
) -> httpx.Response:
    return http.get(
        f"/external/v1/members/{member}/history",
        params={"consent_id": consent},
        headers=headers,
    )


def test_consent_by_otp_gives_the_consented_range_only_until_revoked(
    platform: Platform, api: Api, shg: Shg
) -> None:
    bank = register(api, ["member-history"])
    headers = bearer(token(platform, bank))
    member = shg.members[0]
    with httpx.Client(base_url=platform.gateway_url, timeout=15) as http:
        consent = ask(http, headers, member)
        assert consent["status"] == "requested"
        cid = consent["consent_id"]
        pending = history(http, headers, member, cid)
        assert pending.status_code == 403
        assert pending.json()["code"] == "consent_pending"

        granted = capture(api, shg, cid, member)
        assert granted["status"] == "active"
        assert granted["captured_by"].startswith("otp:")

        r = history(http, headers, member, cid)
        assert r.status_code == 200, r.text
        body = r.json()
        assert [line["date"] for line in body["lines"]] == ["2026-02-05"]
        assert body["lines"][0]["savings"]["compulsory_paid"] == 10_000
        assert body["loans"] is None  # "loans" was not in the data scope
        # Another member of the same SHG is not covered by her consent.
        other = history(http, headers, shg.members[1], cid)
        assert other.status_code == 403
        assert other.json()["code"] == "no_consent"

        revoked = api.http.post(f"/v1/consents/{cid}/revoke", headers=shg.bookkeeper)
        assert revoked.status_code == 200, revoked.text
        assert revoked.json()["status"] == "revoked"
        after = history(http, headers, member, cid)
    assert after.status_code == 403
    assert after.json()["code"] == "consent_revoked"

    fetches = api.http.get(f"/v1/consents/{cid}/fetches", headers=shg.bookkeeper)
    assert fetches.status_code == 200, fetches.text
    outcomes = [(f["consent_id"], f["outcome"]) for f in fetches.json()]
    assert outcomes == [
        (cid, "consent_revoked"),
        (cid, "no_consent"),
        (cid, "allowed"),
        (cid, "consent_pending"),
    ]
    listed = api.http.get("/v1/consents", params={"member_id": member}, headers=shg.bookkeeper)
    assert [c["consent_id"] for c in listed.json()] == [cid]


def test_no_consent_and_an_expired_one_are_refused(platform: Platform, api: Api, shg: Shg) -> None:
    bank = register(api, ["member-history"])
    headers = bearer(token(platform, bank))
    member = shg.members[1]
    with httpx.Client(base_url=platform.gateway_url, timeout=15) as http:
        none = history(http, headers, member, "00000000-0000-4000-8000-000000000000")
        assert none.status_code == 403
        assert none.json()["code"] == "no_consent"
        consent = ask(http, headers, member)
        capture(api, shg, consent["consent_id"], member)
        assert history(http, headers, member, consent["consent_id"]).status_code == 200

        async def lapse() -> None:  # the expiry date passes
            engine = create_async_engine(platform.database_url("identity"))
            async with engine.begin() as conn:
                await conn.execute(
                    text("UPDATE consent SET expires_at = now() WHERE id = :id"),
                    {"id": consent["consent_id"]},
                )
            await engine.dispose()

        asyncio.run(lapse())
        expired = history(http, headers, member, consent["consent_id"])
    assert expired.status_code == 403
    assert expired.json()["code"] == "consent_expired"


def test_a_client_without_the_member_scope_cannot_ask(platform: Platform, api: Api) -> None:
    client = register(api, ["aggregates"])
    with httpx.Client(base_url=platform.gateway_url, timeout=15) as http:
        r = http.post(
            "/external/v1/consents",
            json={
                "member_id": "00000000-0000-4000-8000-000000000000",
                "purpose": {"code": "CREDIT", "text": "Appraisal"},
                "data_scope": ["savings"],
                "data_range": {"from": "2026-01-01", "to": "2026-01-31"},
                "expires_on": (date.today() + timedelta(days=3)).isoformat(),
            },
            headers=bearer(token(platform, client)),
        )
    assert r.status_code == 403
    assert r.json()["code"] == "api_scope_missing"


def test_a_consent_is_seen_only_by_its_requester(platform: Platform, api: Api, shg: Shg) -> None:
    bank = register(api, ["member-history"])
    other = register(api, ["member-history", "aggregates"])
    with httpx.Client(base_url=platform.gateway_url, timeout=15) as http:
        consent = ask(http, bearer(token(platform, bank)), shg.members[0])
        path = f"/external/v1/consents/{consent['consent_id']}"
        other_headers = bearer(token(platform, other))
        assert http.get(path, headers=other_headers).status_code == 404
        assert http.post(f"{path}/revoke", headers=other_headers).status_code == 404
        mine = http.get(path, headers=bearer(token(platform, bank)))
    assert mine.status_code == 200
    assert mine.json()["status"] == "requested"
