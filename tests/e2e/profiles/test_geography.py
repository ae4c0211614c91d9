"""Geography masters through the gateway: districts and blocks, CSV imports (all or nothing,
idempotent, bounded answers to garbage), cascading drop-downs, scope resolution, masters."""

from __future__ import annotations

import http.client
import os
import time
import uuid
from urllib.parse import urlsplit

import httpx

from tests.conftest import Api
from tests.e2e.helpers import h
from tests.e2e.identity_helpers import create_user, new_code, token

HEADER = "level,lgd_code,name_en,name_local,parent_code\n"
PW = "Lokos@2024"


def import_csv(
    api: Api, data: str | bytes, key: str | None = None, tok: str | None = None
) -> httpx.Response:
    headers = {**h(tok or api.token), "Content-Type": "text/csv"}
    if key is not None:
        headers["Import-Key"] = key
    body = data.encode() if isinstance(data, str) else data
    return api.http.post("/v1/geography/import", content=body, headers=headers, timeout=120)


def units(api: Api, level: str, parent: str = "", tok: str | None = None) -> list[dict[str, str]]:
    r = api.http.get(
        "/v1/geography/units",
        params={"level": level, "parent_code": parent},
        headers=h(tok or api.token),
    )
    assert r.status_code == 200, r.text
    return list(r.json()["units"])


def small_tree() -> tuple[dict[str, str], str]:
    """A district with a block, a gram panchayat and two villages; children before parents."""
    c = {
        "d": new_code(8),
        "b": new_code(9),
        "p": new_code(9),
        "v1": new_code(10),
        "v2": new_code(10),
    }
    text = (
        "\ufeff" + HEADER + f"village,{c['v2']},Rampur Kalan,रामपुर कलां,{c['p']}\r\n"
        f"village,{c['v1']},Rampur Khurd,रामपुर खुर्द,{c['p']}\r\n"
        f"panchayat,{c['p']},Rampur {c['p']},रामपुर,{c['b']}\r\n"
        f'block,{c["b"]},"Mal, {c["b"]}",माल,{c["d"]}\r\n'
        f"district,{c['d']},Lucknow {c['d']},लखनऊ,\r\n"
    )
    return c, text


# --- one by one -----------------------------------------------------------------------------


def test_districts_and_blocks_one_by_one_with_local_names(api: Api) -> None:
    d, b = new_code(8), new_code(9)
    r = api.post("/v1/geography/districts", {"lgd_code": d, "name": "Agra", "name_local": "आगरा"})
    assert r.status_code == 201, r.text
    assert r.json() == {"lgd_code": d, "name": "Agra", "state": "up", "name_local": "आगरा"}
    r = api.post(
        "/v1/geography/blocks",
        {"lgd_code": b, "name": "  Bichpuri  ", "district_lgd_code": d, "name_local": "बिचपुरी"},
    )
    assert r.status_code == 201, r.text
    assert r.json() == {
        "lgd_code": b,
        "name": "Bichpuri",
        "district_lgd_code": d,
        "state": "up",
        "name_local": "बिचपुरी",
    }
    # Without name_local, as the first clients send them.
    b2 = new_code(9)
    r = api.post(
        "/v1/geography/blocks", {"lgd_code": b2, "name": "Achhnera", "district_lgd_code": d}
    )
    assert r.status_code == 201 and r.json()["name_local"] == ""

    assert [u["lgd_code"] for u in units(api, "block", d)] == [b2, b]  # by name
    assert d in {u["lgd_code"] for u in units(api, "district")}

    again = api.post("/v1/geography/blocks", {"lgd_code": b, "name": "X", "district_lgd_code": d})
    assert again.status_code == 409 and again.json()["code"] == "block_exists"
    nowhere = api.post(
        "/v1/geography/blocks", {"lgd_code": new_code(9), "name": "X", "district_lgd_code": "1"}
    )
    assert nowhere.status_code == 422
    assert [e["field"] for e in nowhere.json()["errors"]] == ["district_lgd_code"]


# --- imports --------------------------------------------------------------------------------


