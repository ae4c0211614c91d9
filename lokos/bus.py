"""Who owns what on the event bus: the NATS users, what each may publish and consume, and the
durable consumers the bus owner keeps.

Every process connects as its own user; nobody connects anonymously. A service publishes only
under ``lokos.<state>.<service>.>`` and reads only through the durable consumers listed here,
which the bus owner (the ``admin`` user, run as ``python -m lokos.bus``) creates with their
filters: a service's credentials may read, fetch from and acknowledge its own durables, never
create, change or delete a consumer or the stream, and never read another service's replies.
This table is the one place that says so; the embedded platform writes the nats-server
configuration from it, ``deploy/nats/nats-server.conf`` carries the same block (a unit test
compares them), and each service's consumer refuses a durable whose filter is not its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from lokos.config import LokosSettings
from lokos.events import STREAM, NatsLink, ensure_stream, subject

log = logging.getLogger(__name__)

# The bus owner: creates the stream and the durables; tests and benchmarks read as it.
ADMIN = "admin"
# The national instance's stream of every state's aggregates (lokos/federation.py).
NATIONAL = "national"
NATIONAL_STREAM = "NATIONAL"
# Generated passwords live here, under the data folder (one private file per user).
CREDENTIALS_DIR = "nats-auth"
ANY_STATE = "*"


@dataclass(frozen=True)
class Durable:
    """A durable pull consumer on the stream, and the event types it is fed."""

    name: str
    event_types: tuple[str, ...]
    # The stream it reads: LOKOS, or on the national instance the national stream.
    stream: str = STREAM

    def subjects(self, state: str) -> list[str]:
        return [subject(state, t) for t in self.event_types]


@dataclass(frozen=True)
class BusUser:
    """One NATS user: a service (publishes its own subjects, consumes its durables) or the
    gateway (listens, publishes nothing)."""

    name: str
    publishes: bool = True
    durables: tuple[Durable, ...] = ()
    # Plain (non-durable) subscriptions, as event types under any state of this deployment.
    listens: tuple[str, ...] = ()
    # Also publishes for the national instance's users (identity serves lokos-national too).
    national: bool = False
    # Durables it reads only on the national instance (LOKOS_STATE=national).
    national_durables: tuple[Durable, ...] = ()
    # Subjects outside lokos.> it also publishes, "{state}" standing for the state's code.
    also_publishes: tuple[str, ...] = ()

    def durables_on(self, state: str) -> tuple[Durable, ...]:
        return self.durables + (self.national_durables if state == NATIONAL else ())


_CBO_TYPES = tuple(
    f"profiles.{kind}.{what}" for kind in ("shg", "vo", "clf") for what in ("created", "changed")
)

USERS: tuple[BusUser, ...] = (
    BusUser("identity", durables=(Durable("identity-cbos", _CBO_TYPES),), national=True),
    BusUser(
        "profiles",
        durables=(Durable("profiles-duplicates", ("dedup.member.checked", "dedup.shg.flagged")),),
    ),
    BusUser("dedup", durables=(Durable("dedup-index", ("profiles.member.>", "profiles.shg.>")),)),
    BusUser(
        "transactions",
        durables=(
            Durable(
                "transactions-profiles",
                tuple(f"profiles.{k}.>" for k in ("shg", "vo", "clf", "member", "federation")),
            ),
        ),
    ),
    BusUser(
        "reports",
        durables=(
            Durable(
                # A new name, not new filters on the old durable: it starts from the stream's
                # first event, so the read models are built from the whole history.
                "reports-feed",
                (
                    *(f"profiles.{k}.>" for k in ("shg", "vo", "clf", "member")),
                    "profiles.federation.linked",
                    "identity.user.changed",
                    "transactions.meeting.>",
                    "transactions.cutoff.approved",
                ),
            ),
            Durable(
                "reports-aggregates",
                (
                    "profiles.shg.created",
                    "profiles.member.approved",
                    "transactions.meeting.approved",
                ),
            ),
        ),
        # The national dashboard's store of every state's aggregates.
        national_durables=(Durable("reports-national", (), stream=NATIONAL_STREAM),),
        # A state's block aggregates for the national instance (lokos/federation.py).
        also_publishes=("aggregates.{state}.>",),
    ),
    # Publishes ticket events; consumes nothing (request search reads the trace files).
    BusUser("helpdesk"),
    BusUser("gateway", publishes=False, listens=("identity.user.changed",)),
)

# Durable consumers as the bus owner creates them; the consumer binds and never changes them.
ACK_WAIT_SECONDS = 30.0
MAX_ACK_PENDING = 10_000


def user(name: str) -> BusUser:
    for u in USERS:
        if u.name == name:
            return u
    raise KeyError(f"no NATS user {name!r} on the bus")


def durable(name: str) -> Durable:
    for u in USERS:
        for d in u.durables:
            if d.name == name:
                return d
    raise KeyError(f"no durable consumer {name!r} on the bus")


def inbox_prefix(name: str) -> str:
    """Each user's private inbox prefix (``_INBOX_dedup``); the admin keeps the default."""
    return "_INBOX" if name == ADMIN else f"_INBOX_{name}"


