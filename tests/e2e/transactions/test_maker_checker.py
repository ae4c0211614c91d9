"""Maker-checker of the books (J1, J2, F6) through the gateway: the approver mapped to the SHG's
VO (or to its VO's CLF) decides, never the maker nor another VO's or CLF's approver; approval in
order; rejecting meeting 2 of 4 returns 2–4 to the bookkeeper; pending meetings are locked."""

from __future__ import annotations

import uuid

import pytest

from lokos import catalogue
from services.transactions.access import SHG_BOOK_APPROVERS
from tests.conftest import Api
from tests.e2e.identity_helpers import create_user, new_code
from tests.e2e.profiles.profile_helpers import PW, h, new_shg, submit
from tests.e2e.test_thin_flow import wait_for
from tests.e2e.transactions.books_helpers import (
    Shg,
    mobile_login,
    rs,
    running_balances_agree,
    shg_with_members,
)
from tests.e2e.transactions.test_offline_upload import meetings, open_new_books, upload

pytestmark = pytest.mark.platform


def approver_role(federation: str) -> str:
    """The SHG books' approver bound to a VO or a CLF (F6), from the catalogue."""
    (role,) = (
        r.code
        for r in catalogue.ROLES
        if r.code in SHG_BOOK_APPROVERS and r.cbo_category == federation
    )
    return role


def approved_vo(api: Api, s: Shg, name: str, cbo_type: str = "VO") -> str:
    vo = new_shg(api.http, s.blk.admin, s.blk, name, cbo_type=cbo_type)
    sub = submit(api.http, s.blk.admin, cbo_type.lower(), vo).json()
    ok = api.http.post(f"/v1/submissions/{sub['id']}/approve", json={}, headers=h(s.blk.bpm))
    assert ok.status_code == 200, ok.text
    return str(vo["id"])


def approver_of(api: Api, s: Shg, vo_id: str, federation: str = "VO") -> dict[str, str]:
    user = f"UP_TAP{new_code(6)}"
    r = create_user(
        api.http,
        s.blk.admin,
        user,
        approver_role(federation),
        "block",
        [s.blk.block],
        mobile="9876543211",
        password=PW,
    )
    assert r.status_code == 201, r.text
    assert wait_for(
        lambda: (
            api.http.post(
                f"/v1/users/{user}/cbos", json={"cbo_ids": [vo_id]}, headers=h(s.blk.admin)
            ).status_code
            == 200
        ),
        timeout=15,
    )
    return mobile_login(api, user, f"ap-{new_code(6)}")


def decide(
    api: Api, s: Shg, who: dict[str, str], number: int | None, approve: bool, remarks: str = ""
) -> tuple[int, dict[str, object]]:
    path = "cutoff/decision" if number is None else f"meetings/{number}/decision"
    r = api.http.post(
        f"/v1/books/{s.shg_id}/{path}",
        json={"approve": approve, "remarks": remarks},
        headers=who,
    )
    return r.status_code, r.json()


def statuses(api: Api, s: Shg) -> list[tuple[int, str]]:
    listed = api.http.get(f"/v1/books/{s.shg_id}/meetings", headers=s.bookkeeper).json()
    return [(m["number"], m["status"]) for m in listed["meetings"]]