def test_import_fills_every_level_for_cascading_drop_downs(api: Api) -> None:
    c, text = small_tree()
    r = import_csv(api, text)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["status"] == "imported"
    assert (report["rows"], report["imported"], report["rejected"]) == (5, 5, 0)
    assert report["errors"] == [] and report["import_id"]

    (district,) = [u for u in units(api, "district") if u["lgd_code"] == c["d"]]
    assert district["name_local"] == "लखनऊ" and district["state"] == "up"
    (block,) = units(api, "block", c["d"])
    assert (block["lgd_code"], block["name_en"], block["district_lgd_code"]) == (
        c["b"],
        f"Mal, {c['b']}",
        c["d"],
    )
    (gp,) = units(api, "panchayat", c["b"])
    assert (gp["district_lgd_code"], gp["block_lgd_code"]) == (c["d"], c["b"])
    villages = units(api, "village", c["p"])
    assert [v["name_en"] for v in villages] == ["Rampur Kalan", "Rampur Khurd"]
    assert {
        (v["district_lgd_code"], v["block_lgd_code"], v["panchayat_lgd_code"]) for v in villages
    } == {(c["d"], c["b"], c["p"])}
    assert units(api, "village", c["b"]) == []


def test_a_re_run_is_already_imported_and_the_same_units_again_change_nothing(api: Api) -> None:
    c, text = small_tree()
    first = import_csv(api, text)
    assert first.status_code == 200, first.text
    again = import_csv(api, text)
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "already_imported"
    assert again.json()["import_id"] == first.json()["import_id"]
    assert again.json()["imported"] == 5

    key = f"lgd-{uuid.uuid4()}"
    same_units = import_csv(api, text.replace("\r\n", "\n"), key=key)
    assert same_units.status_code == 200, same_units.text
    assert (same_units.json()["status"], same_units.json()["imported"]) == ("imported", 0)
    more = text + f"village,{new_code(10)},Naya Gaon,नया गाँव,{c['p']}\n"
    keyed_again = import_csv(api, more, key=key)
    assert keyed_again.json()["status"] == "already_imported"
    assert len(units(api, "village", c["p"])) == 2


def test_a_file_with_errors_is_rejected_whole_with_row_numbers(api: Api) -> None:
    d, b = new_code(8), new_code(9)
    text = (
        HEADER + f"district,{d},Good District,,\n"
        f"block,{b},Good Block,,{d}\n"
        f"block,{new_code(9)},Orphan,,{new_code(8)}\n"
        f"block,{b},Twice,,{d}\n"
        f"tehsil,{new_code(9)},Wrong level,,{d}\n"
        f"village,{new_code(10)},Under a block,,{b}\n"
        f"district,12AB,,,\n"
        f"district,{new_code(8)},{'x' * 129},,\n"
    )
    r = import_csv(api, text)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["code"] == "import_rejected" and problem["status"] == 422
    got = [(e["row"], e["column"], e["code"]) for e in problem["errors"]]
    assert got == [
        (5, "lgd_code", "duplicate"),
        (6, "level", "bad_level"),
        (8, "lgd_code", "format"),
        (8, "name_en", "required"),
        (9, "name_en", "too_long"),
    ], got
    assert problem["rejected"] == 4 and problem["more_errors"] == 0
    # Nothing was imported: not even the good rows.
    assert d not in {u["lgd_code"] for u in units(api, "district")}

    # Once the rows are right, the parents are checked.
    fixed = HEADER + (
        f"district,{d},Good District,,\n"
        f"block,{b},Good Block,,{d}\n"
        f"block,{new_code(9)},Orphan,,{new_code(8)}\n"
        f"village,{new_code(10)},Under a block,,{b}\n"
    )
    r = import_csv(api, fixed)
    assert r.status_code == 422, r.text
    assert [(e["row"], e["code"]) for e in r.json()["errors"]] == [
        (4, "unknown_parent"),
        (5, "parent_level"),
    ]
    assert d not in {u["lgd_code"] for u in units(api, "district")}


