"""The national federation over NATS leaf nodes, on this machine.

Three real nats-servers configured from the code (launcher/federation.py): the national one
and two states ("up", "br"), each state's leaf connection running through a cable that the
test can cut. Each state's reports database (real PostgreSQL, the shared platform's server)
holds SHG counts, its AggregatePublisher publishes them into the state's own stream, the
national stream sources them over the leaf nodes, and the national consumer stores them for
the national dashboard. The services' personal events are on the same state streams; a
subscriber to everything on the national side checks that none of them ever crosses.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from sqlalchemy.dialects.postgresql import insert

from launcher.federation import LeafCable, NatsServer
from launcher.platform import Platform
from lokos import bus
from lokos.db import Database, prepare_database
from lokos.events import NatsLink
from lokos.reports.v1 import federation_pb2
from services.reports import national
from services.reports.federation import AggregatePublisher
from services.reports.main import MIGRATIONS
from services.reports.models import BlockRollup

STATES = ("up", "br")
# A member's details as profiles would publish them: they must never reach the national side.
PERSONAL = (b"Sita Devi", b"9876543210", b"234567890123")


def _ports(base: int, i: int) -> tuple[int, int]:
    return base + 10 * i, base + 10 * i + 1


@dataclass
class Federation:
    national: NatsServer
    states: dict[str, NatsServer]
    cables: dict[str, LeafCable]
    databases: dict[str, Database]
    publishers: dict[str, AggregatePublisher]
    national_nc: NatsClient
    crossed: list[Msg]

    async def add_shgs(self, state: str, district: str, block: str, n: int) -> None:
        async with self.databases[state].session() as session:
            # SHGs formed this month, as the reports' consumer leaves them in the block rollup.
            month = date.today().replace(day=1)
            await session.execute(
                insert(BlockRollup)
                .values(
                    state=state,
                    district_lgd_code=district,
                    block_lgd_code=block,
                    formed_month=month,
                    shgs=n,
                )
                .on_conflict_do_update(
                    index_elements=["state", "district_lgd_code", "block_lgd_code", "formed_month"],
                    set_={"shgs": BlockRollup.shgs + n},
                )
            )
            await session.commit()

    async def publish(self, state: str) -> int:
        return await self.publishers[state].publish_changed()

    async def national_numbers(self) -> dict[str, int]:
        async with self.databases["national"].session() as session:
            period = await national.latest_period(session)
            return {
                n.code: n.metrics.get("shgs_formed", 0)
                for n in await national.states(session, period)
            }

    async def blocks(self, state: str, district: str) -> dict[str, int]:
        async with self.databases["national"].session() as session:
            period = await national.latest_period(session)
            rows = await national.drill_down(session, state, period, district)
            return {n.code: n.metrics["shgs_formed"] for n in rows}


async def _eventually(check: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"not after {timeout:.0f}s: {what}")
        await asyncio.sleep(0.2)


async def _connect(server: NatsServer, user: str) -> NatsClient:
    return await nats.connect(
        server.url,
        user=user,
        password=server.password(user),
        inbox_prefix=bus.inbox_prefix(user),
        max_reconnect_attempts=-1,
    )


@pytest.fixture
async def fed(platform: Platform, tmp_path: Path) -> AsyncIterator[Federation]:
    base = int(os.environ.get("LOKOS_TEST_PORT_BASE", "27000")) + 700
    servers: dict[str, NatsServer] = {}
    cables: dict[str, LeafCable] = {}
    databases: dict[str, Database] = {}
    links: list[NatsLink] = []
    async with contextlib.AsyncExitStack() as cleanup:
        # Whatever was started is stopped, also when the setup fails half-way.
        @cleanup.push_async_callback
        async def stop_everything() -> None:
            for link in links:
                await link.close()
            for cable in cables.values():
                await cable.cut()
            for server in servers.values():
                server.stop()
            for db in databases.values():
                await db.dispose()

        port, monitor = _ports(base, 0)
        nat = servers["national"] = NatsServer(
            "national", tmp_path / "national", port, monitor, leaf_port=base + 5, leaf_states=STATES
        )
        nat.start()
        for i, state in enumerate(STATES, start=1):
            cables[state] = LeafCable(base + 10 * i + 5, nat.leaf_port)
            await cables[state].mend()
            port, monitor = _ports(base, i)
            servers[state] = NatsServer(
                state, tmp_path / state, port, monitor, national_leaf_url=cables[state].url
            )
            servers[state].start(nat)
        server_url = platform.database_url("reports").rsplit("/", 1)[0]
        for name in ("national", *STATES):
            url = f"{server_url}/lokos_fedtest_{name}"
            await prepare_database(MIGRATIONS, url, create=True)
            databases[name] = Database(url, pool_size=2)
        publishers = {}
        for state in STATES:
            server = servers[state]
            admin = await _connect(server, bus.ADMIN)
            await bus.provision(admin.jetstream(), state)
            await admin.close()
            link = NatsLink(
                server.url,
                "reports",
                user="reports",
                password=server.password("reports"),
                inbox_prefix=bus.inbox_prefix("reports"),
            )
            link.start()
            links.append(link)
            publishers[state] = AggregatePublisher(databases[state], link, state)
        national_nc = await _connect(nat, bus.ADMIN)
        cleanup.push_async_callback(national_nc.close)
        crossed: list[Msg] = []

        async def spy(msg: Msg) -> None:
            crossed.append(msg)

        await national_nc.subscribe(">", cb=spy)
        await _eventually(lambda: nat.leaf_connections() == len(STATES), "both leaves connected")
        # The national bus owner makes the national stream (sourcing both states) and the
        # reports durable; the national reports process reads as its own NATS user.
        await bus.provision(national_nc.jetstream(), "national", federated_states=STATES)
        reports_link = NatsLink(
            nat.url,
            "reports",
            user="reports",
            password=nat.password("reports"),
            inbox_prefix=bus.inbox_prefix("reports"),
        )
        reports_link.start()
        links.append(reports_link)
        stop = asyncio.Event()
        store = national.NationalConsumer(databases["national"], reports_link)
        consumer = asyncio.create_task(store.run(stop=stop))

        @cleanup.push_async_callback
        async def stop_consumer() -> None:
            stop.set()
            await asyncio.wait_for(consumer, 10)

        states = {s: servers[s] for s in STATES}
        yield Federation(nat, states, cables, databases, publishers, national_nc, crossed)


async def _personal_events(fed: Federation, state: str) -> None:
    """What the state's profiles service publishes about a member, on the same stream."""
    nc = await _connect(fed.states[state], "profiles")
    js = nc.jetstream()
    await js.publish(f"lokos.{state}.profiles.member.created", b"|".join(PERSONAL), timeout=5)
    await nc.close()