def permissions(bus_user: BusUser, state: str) -> dict[str, dict[str, list[str]]]:
    """What ``bus_user`` may publish and subscribe to, as nats-server permissions.

    Publishing with an acknowledgement, and fetching from a pull consumer, both receive their
    answer on the user's own inbox. A consumer needs its durable's ``INFO`` (to bind and check
    the filter), ``MSG.NEXT`` (fetch) and ``$JS.ACK`` (ack, nak, term) subjects, nothing else of
    the JetStream API: no CREATE, UPDATE or DELETE, no stream message GET, no other durable.
    """
    publish: list[str] = []
    if bus_user.publishes:
        states = [state] + (["national"] if bus_user.national and state != "national" else [])
        publish += [f"lokos.{s}.{bus_user.name}.>" for s in states]
        publish += [p.format(state=state) for p in bus_user.also_publishes]
    for d in bus_user.durables_on(state):
        publish += [
            f"$JS.API.CONSUMER.INFO.{d.stream}.{d.name}",
            f"$JS.API.CONSUMER.MSG.NEXT.{d.stream}.{d.name}",
            f"$JS.ACK.{d.stream}.{d.name}.>",
        ]
    subscribe = [f"{inbox_prefix(bus_user.name)}.>"]
    subscribe += [subject(ANY_STATE, t) for t in bus_user.listens]
    rules: dict[str, dict[str, list[str]]] = {"subscribe": {"allow": subscribe}}
    rules["publish"] = {"allow": publish} if publish else {"deny": [">"]}
    return rules


def authorization_block(state: str, password: Callable[[str], str]) -> str:
    """The ``authorization { users = [...] }`` block of nats-server.conf for one state.

    ``password(user)`` gives the value as it is written in the file: a quoted password, or an
    environment reference such as ``$LOKOS_NATS_IDENTITY_PASSWORD``.
    """
    lines = [
        "# Generated from lokos/bus.py (python -m lokos.bus conf); no anonymous access.",
        "authorization {",
        "  users = [",
        f"    {{ user: {ADMIN}, password: {password(ADMIN)} }}",
    ]
    for u in USERS:
        rules = permissions(u, state)
        lines.append(f"    {{ user: {u.name}, password: {password(u.name)}, permissions: {{")
        for direction in ("publish", "subscribe"):
            ((kind, subjects),) = rules[direction].items()
            lines.append(f"      {direction}: {{ {kind}: {json.dumps(subjects)} }}")
        lines.append("    } }")
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


def env_password(name: str) -> str:
    """The deployment's variable (.env) holding the password of NATS user ``name``."""
    return f"LOKOS_NATS_{name.upper()}_PASSWORD"


def server_env_password(name: str) -> str:
    """The variable nats-server.conf reads that password from, in the NATS container."""
    return f"NATS_{name.upper()}_PASSWORD"


def password_file(data_dir: Path, name: str) -> Path:
    return data_dir / CREDENTIALS_DIR / f"{name}.password"