def test_a_code_that_exists_under_another_parent_is_refused(api: Api) -> None:
    c, text = small_tree()
    assert import_csv(api, text).status_code == 200
    other = new_code(8)
    moved = HEADER + f"district,{other},Other,,\nblock,{c['b']},Mal {c['b']},,{other}\n"
    r = import_csv(api, moved)
    assert r.status_code == 422, r.text
    assert [(e["row"], e["column"], e["code"]) for e in r.json()["errors"]] == [
        (3, "lgd_code", "exists")
    ]
    assert other not in {u["lgd_code"] for u in units(api, "district")}
    # Children may hang under units already in the database.
    v = new_code(10)
    r = import_csv(api, HEADER + f"village,{v},Naya Gaon,,{c['p']}\n")
    assert r.status_code == 200 and r.json()["imported"] == 1
    assert v in {u["lgd_code"] for u in units(api, "village", c["p"])}


def test_garbage_is_answered_quickly_with_a_bounded_report(api: Api) -> None:
    started = time.monotonic()
    r = import_csv(api, os.urandom(10 * 1024 * 1024))
    assert time.monotonic() - started < 15
    assert r.status_code == 422, r.text[:500]
    assert [e["code"] for e in r.json()["errors"]] == ["encoding"]

    lines = "".join(f"district,{n},,,\n" for n in range(1, 1502))
    r = import_csv(api, HEADER + lines)
    assert r.status_code == 422
    assert len(r.json()["errors"]) == 1000 and r.json()["more_errors"] == 501

    for empty in (b"", HEADER.encode()):
        r = import_csv(api, empty)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["code"] in ("empty", "no_rows")

    r = import_csv(api, "level;lgd_code;name_en\n")
    assert r.status_code == 422
    assert {e["row"] for e in r.json()["errors"]} == {1}


