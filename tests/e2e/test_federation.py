"""The national federation with real platforms: two states and the national instance.

The session's platform is Uttar Pradesh; this module starts Bihar and the national instance
beside it (the launcher of ``lokos up``, each with its PostgreSQL, NATS, identity provider,
services and gateway; LOKOS_STATE=br and LOKOS_STATE=national). Each state's NATS connects to
the national NATS as a leaf node (``LOKOS_NATIONAL_LEAF_URL``) through a cable the test can cut.
Data is written through each state's gateway as its state admin; the national dashboard is
read through the national gateway as national staff. A subscriber to everything on the
national NATS records what crosses the leaf connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import string
import threading
import uuid
from collections import Counter
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import nats
import pytest
from nats.aio.msg import Msg

from launcher.federation import LeafCable
from launcher.platform import Platform
from lokos import bus, federation
from lokos.reports.v1 import federation_pb2
from tests.conftest import (
    LEAF_CABLE_PORTS,
    NATIONAL_LEAF_PORT,
    login,
    platform_settings,
    port_base,
)
from tests.e2e.helpers import eventually, h
from tests.e2e.identity_helpers import create_user
from tests.e2e.identity_helpers import token as gateway_token
from tests.e2e.profiles.profile_helpers import member_body

T = TypeVar("T")
# Three platforms start here on a shared machine: more than the default 300 s may pass before
# the first test's setup ends when the machine is busy.
pytestmark = pytest.mark.timeout(900)
DEMO_PASSWORD = "Demo@12345"
NATIONAL_ADMIN = "NATIONAL_ADMIN"
# Seconds the national numbers may take: a cut leaf's source resumes after JetStream's retry.
CATCH_UP = 150.0


class Loop:
    """An event loop in a thread, for the cables and the national subscriber beside the
    synchronous HTTP clients."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def _letters(n: int = 8) -> str:
    """A name no other record has (names hold no digits)."""
    return "".join(random.choice(string.ascii_lowercase) for _ in range(n)).title()


