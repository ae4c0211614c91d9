"""Model ↔ proto translation, shared by the servicer and the events."""

from __future__ import annotations

from datetime import UTC, datetime, time

from lokos.profiles.v1 import profiles_pb2
from services.profiles.models import Block, District, Shg


def shg_to_proto(shg: Shg) -> profiles_pb2.Shg:
    msg = profiles_pb2.Shg(
        id=str(shg.id),
        client_id=str(shg.client_id),
        name=shg.name,
        state=shg.state,
        district_lgd_code=shg.district_lgd_code,
        block_lgd_code=shg.block_lgd_code,
        status=shg.status,
        version=shg.version,
        created_by=shg.created_by,
    )
    if shg.formed_on is not None:
        msg.formed_on.FromDatetime(datetime.combine(shg.formed_on, time(), UTC))
    if shg.created_at is not None:
        msg.created_at.FromDatetime(shg.created_at)
    return msg


def district_to_proto(d: District) -> profiles_pb2.District:
    return profiles_pb2.District(lgd_code=d.lgd_code, name=d.name, state=d.state)


def block_to_proto(b: Block, state: str) -> profiles_pb2.Block:
    return profiles_pb2.Block(
        lgd_code=b.lgd_code, name=b.name, district_lgd_code=b.district_lgd_code, state=state
    )
