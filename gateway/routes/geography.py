"""Geography masters: districts and blocks (more levels arrive with the profiles issue)."""

from __future__ import annotations

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from gateway.routes.common import PROBLEM_RESPONSES, GeographyEditor, ServiceClients, metadata
from lokos.profiles.v1 import profiles_pb2

router = APIRouter(prefix="/geography", tags=["geography"], responses=PROBLEM_RESPONSES)

LgdCode = Field(pattern=r"^[0-9]{1,16}$", description="LGD code", examples=["162"])


class DistrictIn(BaseModel):
    lgd_code: str = LgdCode
    name: str = Field(min_length=1, max_length=128)


class DistrictOut(BaseModel):
    lgd_code: str
    name: str
    state: str


class BlockIn(BaseModel):
    lgd_code: str = LgdCode
    name: str = Field(min_length=1, max_length=128)
    district_lgd_code: str = LgdCode


class BlockOut(BaseModel):
    lgd_code: str
    name: str
    district_lgd_code: str
    state: str


@router.post("/districts", status_code=status.HTTP_201_CREATED)
async def create_district(
    body: DistrictIn, principal: GeographyEditor, c: ServiceClients
) -> DistrictOut:
    d = await c.profiles.CreateDistrict(
        profiles_pb2.CreateDistrictRequest(lgd_code=body.lgd_code, name=body.name),
        metadata=metadata(principal),
        timeout=c.deadline,
    )
    return DistrictOut(lgd_code=d.lgd_code, name=d.name, state=d.state)


@router.post("/blocks", status_code=status.HTTP_201_CREATED)
async def create_block(body: BlockIn, principal: GeographyEditor, c: ServiceClients) -> BlockOut:
    b = await c.profiles.CreateBlock(
        profiles_pb2.CreateBlockRequest(
            lgd_code=body.lgd_code, name=body.name, district_lgd_code=body.district_lgd_code
        ),
        metadata=metadata(principal),
        timeout=c.deadline,
    )
    return BlockOut(
        lgd_code=b.lgd_code, name=b.name, district_lgd_code=b.district_lgd_code, state=b.state
    )
