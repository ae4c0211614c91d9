"""The external report API end to end, as a bank's developer would use it: a real OAuth client
library (python-keycloak's KeycloakOpenID) gets tokens by the client-credentials grant from
the running platform's identity provider; the gateway answers under /external/v1.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakAuthenticationError, KeycloakPostError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from launcher.platform import Platform
from tests.conftest import Api
from tests.e2e.test_thin_flow import wait_for

pytestmark = pytest.mark.platform

REALM = "lokos-up"
AGGREGATES = "/external/v1/aggregates"


@dataclass
class Client:
    client_id: str
    secret: str
    token_endpoint: str


def register(api: Api, scopes: list[str], **extra: Any) -> Client:
    r = api.post(
        "/v1/api-clients",
        {"name": f"Bank {uuid.uuid4().hex[:6]}", "kind": "bank", "scopes": scopes, **extra},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["client"]["status"] == "active"
    return Client(body["client"]["client_id"], body["client_secret"], body["token_endpoint"])


def token(platform: Platform, client: Client) -> str:
    oauth = KeycloakOpenID(
        server_url=platform.idp_url + "/",
        realm_name=REALM,
        client_id=client.client_id,
        client_secret_key=client.secret,
    )
    return str(oauth.token(grant_type="client_credentials")["access_token"])


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


@pytest.fixture
def district(platform: Platform) -> str:
    """A district of the read model only this test writes: three blocks, two months; one block
    has three SC members in April (a small cell)."""
    code = f"X{uuid.uuid4().hex[:8]}"
    rows = []
    for b, (sc, general, obc) in enumerate([(3, 40, 22), (12, 30, 18), (8, 25, 11)]):
        for period in ("2026-04", "2026-05"):
            rows.append(
                {
                    "d": code,
                    "b": f"{code}{b}",
                    "p": period,
                    "sc": sc,
                    "gen": general,
                    "obc": obc,
                    "shgs": 4 + b,
                    "meetings": 20 + b,
                    "savings": 1_000_000 * (b + 1),
                }
            )
    # The districts' roll-up rows (block ''), as the event handlers keep them.
    for period in ("2026-04", "2026-05"):
        month = [r for r in rows if r["p"] == period]
        rows.append(
            {
                "d": code,
                "b": "",
                "p": period,
                **{k: sum(int(r[k]) for r in month) for k in ("sc", "gen", "obc", "shgs")},
                **{k: sum(int(r[k]) for r in month) for k in ("meetings", "savings")},
            }
        )
    insert = text(
        "INSERT INTO area_month (state, district_lgd_code, block_lgd_code, period, shgs_formed,"
        " members_sc, members_st, members_obc, members_general, members_other,"
        " meetings_approved, savings, loans_disbursed, principal_repaid, interest_repaid)"
        " VALUES ('up', :d, :b, :p, :shgs, :sc, 0, :obc, :gen, 0, :meetings, :savings, 0, 0, 0)"
    )

    async def arrange() -> None:
        engine = create_async_engine(platform.database_url("reports"))
        async with engine.begin() as conn:
            await conn.execute(insert, rows)
        await engine.dispose()

    asyncio.run(arrange())
    return code


def test_token_aggregates_pagination_etag_and_suppression(
    platform: Platform, api: Api, district: str
) -> None:
    client = register(api, ["aggregates"])
    assert client.token_endpoint.endswith(f"/realms/{REALM}/protocol/openid-connect/token")
    headers = bearer(token(platform, client))
    rows: list[dict[str, Any]] = []
    cursor = ""
    pages = 0
    with httpx.Client(base_url=platform.gateway_url, timeout=15) as http:
        while True:
            params = {"group_by": "block", "district_lgd_code": district, "limit": "2"}
            if cursor:
                params["cursor"] = cursor
            r = http.get(AGGREGATES, headers=headers, params=params)
            assert r.status_code == 200, r.text
            pages += 1
            body = r.json()
            rows += body["rows"]
            if pages == 1:
                etag = r.headers["etag"]
                again = http.get(
                    AGGREGATES, headers={**headers, "If-None-Match": etag}, params=params
                )
                assert again.status_code == 304
                assert again.headers["etag"] == etag
            cursor = body["next_cursor"]
            if cursor is None:
                break
    assert pages == 3
    assert [(r["block_lgd_code"], r["period"]) for r in rows] == [
        (f"{district}{b}", p) for b in range(3) for p in ("2026-04", "2026-05")
    ]
    small = rows[0]
    assert small["measures"]["members_sc"] is None
    assert "members_sc" in small["suppressed"]
    # Totals stay true, and the row's withheld cells are two or more (no subtraction gives it).
    assert small["measures"]["members_total"] == 65
    assert len([m for m in small["suppressed"] if m.startswith("members_")]) >= 2
    # The other blocks' SC column is withheld too somewhere (the district total would give it).
    april = [r for r in rows if r["period"] == "2026-04"]
    assert sum("members_sc" in r["suppressed"] for r in april) >= 2
    # Published values are the true ones.
    assert rows[2]["measures"]["members_general"] == 30
    assert rows[2]["measures"]["shgs_formed"] == 5

    with httpx.Client(base_url=platform.gateway_url, timeout=15) as http:
        export = http.get(
            f"{AGGREGATES}/export",
            headers=headers,
            params={"group_by": "district", "district_lgd_code": district},
        )
    assert export.status_code == 200, export.text
    lines = export.text.splitlines()
    assert lines[0].startswith("district_lgd_code|block_lgd_code|period|shgs_formed")
    assert [line.split("|")[:3] for line in lines[1:]] == [
        [district, "", "2026-04"],
        [district, "", "2026-05"],
    ]

    calls = api.get(f"/v1/api-clients/{client.client_id}/calls")
    assert calls.status_code == 200, calls.text
    assert {c["outcome"] for c in calls.json()} == {"allowed"}
    assert len(calls.json()) == pages + 2


def test_a_revoked_client_is_refused_at_once(platform: Platform, api: Api) -> None:
    client = register(api, ["aggregates"])
    headers = bearer(token(platform, client))
    with httpx.Client(base_url=platform.gateway_url, timeout=15) as http:
        assert http.get(AGGREGATES, headers=headers).status_code == 200
        r = api.post(f"/v1/api-clients/{client.client_id}/revoke", {})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "revoked"
        refused = http.get(AGGREGATES, headers=headers)  # the same, unexpired token
    assert refused.status_code == 403
    assert refused.json()["code"] == "api_client_revoked"
    with pytest.raises((KeycloakAuthenticationError, KeycloakPostError)):
        token(platform, client)
    calls = api.get(f"/v1/api-clients/{client.client_id}/calls").json()
    assert [c["outcome"] for c in calls] == ["revoked", "allowed"]


def test_rotation_gives_a_new_secret_and_the_old_one_stops(platform: Platform, api: Api) -> None:
    client = register(api, ["aggregates"])
    r = api.post(f"/v1/api-clients/{client.client_id}/secret", {})
    assert r.status_code == 200, r.text
    rotated = Client(client.client_id, r.json()["client_secret"], client.token_endpoint)
    assert rotated.secret != client.secret
    assert token(platform, rotated)
    with pytest.raises((KeycloakAuthenticationError, KeycloakPostError)):
        token(platform, client)


def test_a_client_without_the_scope_is_refused(platform: Platform, api: Api) -> None:
    client = register(api, ["member-history"])
    with httpx.Client(base_url=platform.gateway_url, timeout=15) as http:
        r = http.get(AGGREGATES, headers=bearer(token(platform, client)))
    assert r.status_code == 403
    assert r.json()["code"] == "api_scope_missing"


def test_app_tokens_and_unregistered_clients_are_not_api_clients(
    platform: Platform, api: Api
) -> None:
    with httpx.Client(base_url=platform.gateway_url, timeout=15) as http:
        staff = http.get(AGGREGATES, headers=api.auth)
        anonymous = http.get(AGGREGATES)
    assert staff.status_code == 401
    assert staff.json()["code"] == "api_client_unknown"
    assert anonymous.status_code == 401


def test_bursts_get_429_with_retry_after_and_others_are_unaffected(
    platform: Platform, api: Api
) -> None:
    busy = register(api, ["aggregates"], rate_per_minute=5)
    calm = register(api, ["aggregates"])
    busy_headers, calm_headers = bearer(token(platform, busy)), bearer(token(platform, calm))
    with httpx.Client(base_url=platform.gateway_url, timeout=15) as http:
        # The first call teaches the gateway the client's own rate.
        answers = [http.get(AGGREGATES, headers=busy_headers).status_code for _ in range(8)]
        limited = http.get(AGGREGATES, headers=busy_headers)
        calm_answer = http.get(AGGREGATES, headers=calm_headers)
    assert answers.count(200) >= 5
    assert 429 in answers
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.json()["code"] == "api_rate_limited"
    assert calm_answer.status_code == 200


def test_caps_on_page_size_and_request_body(platform: Platform, api: Api) -> None:
    client = register(api, ["aggregates"])
    headers = bearer(token(platform, client))
    with httpx.Client(base_url=platform.gateway_url, timeout=15) as http:
        big_page = http.get(AGGREGATES, headers=headers, params={"limit": "5000"})
        bad_cursor = http.get(AGGREGATES, headers=headers, params={"cursor": "nonsense"})
        big_body = http.request(
            "GET",
            AGGREGATES,
            headers={**headers, "content-type": "application/json"},
            content=b"x" * 100_000,
        )
    assert big_page.status_code == 422
    assert big_page.json()["errors"][0]["field"] == "limit"
    assert bad_cursor.status_code == 422
    assert bad_cursor.json()["errors"][0]["field"] == "cursor"
    assert big_body.status_code == 413


def test_the_external_api_has_its_own_openapi_document(platform: Platform) -> None:
    doc = httpx.get(f"{platform.gateway_url}/external/v1/openapi.json", timeout=10).json()
    assert doc["servers"] == [{"url": "/external/v1"}]
    assert set(doc["paths"]) >= {"/aggregates", "/aggregates/export"}
    flows = doc["components"]["securitySchemes"]["clientCredentials"]["flows"]
    assert flows["clientCredentials"]["tokenUrl"].endswith(
        "/realms/lokos-up/protocol/openid-connect/token"
    )
    main = httpx.get(f"{platform.gateway_url}/v1/openapi.json", timeout=10).json()
    assert not any(p.startswith("/external") for p in main["paths"])


def test_an_shg_created_through_the_api_reaches_the_aggregates(
    platform: Platform, api: Api
) -> None:
    block = api.new_block()
    assert api.create_shg(block).status_code == 201
    headers = bearer(token(platform, register(api, ["aggregates"], rate_per_minute=600)))
    month = date.today().strftime("%Y-%m")

    def rows(**params: str) -> list[dict[str, Any]]:
        r = httpx.get(
            f"{platform.gateway_url}{AGGREGATES}", params=params, headers=headers, timeout=15
        )
        assert r.status_code == 200, r.text
        found: list[dict[str, Any]] = r.json()["rows"]
        return found

    assert wait_for(lambda: bool(rows(block_lgd_code=block)), timeout=30)
    [by_block] = rows(block_lgd_code=block)
    assert (by_block["period"], by_block["measures"]["shgs_formed"]) == (month, 1)
    [by_district] = rows(group_by="district", district_lgd_code=by_block["district_lgd_code"])
    assert by_district["block_lgd_code"] == ""
    assert by_district["measures"]["shgs_formed"] == 1
