"""The national federation on the bus: leaf-node configuration and the national stream.

Each state's NATS connects to the national NATS as a **leaf node**. Each has its own
JetStream domain (the state code, or ``national``). A state's reports service publishes its
block aggregates on ``aggregates.<state>.<block>`` into a stream of their own, ``AGGREGATES``
(outside ``lokos.>``, so outside the events' stream ``LOKOS``), and the national stream
``NATIONAL`` *sources* it through that state's domain API (``$JS.<state>.API``): JetStream
itself tracks how far each source has been copied, so a state cut off for a while is caught up
after it reconnects, in order, with nothing lost and nothing copied twice.

Nothing else crosses: the state's leaf remote refuses to export or import any ``lokos.>``
subject, any inbox, acknowledgement, the local JetStream API or system subjects; and of its
domain's JetStream API it lets through only consumer requests on ``AGGREGATES`` (which sourcing
needs) — no request naming the stream ``LOKOS``, no stream API at all (no message get, no new
stream capturing events), no direct get. A national subscriber to ``>`` sees aggregates and
JetStream's own control traffic, and a national request for a state's events gets no answer.
The national side accepts one leaf user per state.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from nats.js import JetStreamContext
from nats.js.api import ExternalStream, RetentionPolicy, StorageType, StreamConfig, StreamSource
from nats.js.errors import NotFoundError

from lokos import bus
from lokos.bus import NATIONAL_STREAM
from lokos.events import STREAM

AGGREGATE_STREAM = "AGGREGATES"
DELIVER_PREFIX = "lokos-federation"
LEAF_PORT = 7422


def aggregate_subject(state: str, block: str) -> str:
    """``aggregates.up.0913`` — one block of one state."""
    return f"aggregates.{state}.{block}"


def aggregate_filter(state: str) -> str:
    return f"aggregates.{state}.>"


def leaf_user(state: str) -> str:
    return f"leaf-{state}"


def domain(state: str) -> str:
    """A state's JetStream domain: its code (the national one's: ``national``)."""
    return state


def _inboxes() -> list[str]:
    return ["_INBOX.>", *(f"{bus.inbox_prefix(u.name)}.>" for u in bus.USERS)]


def leaf_denied_exports() -> list[str]:
    """What a state's leaf never sends to the national NATS."""
    return ["lokos.>", *_inboxes(), "$JS.ACK.>", "$JS.API.>", "$JS.EVENT.>", "$SYS.>"]


def leaf_denied_imports(state: str) -> list[str]:
    """What a state's leaf never takes from the national NATS (nor lets it subscribe to):
    also every request of its domain's JetStream API but consumers of ``AGGREGATES``."""
    api = f"$JS.{domain(state)}.API"
    events = [
        f"{api}.CONSUMER.{middle}{STREAM}{tail}" for middle in ("*.", "*.*.") for tail in ("", ".>")
    ]
    whole = [
        f"{api}.{part}"
        for part in ("STREAM.>", "DIRECT.>", "ACCOUNT.>", "META.>", "SERVER.>", "INFO")
    ]
    return ["lokos.>", *_inboxes(), "$JS.ACK.>", "$JS.API.>", *whole, *events]


def leaf_url(national: str, state: str, password: str) -> str:
    """``nats-leaf://leaf-up:<password>@national:7422`` from the national NATS's address."""
    scheme, _, rest = national.partition("://")
    return f"{scheme}://{leaf_user(state)}:{password}@{rest}"


def state_leafnodes_block(state: str, url: str, ca_file: str = "") -> str:
    """The ``leafnodes`` block of a state's nats-server.conf: one remote, the national NATS.
    ``url`` as written in the file: a quoted :func:`leaf_url`, or ``$NATS_LEAF_URL`` (an
    environment variable holding it, as Kubernetes gives it from the secret). With
    ``ca_file`` the connection is TLS, the national server verified against that CA."""
    tls = [f"      tls {{ ca_file: {json.dumps(ca_file)} }}"] if ca_file else []
    lines = [
        "# Generated from lokos/federation.py: the national NATS as a leaf-node remote; only",
        "# the sourced aggregates cross (deny lists below).",
        "leafnodes {",
        "  remotes = [",
        "    {",
        f"      url: {url}",
        *tls,
        f"      deny_exports: {json.dumps(leaf_denied_exports())}",
        f"      deny_imports: {json.dumps(leaf_denied_imports(state))}",
        "    }",
        "  ]",
        "}",
        "",
    ]
    return "\n".join(lines)


def national_leafnodes_block(
    listen: str, passwords: Mapping[str, str], cert_file: str = "", key_file: str = ""
) -> str:
    """The ``leafnodes`` block of the national nats-server.conf: where states connect and
    one user per state (``passwords[state]`` as written in the file); TLS with a certificate."""
    tls = (
        [f"  tls {{ cert_file: {json.dumps(cert_file)}, key_file: {json.dumps(key_file)} }}"]
        if cert_file
        else []
    )
    users = ", ".join(
        f"{{ user: {leaf_user(state)}, password: {password} }}"
        for state, password in sorted(passwords.items())
    )
    return "\n".join(
        [
            "# Generated from lokos/federation.py: states connect here as leaf nodes.",
            "leafnodes {",
            f"  listen: {json.dumps(listen)}",
            # States reach the national NATS at one public address (a load balancer): it
            # must not hand them its servers' own addresses to connect to instead.
            "  no_advertise: true",
            *tls,
            f"  authorization {{ users = [ {users} ] }}",
            "}",
            "",
        ]
    )


def national_stream_config(states: Iterable[str], replicas: int = 1) -> StreamConfig:
    """The national stream: every state's aggregate subjects, sourced over the leaf nodes."""
    return StreamConfig(
        name=NATIONAL_STREAM,
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        num_replicas=replicas,
        # Only the latest numbers of a block and period matter; older ones are history.
        max_msgs_per_subject=1_000,
        sources=[
            StreamSource(
                name=AGGREGATE_STREAM,
                filter_subject=aggregate_filter(state),
                external=ExternalStream(
                    api=f"$JS.{domain(state)}.API", deliver=f"{DELIVER_PREFIX}.{state}"
                ),
            )
            for state in sorted(states)
        ],
    )


def state_stream_config(state: str, replicas: int = 1) -> StreamConfig:
    """A state's stream of its own aggregates, the only one the national stream sources."""
    return StreamConfig(
        name=AGGREGATE_STREAM,
        subjects=[aggregate_filter(state)],
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        num_replicas=replicas,
        max_msgs_per_subject=1_000,
    )


async def ensure_state_stream(js: JetStreamContext, state: str, replicas: int = 1) -> bool:
    """Create the state's aggregates stream when missing; True if created."""
    try:
        await js.stream_info(AGGREGATE_STREAM)
        return False
    except NotFoundError:
        await js.add_stream(state_stream_config(state, replicas))
        return True


async def ensure_national_stream(
    js: JetStreamContext, states: Iterable[str], replicas: int = 1
) -> bool:
    """Create the national stream, or give it the sources of ``states``; True if changed."""
    wanted = national_stream_config(states, replicas)
    try:
        info = await js.stream_info(NATIONAL_STREAM)
    except NotFoundError:
        await js.add_stream(wanted)
        return True
    have = {(s.name, s.filter_subject) for s in info.config.sources or []}
    if have == {(s.name, s.filter_subject) for s in wanted.sources or []}:
        return False
    await js.update_stream(wanted)
    return True
