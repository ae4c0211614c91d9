"""Bad input gets a 4xx problem+json naming the field, and changes nothing."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import Api

BAD_SHGS = [
    ({"name": "Radha SHG", "block_lgd_code": "1"}, "client_id"),
    ({"client_id": "not-a-uuid", "name": "Radha SHG", "block_lgd_code": "1"}, "client_id"),
    ({"client_id": "{cid}", "name": "", "block_lgd_code": "{block}"}, "name"),
    ({"client_id": "{cid}", "name": "x" * 201, "block_lgd_code": "{block}"}, "name"),
    ({"client_id": "{cid}", "name": 42, "block_lgd_code": "{block}"}, "name"),
    ({"client_id": "{cid}", "name": "Radha SHG", "block_lgd_code": "12ab"}, "block_lgd_code"),
    (
        {
            "client_id": "{cid}",
            "name": "Radha SHG",
            "block_lgd_code": "{block}",
            "formed_on": "2999-01-01",
        },
        "formed_on",
    ),
    (
        {
            "client_id": "{cid}",
            "name": "Radha SHG",
            "block_lgd_code": "{block}",
            "formed_on": "31/12/2020",
        },
        "formed_on",
    ),
    ({"client_id": "{cid}", "name": "   ", "block_lgd_code": "{block}"}, "name"),
    (
        {"client_id": "{cid}", "name": "Radha SHG", "block_lgd_code": "99999999999"},
        "block_lgd_code",
    ),
]


@pytest.mark.parametrize(("body", "field"), BAD_SHGS, ids=[f for _, f in BAD_SHGS])
def test_bad_shg_is_refused_naming_the_field(api: Api, body: dict[str, object], field: str) -> None:
    block = api.new_block()
    filled = {
        k: (v.format(cid=uuid.uuid4(), block=block) if isinstance(v, str) else v)
        for k, v in body.items()
    }
    r = api.post("/v1/cbos", {"cbo_type": "SHG", **filled})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert field in [e["field"] for e in problem["errors"]], problem
    assert api.dashboard_count(block) == 0


def test_malformed_json_is_a_problem(api: Api) -> None:
    r = api.http.post(
        "/v1/cbos", content=b"{not json", headers={**api.auth, "content-type": "application/json"}
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    # The body is named as the field, not a character offset in it.
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("body", "json_invalid")]


def test_unknown_route_is_a_problem(api: Api) -> None:
    r = api.http.get("/v1/nothing-here", headers=api.auth)
    assert r.status_code == 404
    assert (r.json()["status"], r.json()["code"]) == (404, "http_404")


def test_the_gateways_own_problems_speak_hindi(api: Api) -> None:
    hindi = {**api.auth, "Accept-Language": "hi"}
    r = api.http.get("/v1/nothing-here", headers=hindi)
    assert r.json()["detail"] == "ऐसा कोई पथ या रिकॉर्ड नहीं है।"
    r = api.http.post("/v1/geography/districts", json={"name": "Agra"}, headers=hindi)
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == "गलत जानकारी: lgd_code"
    assert r.json()["errors"] == [
        {"field": "lgd_code", "message": "यह भरना ज़रूरी है।", "code": "missing"}
    ]
    r = api.http.post(
        "/v1/geography/districts",
        content=b'{"lgd_code": "1", "name": ',
        headers={**hindi, "content-type": "application/json"},
    )
    assert r.json()["errors"] == [
        {"field": "body", "message": "भेजी गई सामग्री सही JSON नहीं है।", "code": "json_invalid"}
    ]
    r = api.http.post(
        "/v1/geography/districts", json={"lgd_code": "1", "name": "x" * 300}, headers=hindi
    )
    assert r.json()["errors"][0]["message"] == "अधिकतम 128 अक्षरों का हो सकता है।", r.json()


def test_unknown_shg_is_404_problem(api: Api) -> None:
    r = api.get(f"/v1/cbos/{uuid.uuid4()}")
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"


def test_duplicate_district_is_409(api: Api) -> None:
    block = api.new_block()
    assert block
    code = str(uuid.uuid4().int % 10**9)
    assert api.post("/v1/geography/districts", {"lgd_code": code, "name": "A"}).status_code == 201
    again = api.post("/v1/geography/districts", {"lgd_code": code, "name": "B"})
    assert again.status_code == 409
    assert again.json()["code"] == "district_exists"


# --- control characters and integers out of range: 422 naming the field, never 500 ------------

NUL_REQUESTS = [
    ("get", "/v1/users", {"q": "A\x00B"}, None, "q"),
    ("get", "/v1/users", {"role": "SHG\x00"}, None, "role"),
    ("get", "/v1/cbos/unlinked", {"block_lgd_code": "1\x002"}, None, "block_lgd_code"),
    ("get", "/v1/audit", {"action": "\x00"}, None, "action"),
    (
        "post",
        "/v1/users",
        None,
        {
            "user_id": "UP_A\u0000B",
            "name": "Sita",
            "password": "Lokos@2024",
            "roles": [{"role": "SHG_BOOKKEEPER", "scope": {"level": "block", "codes": ["1"]}}],
        },
        "user_id",
    ),
    (
        "post",
        "/v1/users",
        None,
        {
            "user_id": "UP_SITA",
            "name": "Sita",
            "password": "Lokos@2024",
            "roles": [{"role": "SHG_BOOKKEEPER", "scope": {"level": "block", "codes": ["1\x00"]}}],
        },
        "roles.0.scope.codes.0",
    ),
    ("post", "/v1/geography/districts", None, {"lgd_code": "{code}", "name": "A\u0000B"}, "name"),
    (
        "post",
        "/v1/geography/districts",
        None,
        {"lgd_code": "{code}", "name": "Agra", "name_local": "\x1b[31m"},
        "name_local",
    ),
    ("post", "/v1/auth/state/login", None, {"user_id": "A\u0000B", "password": "x"}, "user_id"),
]


@pytest.mark.parametrize(
    ("method", "path", "params", "body", "field"),
    NUL_REQUESTS,
    ids=[f"{m} {p} {f}" for m, p, _, _, f in NUL_REQUESTS],
)
def test_control_characters_are_refused_naming_the_field(
    api: Api,
    method: str,
    path: str,
    params: dict[str, str] | None,
    body: dict[str, object] | None,
    field: str,
) -> None:
    code = str(uuid.uuid4().int % 10**9)
    if body is not None and body.get("lgd_code") == "{code}":
        body = {**body, "lgd_code": code}
    r = api.http.request(method, path, params=params, json=body, headers=api.auth)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    errors = {e["field"]: e for e in r.json()["errors"]}
    assert errors[field]["code"] == "control_characters", errors
    if path == "/v1/geography/districts":  # nothing was created
        again = api.post(path, {"lgd_code": code, "name": "Agra"})
        assert again.status_code == 201, again.text


OVERFLOWS = [
    ("get", "/v1/users", {"offset": str(2**31)}, None, "offset"),
    ("get", "/v1/users", {"limit": str(2**63)}, None, "limit"),
    ("get", "/v1/cbos/unlinked", {"offset": str(2**31)}, None, "offset"),
    ("get", "/v1/audit", {"offset": str(2**40)}, None, "offset"),
    ("patch", "/v1/users/UP_NOBODY", None, {"version": 2**63}, "version"),
    ("patch", "/v1/users/UP_NOBODY", None, {"version": 2**64 + 1}, "version"),
    ("delete", f"/v1/users/UP_NOBODY/roles/{2**63}", None, None, "grant_id"),
    ("patch", f"/v1/cbos/{uuid.uuid4()}", None, {"version": 2**63}, "version"),
    (
        "post",
        "/v1/submissions",
        None,
        {"entity_type": "shg", "id": str(uuid.uuid4()), "version": 2**63},
        "version",
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "params", "body", "field"),
    OVERFLOWS,
    ids=[f"{m} {p} {f}" for m, p, _, _, f in OVERFLOWS],
)
def test_integers_out_of_range_are_422_naming_the_field(
    api: Api,
    method: str,
    path: str,
    params: dict[str, str] | None,
    body: dict[str, object] | None,
    field: str,
) -> None:
    r = api.http.request(method, path, params=params, json=body, headers=api.auth)
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]], r.json()


# --- the same client_id must carry the same create -------------------------------------------


def test_client_id_reused_with_other_content_is_refused(api: Api) -> None:
    block = api.new_block()
    body = {
        "client_id": str(uuid.uuid4()),
        "cbo_type": "SHG",
        "name": "Sita SHG",
        "block_lgd_code": block,
    }
    first = api.post("/v1/cbos", body)
    assert first.status_code == 201, first.text
    replay = api.post("/v1/cbos", body)
    assert replay.status_code == 200, replay.text
    assert replay.json()["id"] == first.json()["id"]
    other = api.post("/v1/cbos", {**body, "name": "Gita SHG"})
    assert other.status_code == 422, other.text
    problem = other.json()
    assert problem["errors"] == [
        {
            "field": "client_id",
            "message": "client id reused with different content",
            "code": "client_id_reused",
        }
    ]
    assert api.get(f"/v1/cbos/{first.json()['id']}").json()["name"] == "Sita SHG"
    # A member likewise.
    member = {
        "client_id": str(uuid.uuid4()),
        "shg_id": first.json()["id"],
        "name": "Kamla Devi",
        "gender": "F",
    }
    assert api.post("/v1/members", member).status_code == 201
    assert api.post("/v1/members", member).status_code == 200
    changed = api.post("/v1/members", {**member, "name": "Kamla Bai"})
    assert changed.status_code == 422, changed.text
    assert changed.json()["errors"][0]["code"] == "client_id_reused"


# --- the answers' headers ----------------------------------------------------------------------


def test_answers_carry_security_headers_and_no_server_banner(api: Api) -> None:
    for r in (api.get("/v1/me"), api.http.get("/v1/nothing-here"), api.http.get("/healthz")):
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert r.headers["cache-control"] == "no-store"
        assert "server" not in r.headers
        # Plain HTTP: no HSTS (it would pin a development host to HTTPS).
        assert "strict-transport-security" not in r.headers


def test_token_answers_are_not_stored(api: Api) -> None:
    from tests.conftest import DEMO_PASSWORD, DEMO_USER

    r = api.http.post(
        "/v1/auth/state/login", json={"user_id": DEMO_USER, "password": DEMO_PASSWORD}
    )
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"


def test_cbo_search_refuses_control_characters(api: Api) -> None:
    from tests.e2e.profiles.profile_helpers import h, make_block

    blk = make_block(api)
    for params in ({"name": "Durga\x00"}, {"code": "\x00"}, {"village_lgd_code": "1\x00"}):
        r = api.http.get("/v1/tasks", params=params, headers=h(blk.bpm))
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["code"] == "control_characters"


def test_hsts_when_a_trusted_proxy_terminated_tls(api: Api) -> None:
    r = api.http.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert r.headers["strict-transport-security"].startswith("max-age=31536000")


def test_docs_load_nothing_from_a_cdn(api: Api) -> None:
    page = api.http.get("/v1/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower()
    assets = [
        "/v1/docs/assets/swagger-ui-bundle.js",
        "/v1/docs/assets/swagger-ui.css",
    ]
    for asset in assets:
        assert asset in page.text
        got = api.http.get(asset)
        assert got.status_code == 200 and len(got.content) > 10_000
    assert "script-src 'self' 'unsafe-inline'" in page.headers["content-security-policy"]


# --- what the contract fuzzer found ------------------------------------------------------------


def test_405_names_every_method_of_the_path(api: Api) -> None:
    r = api.http.request("OPTIONS", "/v1/duplicate-rules", headers=api.auth)
    assert r.status_code == 405
    assert {"GET", "PUT"} <= {m.strip() for m in r.headers["allow"].split(",")}
    # /v1/cbos/unlinked is not a CBO id: PATCH there is a wrong method, not a bad id.
    r = api.http.patch("/v1/cbos/unlinked", json={"version": 1}, headers=api.auth)
    assert r.status_code == 405, r.text
    assert r.headers["allow"].startswith("GET")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"formed_on": 0}, "formed_on"),
        ({"formed_on": "20230401"}, "formed_on"),
        ({"formed_on": "0001-01-01"}, "formed_on"),
        ({"name": True}, "name"),
    ],
    ids=["date as a number", "date as digits", "year 1", "bool for text"],
)
def test_values_of_another_type_are_not_coerced(
    api: Api, body: dict[str, object], field: str
) -> None:
    block = api.new_block()
    r = api.post(
        "/v1/cbos",
        {
            "client_id": str(uuid.uuid4()),
            "cbo_type": "SHG",
            "name": "Radha SHG",
            "block_lgd_code": block,
            **body,
        },
    )
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]


def test_numbers_and_booleans_are_strict(api: Api) -> None:
    for rule in (
        {"name": "aadhaar", "kind": "confirmed", "exempt_same_household": 0},
        {"name": "name", "kind": "potential", "relative_threshold": False},
    ):
        r = api.http.put("/v1/duplicate-rules", json={"rules": [rule]}, headers=api.auth)
        assert r.status_code == 422, r.text
    r = api.http.patch("/v1/users/UP_NOBODY", json={"version": "1"}, headers=api.auth)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "version"


def test_body_that_is_not_utf8_is_a_documented_400(api: Api) -> None:
    r = api.http.post(
        "/v1/cbos",
        content=b'{"name": "\xff\xfe"}',
        headers={**api.auth, "content-type": "application/json"},
    )
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")
    doc = api.http.get("/v1/openapi.json").json()
    assert "400" in doc["paths"]["/v1/cbos"]["post"]["responses"]