@dataclass
class State:
    """One state's instance as its state admin uses it."""

    code: str
    platform: Platform
    http: httpx.Client
    personal: list[str] = field(default_factory=list)

    @property
    def token(self) -> str:
        return login(
            self.platform, f"lokos-{self.code}", f"{self.code.upper()}_STATEADMIN", DEMO_PASSWORD
        )

    def new_block(self, district: str = "") -> tuple[str, str]:
        """A block (in a new district unless given); (district, block) LGD codes."""
        tok = self.token
        n = uuid.uuid4().int
        if not district:
            district = str(n % 10**8).rjust(8, "1")
            r = self.http.post(
                "/v1/geography/districts",
                json={"lgd_code": district, "name": f"D{district}"},
                headers=h(tok),
            )
            assert r.status_code == 201, r.text
        block = str(n // 10**8 % 10**9).rjust(9, "1")
        r = self.http.post(
            "/v1/geography/blocks",
            json={"lgd_code": block, "name": f"B{block}", "district_lgd_code": district},
            headers=h(tok),
        )
        assert r.status_code == 201, r.text
        return district, block

    def add_shgs(self, block: str, n: int) -> None:
        """``n`` SHGs in ``block``, each with a member (a person the nation must not see)."""
        tok = self.token
        for i in range(n):
            name = f"Federation SHG {uuid.uuid4().hex[:8]}"
            r = self.http.post(
                "/v1/cbos",
                json={
                    "client_id": str(uuid.uuid4()),
                    "cbo_type": "SHG",
                    "name": name,
                    "block_lgd_code": block,
                },
                headers=h(tok),
            )
            assert r.status_code == 201, r.text
            member = member_body(str(r.json()["id"]), i, name=f"Sita {_letters()}")
            m = self.http.post("/v1/members", json=member, headers=h(tok))
            assert m.status_code == 201, m.text
            self.personal += [
                name,
                str(member["name"]),
                str(member["mobile"]),
                str(member["aadhaar"]),
            ]

    def blocks(self, district: str) -> dict[str, int]:
        """SHGs per block of ``district`` on the state's own dashboard."""
        r = self.http.get(
            "/v1/reports/dashboard/drill-down",
            params={"district_lgd_code": district},
            headers=h(self.token),
        )
        assert r.status_code == 200, r.text
        return {row["code"]: row["panels"]["shgs_formed"] for row in r.json()["rows"]}

    def total(self) -> int:
        r = self.http.get("/v1/reports/dashboard", headers=h(self.token))
        assert r.status_code == 200, r.text
        return int(r.json()["shgs_formed"])


@dataclass
class Federation:
    national: Platform
    national_http: httpx.Client
    states: dict[str, State]
    cables: dict[str, LeafCable]
    loop: Loop
    crossed: list[Msg]

    @property
    def national_token(self) -> str:
        return login(self.national, "lokos-national", NATIONAL_ADMIN, DEMO_PASSWORD)

    def dashboard(self, token: str = "", **params: str) -> httpx.Response:
        return self.national_http.get(
            "/v1/reports/national", params=params, headers=h(token or self.national_token)
        )

    def numbers(self, **params: str) -> dict[str, int]:
        """SHGs per row of the national dashboard (states, or a state's districts/blocks)."""
        r = self.dashboard(**params)
        assert r.status_code == 200, r.text
        return {row["code"]: row["metrics"].get("shgs_formed", 0) for row in r.json()["rows"]}

    def leaves(self) -> int:
        port = self.national.s.nats_monitor_port
        return int(httpx.get(f"http://127.0.0.1:{port}/leafz", timeout=5).json()["leafnodes"])


@pytest.fixture(scope="module")
def fed(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    base = port_base()
    up_password = platform.s.national_leaf_password.get_secret_value()
    br_password = uuid.uuid4().hex
    national_dir = tmp_path_factory.mktemp("lokos-national")
    # The national team's leaf passwords, as the states were given them.
    for state, password in (("up", up_password), ("br", br_password)):
        path = bus.password_file(national_dir, federation.leaf_user(state))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(password)
        path.chmod(0o600)
    national = Platform(
        platform_settings(
            national_dir,
            offset=250,
            state="national",
            trusted_realms="lokos-national",
            idp_realms="lokos-national",
            federated_states="up,br",
            nats_leaf_host="127.0.0.1",
            nats_leaf_port=base + NATIONAL_LEAF_PORT,
            nats_monitor_port=base + NATIONAL_LEAF_PORT + 5,
        )
    )
    bihar = Platform(
        platform_settings(
            tmp_path_factory.mktemp("lokos-br"),
            offset=50,
            state="br",
            trusted_realms="lokos-national,lokos-br",
            idp_realms="lokos-national,lokos-br",
            national_leaf_url=f"nats-leaf://127.0.0.1:{base + LEAF_CABLE_PORTS['br']}",
            national_leaf_password=br_password,
            federation_publish_seconds=1.0,
        )
    )
    loop = Loop()
    cables = {
        s: LeafCable(base + port, base + NATIONAL_LEAF_PORT) for s, port in LEAF_CABLE_PORTS.items()
    }
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(loop.close)
        for p in (national, bihar):  # both start at once; wait for both
            p.prepare()
            p.start()
            cleanup.callback(p.wipe)

        @cleanup.callback
        def stop_both() -> None:  # at once too: each waits for its processes to stop
            with ThreadPoolExecutor() as pool:
                list(pool.map(Platform.shutdown, (national, bihar)))

        for cable in cables.values():
            loop.run(cable.mend())
            cleanup.callback(lambda c=cable: loop.run(c.cut()))
        national.wait_ready(240)
        bihar.wait_ready(240)
        crossed: list[Msg] = []

        async def spy() -> nats.NATS:
            user, password = national.nats_credentials(bus.ADMIN)
            nc = await nats.connect(
                national.nats_url, user=user, password=password, inbox_prefix=bus.inbox_prefix(user)
            )

            async def record(msg: Msg) -> None:
                crossed.append(msg)

            await nc.subscribe(">", cb=record)
            return nc

        nc = loop.run(spy())
        cleanup.callback(lambda: loop.run(nc.close()))
        https = [
            httpx.Client(base_url=p.gateway_url, timeout=30) for p in (platform, bihar, national)
        ]
        for client in https:
            cleanup.callback(client.close)
        fed = Federation(
            national,
            https[2],
            {"up": State("up", platform, https[0]), "br": State("br", bihar, https[1])},
            cables,
            loop,
            crossed,
        )
        assert eventually(lambda: fed.leaves() == 2, timeout=60), "both states' leaves connect"
        yield fed


def _aggregate_published(state: State, block: str) -> int:
    """The SHG count in the state's last aggregate of ``block`` in its own stream."""

    async def last() -> int:
        user, password = state.platform.nats_credentials(bus.ADMIN)
        nc = await nats.connect(
            state.platform.nats_url,
            user=user,
            password=password,
            inbox_prefix=bus.inbox_prefix(user),
        )
        try:
            msg = await nc.jetstream().get_last_msg(
                federation.AGGREGATE_STREAM, federation.aggregate_subject(state.code, block)
            )
            return int(federation_pb2.BlockAggregate.FromString(msg.data).metrics["shgs_formed"])
        except nats.js.errors.NotFoundError:
            return -1
        finally:
            await nc.close()

    return asyncio.run(last())


def test_both_states_reach_the_nation_exactly_across_a_cut_and_nothing_personal_crosses(
    fed: Federation,
) -> None:
    up, br = fed.states["up"], fed.states["br"]
    up_district, up_a = up.new_block()
    br_district, br_a = br.new_block()
    up.add_shgs(up_a, 2)
    br.add_shgs(br_a, 1)
    assert eventually(
        lambda: fed.numbers(state="up", district_lgd_code=up_district) == {up_a: 2}, 60
    )
    assert eventually(
        lambda: fed.numbers(state="br", district_lgd_code=br_district) == {br_a: 1}, 60
    )

    # Uttar Pradesh is cut off while it writes; Bihar's numbers keep arriving.
    fed.loop.run(fed.cables["up"].cut())
    assert eventually(lambda: fed.leaves() == 1, 30), "up's leaf is down"
    _, up_b = up.new_block(up_district)
    up.add_shgs(up_a, 2)
    up.add_shgs(up_b, 1)
    br.add_shgs(br_a, 2)
    # Published into its own stream while cut off (the state's dashboard has them too).
    assert eventually(
        lambda: _aggregate_published(up, up_a) == 4 and _aggregate_published(up, up_b) == 1, 60
    )
    assert up.blocks(up_district) == {up_a: 4, up_b: 1}
    assert eventually(
        lambda: fed.numbers(state="br", district_lgd_code=br_district) == {br_a: 3}, 60
    )
    assert fed.numbers(state="up", district_lgd_code=up_district) == {up_a: 2}

    fed.loop.run(fed.cables["up"].mend())
    assert eventually(
        lambda: fed.numbers(state="up", district_lgd_code=up_district) == {up_a: 4, up_b: 1},
        CATCH_UP,
    ), "up catches up"
    # Exact: the national numbers are each state's own, block by block and in total.
    assert fed.numbers(state="up", district_lgd_code=up_district) == up.blocks(up_district)
    assert fed.numbers(state="br", district_lgd_code=br_district) == br.blocks(br_district)
    assert eventually(lambda: fed.numbers() == {"br": br.total(), "up": up.total()}, 60), (
        fed.numbers(),
        br.total(),
        up.total(),
    )

    # Nothing personal crossed: on the national NATS only aggregates (and JetStream's own
    # control traffic) arrived from the states, and no name, mobile or Aadhaar number.
    states = tuple(fed.states)
    from_states = [m for m in fed.crossed if not m.subject.startswith("lokos.national.")]
    # A sourced message arrives under its original subject (the deliver subject routes it).
    aggregates = [m for m in from_states if m.subject.startswith("aggregates.") and m.data]
    seen = {federation_pb2.BlockAggregate.FromString(m.data).state for m in aggregates}
    assert seen == set(states), Counter(".".join(m.subject.split(".")[:3]) for m in from_states)
    personal = [p.encode() for s in fed.states.values() for p in s.personal]
    assert personal
    for msg in from_states:
        assert not any(p in msg.data for p in personal), msg.subject
        assert not msg.subject.startswith("lokos."), msg.subject
    allowed = {"state", "district_lgd_code", "block_lgd_code", "period", "metrics", "as_of"}
    for msg in aggregates:
        aggregate = federation_pb2.BlockAggregate.FromString(msg.data)
        assert {f.name for f, _ in aggregate.ListFields()} <= allowed


def test_the_national_side_cannot_ask_a_state_for_its_events(fed: Federation) -> None:
    """Whoever controls the national NATS asks Uttar Pradesh's JetStream (through its domain)
    for an event, for a consumer on the events' stream, and for a new stream capturing them:
    none of the requests crosses the leaf, so nothing answers."""
    up = fed.states["up"]
    up.add_shgs(up.new_block()[1], 1)  # an event with a member's details in the state's stream
    api = f"$JS.{federation.domain('up')}.API"
    requests = [
        (f"{api}.STREAM.MSG.GET.LOKOS", {"last_by_subj": "lokos.up.profiles.member.created"}),
        (f"{api}.DIRECT.GET.LOKOS", {"last_by_subj": "lokos.up.profiles.member.created"}),
        (f"{api}.STREAM.INFO.LOKOS", {}),
        (
            f"{api}.CONSUMER.CREATE.LOKOS.spy.lokos.up.profiles.>",
            {
                "stream_name": "LOKOS",
                "config": {"name": "spy", "filter_subject": "lokos.up.profiles.>"},
            },
        ),
        (f"{api}.CONSUMER.CREATE.LOKOS", {"stream_name": "LOKOS", "config": {}}),
        (f"{api}.STREAM.CREATE.COPY", {"name": "COPY", "subjects": ["copy.>"], "sources": []}),
        (f"{api}.CONSUMER.MSG.NEXT.LOKOS.reports-feed", {"batch": 1}),
    ]

    async def ask() -> list[str]:
        user, password = fed.national.nats_credentials(bus.ADMIN)
        nc = await nats.connect(fed.national.nats_url, user=user, password=password)
        answered: list[str] = []
        try:
            for i, (subject, body) in enumerate(requests):
                reply = f"steal.{i}"  # not an inbox: inboxes are refused anyway
                sub = await nc.subscribe(reply)
                await nc.publish(subject, json.dumps(body).encode(), reply=reply)
                with contextlib.suppress(nats.errors.TimeoutError):
                    await sub.next_msg(timeout=1)
                    answered.append(subject)
                await sub.unsubscribe()
        finally:
            await nc.close()
        return answered

    assert fed.loop.run(ask(), timeout=60) == []

    # The same requests of the aggregates' stream are answered: the leaf itself is up.
    async def aggregates_info() -> bytes:
        user, password = fed.national.nats_credentials(bus.ADMIN)
        nc = await nats.connect(fed.national.nats_url, user=user, password=password)
        try:
            sub = await nc.subscribe("steal.ok")
            await nc.publish(
                f"{api}.CONSUMER.INFO.{federation.AGGREGATE_STREAM}.none", b"", reply="steal.ok"
            )
            return bytes((await sub.next_msg(timeout=5)).data)
        finally:
            await nc.close()

    assert b"consumer not found" in fed.loop.run(aggregates_info())


def _code(r: httpx.Response) -> tuple[int, str]:
    body = r.json() if r.headers.get("content-type", "").endswith("json") else {}
    return r.status_code, str(body.get("code", ""))


def test_the_national_dashboard_is_for_national_staff_of_the_national_instance(
    fed: Federation,
) -> None:
    up, br = fed.states["up"], fed.states["br"]
    district, b1 = br.new_block()
    _, b2 = br.new_block(district)
    br.add_shgs(b1, 1)
    br.add_shgs(b2, 2)
    assert eventually(
        lambda: fed.numbers(state="br", district_lgd_code=district) == {b1: 1, b2: 2}, 60
    )
    national = fed.national_token
    # Every state, then a state's districts, then a district's blocks.
    view = fed.dashboard(national).json()
    assert view["level"] == "state" and {"up", "br"} <= {r["code"] for r in view["rows"]}
    assert view["total"]["shgs_formed"] == sum(r["metrics"]["shgs_formed"] for r in view["rows"])
    districts = fed.dashboard(national, state="br").json()
    assert districts["level"] == "district"
    assert {r["code"]: r["metrics"]["shgs_formed"] for r in districts["rows"]}[district] == 3
    blocks = fed.dashboard(national, state="br", district_lgd_code=district).json()
    assert blocks["level"] == "block" and blocks["period"] == view["period"]
    assert all(r["as_of"] for r in blocks["rows"])

    # National staff read it too: a program manager the national admin creates.
    pm = f"NATIONAL_PM{_letters(6).upper()}"
    r = create_user(fed.national_http, national, pm, "NATIONAL_PROGRAM_MANAGER", "national", [])
    assert r.status_code == 201, r.text
    staff = gateway_token(fed.national_http, pm, "Lokos@2024", entry="national")
    assert fed.dashboard(staff).json()["rows"] == view["rows"]

    # Bad input names the field.
    r = fed.dashboard(national, period="2026-13")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "period", r.text
    r = fed.dashboard(national, district_lgd_code=district)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "state", r.text

    # A state's user cannot read it: her roles on her own instance, her realm on the nation's.
    assert _code(up.http.get("/v1/reports/national", headers=h(up.token))) == (
        403,
        "role_not_allowed",
    )
    assert fed.dashboard(up.token).status_code == 401
    # A national user's token is valid on the national instance only.
    assert up.http.get("/v1/reports/dashboard", headers=h(national)).status_code == 401
    assert br.http.get("/v1/reports/national", headers=h(national)).status_code == 401
    # A state instance's own national realm gets no national dashboard there: a state's
    # instance holds no other state's numbers.
    local = login(up.platform, "lokos-national", NATIONAL_ADMIN, DEMO_PASSWORD)
    assert _code(up.http.get("/v1/reports/national", headers=h(local))) == (404, "not_national")


def test_national_admins_manage_state_admins_through_each_state_instance(fed: Federation) -> None:
    br = fed.states["br"]
    national = fed.national_token
    # The national instance keeps national users only: a State Admin is refused there.
    r = create_user(
        fed.national_http, national, f"NATIONAL_SA{_letters(6).upper()}", "STATE_ADMIN", "state", []
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "state_role_on_national"
    # Bihar's instance trusts the national realm of its own identity provider (Keycloak): a
    # national admin there creates Bihar's State Admin, and manages her afterwards.
    br_national = login(br.platform, "lokos-national", NATIONAL_ADMIN, DEMO_PASSWORD)
    admin = f"BR_SA{_letters(6).upper()}"
    r = create_user(br.http, br_national, admin, "STATE_ADMIN", "state", [])
    assert r.status_code == 201, r.text
    state_admin = gateway_token(br.http, admin, "Lokos@2024")
    assert br.http.get("/v1/reports/dashboard", headers=h(state_admin)).status_code == 200
    r = br.http.get(f"/v1/users/{admin}", headers=h(br_national))
    assert r.status_code == 200 and r.json()["user_id"] == admin, r.text
    # The national instance's token does not reach Bihar's instance, and Bihar's State Admin
    # is unknown to the national one: each instance's realms are its own.
    assert br.http.get(f"/v1/users/{admin}", headers=h(national)).status_code == 401
    r = fed.national_http.post(
        "/v1/auth/state/login", json={"user_id": admin, "password": "Lokos@2024"}
    )
    assert r.status_code == 401, r.text
