"""Envelopes name who acted: the caller, or the service itself when no one called."""

from __future__ import annotations

from lokos import context
from lokos.common.v1 import events_pb2
from lokos.events import build_envelope
from lokos.principal import SYSTEM_REALM, Principal


def test_a_callers_event_names_the_caller() -> None:
    token = context.current_principal.set(Principal("UP_SITA", "up", "lokos-up"))
    try:
        env = build_envelope("identity.user.locked", "up", events_pb2.Actor(), producer="identity")
    finally:
        context.current_principal.reset(token)
    assert (env.actor.user_id, env.actor.realm, env.producer) == ("UP_SITA", "lokos-up", "identity")


def test_a_system_action_names_the_service_as_actor() -> None:
    env = build_envelope("identity.user.locked", "up", events_pb2.Actor(), producer="identity")
    assert (env.actor.user_id, env.actor.realm) == ("system:identity", SYSTEM_REALM)