async def test_aggregates_reach_the_nation_exactly_across_a_cut_and_nothing_personal_crosses(
    fed: Federation,
) -> None:
    await fed.add_shgs("up", "101", "1001", 3)
    await fed.add_shgs("up", "101", "1002", 2)
    await fed.add_shgs("br", "201", "2001", 4)
    for state in STATES:
        await _personal_events(fed, state)
        assert await fed.publish(state) >= 1
    await _eventually(
        lambda: _equals(fed.national_numbers(), {"up": 5, "br": 4}), "both states at national"
    )

    # Uttar Pradesh is cut off while it keeps working; Bihar's numbers still arrive.
    await fed.cables["up"].cut()
    await _eventually(lambda: fed.national.leaf_connections() == 1, "up's leaf is down")
    await fed.add_shgs("up", "101", "1001", 2)
    await fed.add_shgs("up", "102", "1003", 1)
    await _personal_events(fed, "up")
    assert await fed.publish("up") == 2  # into its own stream, while cut off
    await fed.add_shgs("br", "201", "2001", 1)
    assert await fed.publish("br") == 1
    await _eventually(
        lambda: _equals(fed.national_numbers(), {"up": 5, "br": 5}), "br arrives, up waits"
    )

    await fed.cables["up"].mend()
    await _eventually(
        lambda: _equals(fed.national_numbers(), {"up": 8, "br": 5}),
        "up catches up exactly",
        timeout=150,
    )
    assert await fed.blocks("up", "101") == {"1001": 5, "1002": 2}
    assert await fed.blocks("up", "102") == {"1003": 1}
    # Publishing again with nothing changed sends nothing, and the numbers stay exact.
    assert await fed.publish("up") == 0
    assert await fed.national_numbers() == {"up": 8, "br": 5}

    # Nothing personal crossed: only aggregates and JetStream's own control traffic.
    assert fed.crossed, "the national-side subscriber saw nothing"
    for msg in fed.crossed:
        assert not any(p in msg.data for p in PERSONAL), msg.subject
        assert not msg.subject.startswith(tuple(f"lokos.{s}.profiles" for s in STATES))
        if msg.subject.startswith("lokos."):
            assert msg.subject.split(".")[2:4] == ["reports", "aggregate"], msg.subject
            aggregate = federation_pb2.BlockAggregate.FromString(msg.data)
            assert set(f.name for f, _ in aggregate.ListFields()) <= {
                "state",
                "district_lgd_code",
                "block_lgd_code",
                "period",
                "metrics",
                "as_of",
            }


async def _equals(numbers: object, expected: dict[str, int]) -> bool:
    assert asyncio.iscoroutine(numbers)
    return bool(await numbers == expected)