def test_maker_checker_of_meetings(api: Api) -> None:
    s = shg_with_members(api, count=2)
    vo = approved_vo(api, s, "Ujala VO")
    other_vo = approved_vo(api, s, "Pragati VO")
    linked = api.http.post(
        f"/v1/cbos/{s.shg_id}/federation", json={"parent_id": vo}, headers=h(s.blk.admin)
    )
    assert linked.status_code == 200, linked.text
    mine = approver_of(api, s, vo)
    theirs = approver_of(api, s, other_vo)
    open_new_books(api, s)
    code, answer = upload(api, s, meetings(s, 4))
    assert code == 200, answer

    # the bookkeeper (maker) holds no approver role; another VO's approver cannot see the SHG
    assert decide(api, s, s.bookkeeper, 1, True)[0] == 403
    assert decide(api, s, theirs, None, True)[0] == 404
    # the federation link reaches transactions through events
    assert wait_for(lambda: decide(api, s, mine, 1, True)[0] == 409, timeout=30)  # cut-off first
    code, cutoff = decide(api, s, mine, None, True)
    assert code == 200 and cutoff["status"] == "APPROVED", cutoff
    assert decide(api, s, mine, 3, True)[0] == 409  # in order
    code, first = decide(api, s, mine, 1, True)
    assert code == 200 and first["status"] == "APPROVED"
    assert first["checker"] != first["maker"]

    # pending meetings are locked: nothing can be recorded in their place
    code, locked = upload(api, s, [{**meetings(s, 1, first=2)[0], "client_id": str(uuid.uuid4())}])
    assert code == 422 and "number" in str(locked["errors"])

    # rejection needs remarks; rejecting 2 of 4 returns 2–4 to the bookkeeper
    assert decide(api, s, mine, 2, False)[0] == 422
    code, rejected = decide(api, s, mine, 2, False, "cash count differs from the register")
    assert code == 200 and rejected["status"] == "REJECTED"
    assert statuses(api, s) == [(1, "APPROVED"), (2, "REJECTED"), (3, "REJECTED"), (4, "REJECTED")]
    balances = api.http.get(f"/v1/books/{s.shg_id}/balances", headers=s.bookkeeper).json()
    assert balances["total_assets"] == rs(100) * 2 * 1
    assert balances["pending_meetings"] == []
    running_balances_agree(api)

    # the bookkeeper records meeting 2 again, corrected
    code, redo = upload(api, s, meetings(s, 1, first=2))
    assert code == 200 and redo["results"][0]["outcome"] == "RECORDED"  # type: ignore[index]
    approved_view = api.http.get(
        f"/v1/books/{s.shg_id}/balances", params={"approved_only": "true"}, headers=mine
    ).json()
    assert approved_view["total_assets"] == rs(100) * 2 * 1
    assert approved_view["pending_meetings"] == [2]


def test_the_maker_never_decides_and_the_clf_approver_does(api: Api) -> None:
    s = shg_with_members(api, count=2)
    vo = approved_vo(api, s, "Roshni VO")
    clf = approved_vo(api, s, "Sangam CLF", cbo_type="CLF")
    other_clf = approved_vo(api, s, "Milan CLF", cbo_type="CLF")
    for child, parent in ((s.shg_id, vo), (vo, clf)):
        linked = api.http.post(
            f"/v1/cbos/{child}/federation", json={"parent_id": parent}, headers=h(s.blk.admin)
        )
        assert linked.status_code == 200, linked.text
    clf_approver = approver_of(api, s, clf, "CLF")
    theirs = approver_of(api, s, other_clf, "CLF")

    # The bookkeeper also becomes the SHG's VO approver: she still never decides her own books.
    added = api.http.post(
        f"/v1/users/{s.bookkeeper_id}/roles",
        json={"role": approver_role("VO"), "scope": {"level": "block", "codes": [s.blk.block]}},
        headers=h(s.blk.admin),
    )
    assert added.status_code == 201, added.text
    mapped = api.http.post(
        f"/v1/users/{s.bookkeeper_id}/cbos", json={"cbo_ids": [vo]}, headers=h(s.blk.admin)
    )
    assert mapped.status_code == 200, mapped.text
    maker = mobile_login(api, s.bookkeeper_id, s.bookkeeper["X-Device-Id"])
    open_new_books(api, s)
    code, answer = upload(api, s, meetings(s, 2))
    assert code == 200, answer

    def refused_as_maker() -> bool:
        code, problem = decide(api, s, maker, None, True)
        return code == 403 and problem["code"] == "maker_is_checker"

    assert wait_for(refused_as_maker, timeout=30, interval=0.5)
    # another CLF's approver cannot see the SHG
    assert decide(api, s, theirs, None, True)[0] == 404
    # the CLF's approver reaches the SHG through its VO (links copied from profiles' events)
    assert wait_for(lambda: decide(api, s, clf_approver, None, True)[0] == 200, timeout=30)
    code, first = decide(api, s, clf_approver, 1, True)
    assert code == 200 and first["status"] == "APPROVED", first
    assert first["maker"] == s.bookkeeper_id and first["checker"] != s.bookkeeper_id
    code, problem = decide(api, s, maker, 2, True)
    assert (code, problem["code"]) == (403, "maker_is_checker")
    assert statuses(api, s) == [(1, "APPROVED"), (2, "CLOSED")]
