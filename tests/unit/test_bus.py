"""The bus table (lokos/bus.py) agrees with the services' consumers, gives each user only its
own subjects, and the origin check refuses events whose type is not their producer's."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway import invalidation
from launcher.settings import SERVICES
from lokos import bus
from lokos.common.v1 import events_pb2
from lokos.events import build_envelope, foreign_origin, subject
from lokos.profiles.v1 import profiles_pb2
from services.dedup import consumers as dedup_events
from services.identity import consumers as identity_consumers
from services.profiles import duplicates as profiles_duplicates
from services.reports import aggregates as reports_aggregates
from services.reports import consumers as reports_consumers
from services.transactions import consumers as transactions_events

ROOT = Path(__file__).resolve().parents[2]

# What each durable's service says it handles.
HANDLED: dict[str, Callable[[str], list[str]]] = {
    "identity-cbos": identity_consumers.subjects,
    "profiles-duplicates": profiles_duplicates.subjects,
    "dedup-index": dedup_events.subjects,
    "reports-feed": reports_consumers.subjects,
    "reports-aggregates": reports_aggregates.subjects,
    "transactions-profiles": transactions_events.subjects,
}


def _durables_in_main() -> dict[str, set[str]]:
    """Durable names each service's main.py passes to EventConsumer."""
    found: dict[str, set[str]] = {}
    for service in SERVICES:
        tree = ast.parse((ROOT / "services" / service / "main.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "EventConsumer":
                for kw in node.keywords:
                    if kw.arg == "durable" and isinstance(kw.value, ast.Constant):
                        found.setdefault(service, set()).add(str(kw.value.value))
    return found


def test_every_process_has_a_user_and_every_consumer_a_durable_of_its_own() -> None:
    assert {u.name for u in bus.USERS} == {*SERVICES, "gateway"}
    in_main = _durables_in_main()
    for u in bus.USERS:
        assert {d.name for d in u.durables} == in_main.get(u.name, set()), u.name


@pytest.mark.parametrize("name", sorted(HANDLED))
def test_durable_filters_are_what_the_service_handles(name: str) -> None:
    assert sorted(bus.durable(name).subjects("up")) == sorted(HANDLED[name]("up"))


def test_gateway_listens_to_what_it_subscribes() -> None:
    assert bus.permissions(bus.user("gateway"), "up") == {
        "publish": {"deny": [">"]},
        "subscribe": {"allow": ["_INBOX_gateway.>", invalidation.SUBJECT]},
    }


@pytest.mark.parametrize("name", SERVICES)
def test_a_service_publishes_only_its_own_subjects(name: str) -> None:
    rules = bus.permissions(bus.user(name), "up")
    events = [s for s in rules["publish"]["allow"] if not s.startswith("$JS.")]
    own = [f"lokos.up.{name}.>"] + (["lokos.national.identity.>"] if name == "identity" else [])
    # Reports also publishes the state's block aggregates for the national instance.
    own += ["aggregates.up.>"] if name == "reports" else []
    assert events == own
    api = [s for s in rules["publish"]["allow"] if s.startswith("$JS.")]
    # Only its own durables' info, fetch and ack; no create, delete, or message get.
    for s in api:
        durable = s.removesuffix(".>").split(".")[-1]
        assert durable in {d.name for d in bus.user(name).durables}, s
        assert s.split(".")[2] in ("CONSUMER", "LOKOS"), s
        assert "CREATE" not in s and "DELETE" not in s and "MSG.GET" not in s
    assert rules["subscribe"] == {"allow": [f"_INBOX_{name}.>"]}


def _shg(event_type: str, producer: str, state: str = "up") -> events_pb2.EventEnvelope:
    payload = profiles_pb2.CboEvent(cbo=profiles_pb2.CboView(id="x", cbo_type="SHG"))
    return build_envelope(event_type, state, payload, producer=producer)


def test_an_event_from_its_types_owner_on_its_own_subject_passes() -> None:
    env = _shg("profiles.shg.created", "profiles")
    assert foreign_origin(env, subject("up", "profiles.shg.created")) is None


@pytest.mark.parametrize(
    ("envelope", "on_subject", "why"),
    [
        (_shg("profiles.shg.created", ""), "lokos.up.profiles.shg.created", "names no producer"),
        (_shg("profiles.shg.created", "reports"), "lokos.up.profiles.shg.created", "reports"),
        (_shg("profiles.shg.created", "reports"), "lokos.up.reports.shg.created", "belong"),
        (_shg("profiles.shg.changed", "profiles"), "lokos.up.profiles.shg.created", "subject"),
        (_shg("profiles.shg.created", "profiles", "br"), "lokos.up.profiles.shg.created", "br"),
        (_shg("profiles.shg.created", "profiles"), "elsewhere.up.profiles.shg.created", "profiles"),
    ],
)
def test_an_event_of_another_producer_is_refused(
    envelope: events_pb2.EventEnvelope, on_subject: str, why: str
) -> None:
    reason = foreign_origin(envelope, on_subject)
    assert reason is not None and why in reason