def test_the_body_must_be_csv_and_not_too_large(api: Api) -> None:
    r = api.http.post(
        "/v1/geography/import",
        content=HEADER.encode(),
        headers={**api.auth, "Content-Type": "application/json"},
    )
    assert r.status_code == 415, r.text
    assert r.headers["content-type"].startswith("application/problem+json")

    r = api.http.post(
        "/v1/geography/import",
        content=HEADER.encode(),
        headers={**api.auth, "Content-Type": "text/csv", "Import-Key": "has spaces"},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "Import-Key"

    # A declared length over the limit is refused before the body is read.
    url = urlsplit(api.platform.gateway_url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    try:
        conn.putrequest("POST", "/v1/geography/import")
        conn.putheader("Authorization", f"Bearer {api.token}")
        conn.putheader("Content-Type", "text/csv")
        conn.putheader("Content-Length", str(600 * 1024 * 1024))
        conn.endheaders()
        resp = conn.getresponse()
        assert resp.status == 413
        assert resp.getheader("content-type", "").startswith("application/problem+json")
    finally:
        conn.close()


def test_only_state_admins_import_and_district_admins_add_blocks_in_their_district(
    api: Api,
) -> None:
    mine, theirs = new_code(8), new_code(8)
    for d in (mine, theirs):
        assert (
            api.post("/v1/geography/districts", {"lgd_code": d, "name": f"D {d}"}).status_code
            == 201
        )
    da = f"UP_DA{new_code(6)}"
    r = create_user(api.http, api.token, da, "DISTRICT_ADMIN", "district", [mine], password=PW)
    assert r.status_code == 201, r.text
    tok = token(api.http, da, PW)

    r = api.post(
        "/v1/geography/blocks",
        {"lgd_code": new_code(9), "name": "Mine", "district_lgd_code": mine},
        token=tok,
    )
    assert r.status_code == 201, r.text
    r = api.post(
        "/v1/geography/blocks",
        {"lgd_code": new_code(9), "name": "Theirs", "district_lgd_code": theirs},
        token=tok,
    )
    assert r.status_code == 403, r.text
    r = api.post("/v1/geography/districts", {"lgd_code": new_code(8), "name": "No"}, token=tok)
    assert r.status_code == 403, r.text
    r = import_csv(api, HEADER + f"block,{new_code(9)},B,,{mine}\n", tok=tok)
    assert r.status_code == 403, r.text
    # Reading is for everyone signed in.
    assert [u["name_en"] for u in units(api, "block", mine, tok=tok)] == ["Mine"]


def test_imported_villages_resolve_for_scopes_of_community_users(api: Api) -> None:
    """Identity asks profiles where units sit (ResolveUnits) to check a creator's scope."""
    c, text = small_tree()
    assert import_csv(api, text).status_code == 200
    other, other_text = small_tree()
    assert import_csv(api, other_text).status_code == 200

    da = f"UP_DA{new_code(6)}"
    assert (
        create_user(
            api.http, api.token, da, "DISTRICT_ADMIN", "district", [c["d"]], password=PW
        ).status_code
        == 201
    )
    ba = f"UP_BA{new_code(6)}"
    r = create_user(
        api.http, token(api.http, da, PW), ba, "BLOCK_ADMIN", "block", [c["b"]], password=PW
    )
    assert r.status_code == 201, r.text
    ba_tok = token(api.http, ba, PW)

    r = create_user(
        api.http, ba_tok, f"UP_BK{new_code(6)}", "SHG_BOOKKEEPER", "village", [c["v1"]], password=PW
    )
    assert r.status_code == 201, r.text
    r = create_user(
        api.http,
        ba_tok,
        f"UP_BK{new_code(6)}",
        "SHG_BOOKKEEPER",
        "panchayat",
        [c["p"]],
        password=PW,
    )
    assert r.status_code == 201, r.text
    r = create_user(
        api.http,
        ba_tok,
        f"UP_BK{new_code(6)}",
        "SHG_BOOKKEEPER",
        "village",
        [other["v1"]],
        password=PW,
    )
    assert r.status_code == 403, r.text
    r = create_user(
        api.http, ba_tok, f"UP_BK{new_code(6)}", "SHG_BOOKKEEPER", "village", ["1"], password=PW
    )
    assert r.status_code == 422, r.text


def test_units_need_a_known_level_and_a_parent_below_districts(api: Api) -> None:
    for params in (
        {"level": "tehsil"},
        {"level": "block"},
        {"level": "village", "parent_code": "x"},
    ):
        r = api.http.get("/v1/geography/units", params=params, headers=api.auth)
        assert r.status_code == 422, (params, r.text)
    assert api.http.get("/v1/geography/units", params={"level": "district"}).status_code == 401


def test_a_whole_states_villages_import_in_seconds(api: Api) -> None:
    n = 100_000
    base = new_code(6)
    rows = [f"district,{base}{d:02d},District {d},ज़िला {d}," for d in range(20)]
    rows += [f"block,{base}{b:03d},Block {b},प्रखंड {b},{base}{b % 20:02d}" for b in range(200)]
    rows += [
        f"panchayat,{base}{p:04d},Panchayat {p},पंचायत {p},{base}{p % 200:03d}" for p in range(8000)
    ]
    rows += [
        f"village,{base}{v:05d},Village {v},गाँव {v},{base}{v % 8000:04d}"
        for v in range(n - len(rows))
    ]
    started = time.monotonic()
    r = import_csv(api, HEADER + "\n".join(reversed(rows)) + "\n")
    elapsed = time.monotonic() - started
    assert r.status_code == 200, r.text[:2000]
    assert (r.json()["rows"], r.json()["imported"]) == (n, n)
    print(f"\n{n} rows imported in {elapsed:.2f}s through the gateway ({r.json()['seconds']}s)")
    assert elapsed < 30
    villages_of_gp7 = sum(1 for v in range(n - 8220) if v % 8000 == 7)
    assert len(units(api, "village", f"{base}0007")) == villages_of_gp7


# --- masters --------------------------------------------------------------------------------


def test_masters_come_with_labels_in_both_languages(api: Api) -> None:
    r = api.get("/v1/masters")
    assert r.status_code == 200, r.text
    names = [m["name"] for m in r.json()["masters"]]
    assert {"social_category", "relation", "gender", "shg_type", "rejection_remark", "bank"} <= set(
        names
    )
    r = api.get("/v1/masters/social_category")
    assert r.status_code == 200, r.text
    assert r.json()["items"][0] == {
        "code": "SC",
        "label_en": "Scheduled Caste",
        "label_local": "अनुसूचित जाति",
    }
    banks = {i["code"]: i["label_en"] for i in api.get("/v1/masters/bank").json()["items"]}
    assert banks["SBIN"] == "State Bank of India"
    assert api.get("/v1/masters/castes").status_code == 404
    assert api.http.get("/v1/masters").status_code == 401