def credentials(settings: LokosSettings) -> tuple[str, str]:
    """(user, password) a process connects with: the configured ones, else the process's own
    name and the password the embedded platform generated into the data folder."""
    name = settings.nats_user or settings.service_name
    password = settings.nats_password.get_secret_value()
    if not password:
        path = password_file(settings.data_dir, name)
        password = path.read_text(encoding="utf-8").strip() if path.exists() else ""
    return name, password


def link(settings: LokosSettings, *, owner: bool = False) -> NatsLink:
    """The process's NATS connection under its own user (``owner``: it keeps the stream)."""
    name, password = credentials(settings)
    return NatsLink(
        settings.nats_url,
        settings.service_name,
        user=name,
        password=password,
        inbox_prefix=inbox_prefix(name),
        ensure_stream=owner,
        stream_replicas=settings.nats_stream_replicas,
    )


# --- the bus owner --------------------------------------------------------------------------


def consumer_config(d: Durable, state: str) -> ConsumerConfig:
    return ConsumerConfig(
        durable_name=d.name,
        filter_subjects=d.subjects(state) or None,
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        ack_wait=ACK_WAIT_SECONDS,
        max_ack_pending=MAX_ACK_PENDING,
    )


async def ensure_durable(
    js: JetStreamContext, config: ConsumerConfig, stream: str = STREAM
) -> bool:
    """Create the durable, or give it the configured filters; True when something changed."""
    assert config.durable_name is not None
    try:
        info = await js.consumer_info(stream, config.durable_name)
    except NotFoundError:
        info = None
    if info is not None and filters(info.config) == set(config.filter_subjects or []):
        return False
    await js.add_consumer(stream, config)
    return True


def filters(config: ConsumerConfig) -> set[str]:
    """The subjects a consumer is filtered on, whichever of the two fields holds them."""
    return set(config.filter_subjects or ([config.filter_subject] if config.filter_subject else []))


async def provision(
    js: JetStreamContext,
    state: str,
    durables: Iterable[Durable] = (),
    *,
    replicas: int = 1,
    federated_states: Iterable[str] = (),
) -> int:
    """Create the stream (``replicas`` copies) and every durable of the table (plus
    ``durables``); on the national instance also the national stream, sourcing the
    aggregates of ``federated_states``. How many durables changed."""
    await ensure_stream(js, replicas)
    from lokos import federation

    if state == NATIONAL:
        await federation.ensure_national_stream(js, federated_states, replicas)
    else:
        await federation.ensure_state_stream(js, state, replicas)
    changed = 0
    for d in [*(d for u in USERS for d in u.durables_on(state)), *durables]:
        if await ensure_durable(js, consumer_config(d, state), d.stream):
            log.info("durable consumer %s filtered on %s", d.name, d.subjects(state))
            changed += 1
    return changed


async def keep(settings: LokosSettings, interval: float = 30.0) -> None:
    """Provision at start and again every ``interval`` seconds (a NATS whose store was lost
    gets its stream and durables back; services wait for them)."""
    nats_link = link(settings, owner=True)
    nats_link.start()
    try:
        while True:
            try:
                js = await nats_link.jetstream()
                await provision(
                    js,
                    settings.state,
                    replicas=settings.nats_stream_replicas,
                    federated_states=settings.federated_state_codes,
                )
            except Exception as exc:
                log.warning("bus: provisioning failed (%s); retrying", exc)
                await asyncio.sleep(1)
                continue
            await asyncio.sleep(interval)
    finally:
        await nats_link.close()


def main(argv: list[str] | None = None) -> None:
    from lokos.logs import setup_logging

    parser = argparse.ArgumentParser(prog="python -m lokos.bus", description=__doc__)
    parser.add_argument(
        "command",
        nargs="?",
        default="keep",
        choices=("keep", "conf"),
        help="keep: create and keep the stream and durables (as the admin user); "
        "conf: print the authorization block of nats-server.conf for LOKOS_STATE",
    )
    args = parser.parse_args(argv)
    settings = LokosSettings()
    if args.command == "conf":
        print(authorization_block(settings.state, lambda u: f"${server_env_password(u)}"), end="")
        return
    setup_logging(settings.service_name, settings.state, settings.log_level)
    asyncio.run(keep(settings))


if __name__ == "__main__":
    main()
