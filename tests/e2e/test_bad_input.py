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
    r = api.post("/v1/shgs", filled)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert field in [e["field"] for e in problem["errors"]], problem
    assert api.dashboard_count(block) == 0


def test_malformed_json_is_a_problem(api: Api) -> None:
    r = api.http.post(
        "/v1/shgs", content=b"{not json", headers={**api.auth, "content-type": "application/json"}
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")


def test_unknown_route_is_a_problem(api: Api) -> None:
    r = api.http.get("/v1/nothing-here", headers=api.auth)
    assert r.status_code == 404
    assert r.json()["status"] == 404


def test_unknown_shg_is_404_problem(api: Api) -> None:
    r = api.get(f"/v1/shgs/{uuid.uuid4()}")
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
