"""Who may create whom: every creator role × every target role × inside/outside scope,
through the gateway against the running services.

The expected answer comes from an oracle written here from DOMAIN.md ("Users and roles"),
not from the code under test: the national team creates State Admins (and national users);
a State Admin creates state users and District Admins; a District Admin creates district
users and Block Admins; a Block Admin creates block users and every community user; and a new
user's scope lies inside the creator's.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest

from lokos import catalogue
from tests.conftest import Api
from tests.e2e.identity_helpers import Geo, create_user, make_geo, mobile_token, token

# The oracle: who creates whom, from the domain's own words.
CREATES: dict[str, set[str]] = {
    "NATIONAL_ADMIN": {
        "NATIONAL_PROGRAM_MANAGER",
        "NATIONAL_THEMATIC",
        "NATIONAL_ADMIN",
        "STATE_ADMIN",
        # The national help desk and each state's contact for it (advisory 004).
        "NATIONAL_HELPDESK_AGENT",
        "NATIONAL_HELPDESK_LEAD",
        "STATE_HELPDESK_CONTACT",
    },
    "STATE_ADMIN": {"STATE_PROGRAM_MANAGER", "STATE_THEMATIC", "DISTRICT_ADMIN"},
    "DISTRICT_ADMIN": {"DISTRICT_PROGRAM_MANAGER", "DISTRICT_THEMATIC", "BLOCK_ADMIN"},
    "BLOCK_ADMIN": {
        "BLOCK_PROGRAM_MANAGER",
        "BLOCK_THEMATIC",
        "BLOCK_MIS",
        "SHG_BOOKKEEPER",
        "VO_BOOKKEEPER",
        "SHG_MEETING_TRANSACTION_APPROVER",
        "CLF_BOOKKEEPER",
        "VO_MEETING_TRANSACTION_APPROVER",
        "SHG_TRANSACTION_APPROVER",
    },
}
PASSWORD = "Matrix@2024"


@dataclass(frozen=True)
class Case:
    creator: str
    target: str
    inside: bool

    @property
    def id(self) -> str:
        return f"{self.creator}->{self.target}:{'in' if self.inside else 'out'}"


def _creator_unit(role: str, geo: Geo) -> tuple[str, list[str]]:
    level = catalogue.role(role).level
    return {
        "national": ("national", []),
        "state": ("state", []),
        "district": ("district", [geo.d1]),
        "block": ("block", [geo.b1]),
    }[level]


def _target_scope(case: Case, geo: Geo) -> tuple[str, list[str]] | None:
    """The scope to ask for; None when "outside" has no meaning for this creator and target."""
    creator_level = catalogue.role(case.creator).level
    target_level = catalogue.role(case.target).level
    if target_level in ("national", "state"):
        return None if not case.inside else (target_level, [])
    if creator_level in ("national", "state") and not case.inside:
        return None  # every unit of this state is inside a national or state creator's scope
    if target_level == "district":
        return ("district", [geo.d1 if case.inside else geo.d2])
    # block staff and community roles work in a block
    if creator_level == "block":
        return ("block", [geo.b1 if case.inside else geo.b2])
    return ("block", [geo.b1 if case.inside else geo.b3])


def _expected(case: Case) -> bool:
    return case.inside and case.target in CREATES.get(case.creator, set())


CASES = [
    Case(c.code, t.code, inside)
    for c in catalogue.ROLES
    for t in catalogue.ROLES
    for inside in (True, False)
]


def device_of(role: str) -> str:
    """Community roles log in only through the mobile app, on a bound device."""
    return f"matrix-{role.lower()}"[:64] if catalogue.role(role).is_community else ""


@pytest.fixture(scope="module")
def creators(api: Api) -> tuple[Geo, dict[str, str]]:
    """A geography and one logged-in user for every role in the catalogue."""
    http = api.http
    geo = make_geo(http, api.token)
    national = token(http, "NATIONAL_ADMIN", "Demo@12345", entry="national")
    tokens = {"NATIONAL_ADMIN": national, "STATE_ADMIN": api.token}
    # Build the chain of admins first, then one user of every other role, each by its creator.
    order = ["DISTRICT_ADMIN", "BLOCK_ADMIN"] + [
        r.code
        for r in catalogue.ROLES
        if r.code not in {"NATIONAL_ADMIN", "STATE_ADMIN", "DISTRICT_ADMIN", "BLOCK_ADMIN"}
    ]
    for role in order:
        maker = next(c for c, made in CREATES.items() if role in made)
        level, codes = _creator_unit(role, geo)
        prefix = "NATIONAL" if catalogue.role(role).entry == "national" else "UP"
        user_id = f"{prefix}_C{geo.b1}_{role}"[:48].rstrip("_")
        r = create_user(http, tokens[maker], user_id, role, level, codes, password=PASSWORD)
        assert r.status_code == 201, (role, r.text)
        entry = catalogue.role(role).entry
        if device_of(role):
            tokens[role] = mobile_token(http, api.platform, user_id, PASSWORD, device_of(role))
        else:
            tokens[role] = token(http, user_id, PASSWORD, entry=entry)
    return geo, tokens


def test_creation_matrix(api: Api, creators: tuple[Geo, dict[str, str]]) -> None:
    geo, tokens = creators
    runnable = [(i, c, _target_scope(c, geo)) for i, c in enumerate(CASES)]
    runnable = [(i, c, s) for i, c, s in runnable if s is not None]
    assert len(runnable) > 500  # the matrix really is exercised

    def run(item: tuple[int, Case, tuple[str, list[str]]]) -> tuple[Case, int, str]:
        i, case, (level, codes) = item
        prefix = "NATIONAL" if catalogue.role(case.target).entry == "national" else "UP"
        user_id = f"{prefix}_M{geo.b1}X{i}"
        with httpx.Client(base_url=api.platform.gateway_url, timeout=30) as http:
            r = create_user(
                http,
                tokens[case.creator],
                user_id,
                case.target,
                level,
                codes,
                device_id=device_of(case.creator),
            )
        return case, r.status_code, r.text

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(run, runnable))

    wrong = []
    for case, status, text in results:
        expected = 201 if _expected(case) else 403
        if status != expected:
            wrong.append(f"{case.id}: expected {expected}, got {status}: {text[:160]}")
        elif status == 403:
            assert '"status":403' in text
    assert not wrong, "\n".join(wrong)
    allowed = sum(1 for case, status, _ in results if status == 201)
    assert allowed == sum(1 for _, c, _ in runnable if _expected(c))
