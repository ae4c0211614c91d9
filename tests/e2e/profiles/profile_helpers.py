"""Arrange a block with villages, its staff (Block Admin, Block Program Manager), a bookkeeper
mapped to an SHG, and members — through the gateway, as people would."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date

import httpx

from services.profiles.identifiers import verhoeff_check_digit
from tests.conftest import Api
from tests.e2e.helpers import h
from tests.e2e.identity_helpers import create_user, new_code, token

PW = "Lokos@2024"


def aadhaar(seed: int) -> str:
    base = f"{2 + seed % 7}{seed:010d}"[-11:]
    return base + verhoeff_check_digit(base)


@dataclass
class Block:
    district: str
    block: str
    panchayat: str
    villages: list[str]
    admin: str = ""  # Block Admin token
    bpm: str = ""  # Block Program Manager token
    bpm_id: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def make_block(api: Api) -> Block:
    """District → block → panchayat → two villages (CSV import), a Block Admin and a BPM."""
    d, b, p, v1, v2 = new_code(8), new_code(9), new_code(9), new_code(10), new_code(10)
    csv = (
        "level,lgd_code,name_en,name_local,parent_code\n"
        f"district,{d},Lucknow {d},लखनऊ,\n"
        f"block,{b},Mal {b},माल,{d}\n"
        f"panchayat,{p},Alapur {p},आलापुर,{b}\n"
        f"village,{v1},Alapur Khurd,आलापुर खुर्द,{p}\n"
        f"village,{v2},Alapur Kalan,आलापुर कलां,{p}\n"
    )
    r = api.http.post(
        "/v1/geography/import",
        content=csv.encode(),
        headers={**h(api.token), "Content-Type": "text/csv", "Import-Key": f"test-{uuid.uuid4()}"},
    )
    assert r.status_code == 200, r.text
    blk = Block(d, b, p, [v1, v2])
    da = f"UP_DA{new_code(6)}"
    assert (
        create_user(
            api.http, api.token, da, "DISTRICT_ADMIN", "district", [d], password=PW
        ).status_code
        == 201
    )
    ba = f"UP_BA{new_code(6)}"
    assert (
        create_user(
            api.http, token(api.http, da, PW), ba, "BLOCK_ADMIN", "block", [b], password=PW
        ).status_code
        == 201
    )
    blk.admin = token(api.http, ba, PW)
    bpm = f"UP_BPM{new_code(6)}"
    assert (
        create_user(
            api.http, blk.admin, bpm, "BLOCK_PROGRAM_MANAGER", "block", [b], password=PW
        ).status_code
        == 201
    )
    blk.bpm, blk.bpm_id = token(api.http, bpm, PW), bpm
    return blk


def new_shg(
    http: httpx.Client, tok: str, blk: Block, name: str = "Durga Mahila SHG", **extra: object
) -> dict[str, object]:
    body = {
        "client_id": str(uuid.uuid4()),
        "cbo_type": "SHG",
        "block_lgd_code": blk.block,
        "name": name,
        "village_lgd_code": blk.villages[0],
        "formed_on": "2023-04-01",
        **extra,
    }
    r = http.post("/v1/cbos", json=body, headers=h(tok))
    assert r.status_code == 201, r.text
    return dict(r.json())


# Names and relatives of coprime counts: members of one test differ in name or relative name
# (no potential duplicates by name), and each gets her own Aadhaar and mobile (the
# de-duplication service would rightly block a second approval of the same numbers).
_NAMES = (
    "Sunita Devi",
    "Geeta Kumari",
    "Radha Yadav",
    "Laxmi Verma",
    "Seema Pal",
    "Kamla Bai",
    "Farida Khatun",
)
_RELATIVES = (
    "Ram Prasad",
    "Mohan Lal",
    "Suresh Kumar",
    "Rajesh Singh",
    "Dinesh Yadav",
    "Mahesh Verma",
    "Harish Chand",
    "Gopal Das",
    "Vijay Shankar",
    "Ashok Nath",
    "Bhola Paswan",
)


def unique_mobile() -> str:
    return f"{random.choice('6789')}{random.randrange(10**9):09d}"


def member_body(shg_id: str, i: int, **extra: object) -> dict[str, object]:
    return {
        "client_id": str(uuid.uuid4()),
        "shg_id": shg_id,
        "name": _NAMES[i % len(_NAMES)],
        "gender": "F",
        "date_of_birth": date(1985 + i % 10, 1 + i % 12, 1 + i % 27).isoformat(),
        "social_category": ["SC", "ST", "OBC", "GEN", "OTH"][i % 5],
        "relative_name": _RELATIVES[i % len(_RELATIVES)],
        "relation": "HUSBAND",
        "mobile": unique_mobile(),
        "aadhaar": aadhaar(random.randrange(10**10)),
        **extra,
    }


def add_member(
    http: httpx.Client, tok: str, shg_id: str, i: int, **extra: object
) -> dict[str, object]:
    r = http.post("/v1/members", json=member_body(shg_id, i, **extra), headers=h(tok))
    assert r.status_code == 201, r.text
    return dict(r.json())


def submit(
    http: httpx.Client, tok: str, entity_type: str, record: dict[str, object]
) -> httpx.Response:
    return http.post(
        "/v1/submissions",
        json={"entity_type": entity_type, "id": record["id"], "version": record["version"]},
        headers=h(tok),
    )


ALL_IDENTIFIERS_OK = [
    {"identifier": "mobile", "status": "approved"},
    {"identifier": "aadhaar", "status": "approved"},
]


def approve_member(
    http: httpx.Client, blk: Block, maker: str, member: dict[str, object]
) -> dict[str, object]:
    s = submit(http, maker, "member", member)
    assert s.status_code == 201, s.text
    a = http.post(
        f"/v1/submissions/{s.json()['id']}/approve",
        json={"identifiers": ALL_IDENTIFIERS_OK},
        headers=h(blk.bpm),
    )
    assert a.status_code == 200, a.text
    return dict(a.json())
