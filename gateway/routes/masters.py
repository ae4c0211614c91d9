"""Masters: the drop-down values (social category, relation, bank, rejection remark …) with
their labels in English and in the state's language."""

from __future__ import annotations

from fastapi import APIRouter, Path
from pydantic import BaseModel

from gateway.routes.common import CurrentPrincipal, ServiceClients, metadata, problem_responses
from lokos.profiles.v1 import profiles_pb2

router = APIRouter(prefix="/masters", tags=["masters"], responses=problem_responses(404))


class MasterItemOut(BaseModel):
    code: str
    label_en: str
    label_local: str


class MasterOut(BaseModel):
    name: str
    items: list[MasterItemOut]


class MastersOut(BaseModel):
    masters: list[MasterOut]


def _out(m: profiles_pb2.Master) -> MasterOut:
    return MasterOut(
        name=m.name,
        items=[
            MasterItemOut(code=i.code, label_en=i.label_en, label_local=i.label_local)
            for i in m.items
        ],
    )


async def _list(principal: CurrentPrincipal, c: ServiceClients, name: str) -> list[MasterOut]:
    resp = await c.profiles.ListMasters(
        profiles_pb2.ListMastersRequest(name=name),
        metadata=metadata(principal),
        timeout=c.deadline,
    )
    return [_out(m) for m in resp.masters]


@router.get("")
async def list_masters(principal: CurrentPrincipal, c: ServiceClients) -> MastersOut:
    """Every master."""
    return MastersOut(masters=await _list(principal, c, ""))


@router.get("/{name}")
async def get_master(
    principal: CurrentPrincipal,
    c: ServiceClients,
    name: str = Path(pattern=r"^[a-z_]{1,40}$", examples=["social_category"]),
) -> MasterOut:
    """One master (``social_category``, ``relation``, ``gender``, ``shg_type``,
    ``rejection_remark``, ``bank``, ``designation``, ``identifier``)."""
    masters = await _list(principal, c, name)
    return masters[0]
