"""Geography masters: districts and blocks one by one, whole LGD files by CSV import, and the
units under a parent for cascading drop-downs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from gateway.auth import allow
from gateway.inputs import Text
from gateway.problems import PROBLEM_JSON
from gateway.routes.common import (
    CurrentPrincipal,
    GeographyEditor,
    ServiceClients,
    metadata,
    problem_responses,
)
from gateway.routes.csv_reports import ImportReportOut, rejected, report_out, upload_csv
from lokos import catalogue
from lokos.principal import Principal
from lokos.profiles.v1 import profiles_pb2

router = APIRouter(prefix="/geography", tags=["geography"], responses=problem_responses(404, 409))

# Districts and whole files: the state's admins (and the national team).
GeographyAdmin = Annotated[Principal, Depends(allow(catalogue.GEOGRAPHY_ADMINS))]

LgdCode = Field(pattern=r"^[0-9]{1,16}$", description="LGD code", examples=["162"])
# An import of a whole state's villages takes seconds; its upload may take longer.
IMPORT_DEADLINE = 600.0


class DistrictIn(BaseModel):
    lgd_code: str = LgdCode
    name: Text = Field(min_length=1, max_length=128)
    name_local: Text = Field(default="", max_length=128, description="Name in the state language")


class DistrictOut(BaseModel):
    lgd_code: str
    name: str
    state: str
    name_local: str = ""


class BlockIn(BaseModel):
    lgd_code: str = LgdCode
    name: Text = Field(min_length=1, max_length=128)
    district_lgd_code: str = LgdCode
    name_local: Text = Field(default="", max_length=128, description="Name in the state language")


class BlockOut(BaseModel):
    lgd_code: str
    name: str
    district_lgd_code: str
    state: str
    name_local: str = ""


class UnitOut(BaseModel):
    level: str
    lgd_code: str
    parent_code: str
    name_en: str
    name_local: str
    state: str
    district_lgd_code: str
    block_lgd_code: str
    panchayat_lgd_code: str


class UnitsOut(BaseModel):
    units: list[UnitOut]


@router.post("/districts", status_code=status.HTTP_201_CREATED)
async def create_district(
    body: DistrictIn, principal: GeographyAdmin, c: ServiceClients
) -> DistrictOut:
    d = await c.profiles.CreateDistrict(
        profiles_pb2.CreateDistrictRequest(
            lgd_code=body.lgd_code, name=body.name, name_local=body.name_local
        ),
        metadata=metadata(principal),
        timeout=c.deadline,
    )
    return DistrictOut(lgd_code=d.lgd_code, name=d.name, state=d.state, name_local=d.name_local)


@router.post("/blocks", status_code=status.HTTP_201_CREATED)
async def create_block(body: BlockIn, principal: GeographyEditor, c: ServiceClients) -> BlockOut:
    b = await c.profiles.CreateBlock(
        profiles_pb2.CreateBlockRequest(
            lgd_code=body.lgd_code,
            name=body.name,
            district_lgd_code=body.district_lgd_code,
            name_local=body.name_local,
        ),
        metadata=metadata(principal),
        timeout=c.deadline,
    )
    return BlockOut(
        lgd_code=b.lgd_code,
        name=b.name,
        district_lgd_code=b.district_lgd_code,
        state=b.state,
        name_local=b.name_local,
    )


@router.get("/units")
async def list_units(
    principal: CurrentPrincipal,
    c: ServiceClients,
    level: Annotated[Literal["district", "block", "panchayat", "village"], Query()],
    parent_code: Annotated[
        str, Query(pattern=r"^[0-9]{0,16}$", description="Empty for the state's districts")
    ] = "",
) -> UnitsOut:
    resp = await c.profiles.ListUnits(
        profiles_pb2.ListUnitsRequest(level=level, parent_code=parent_code),
        metadata=metadata(principal),
        timeout=c.deadline,
    )
    return UnitsOut(
        units=[
            UnitOut(
                level=u.level,
                lgd_code=u.lgd_code,
                parent_code=u.parent_code,
                name_en=u.name_en,
                name_local=u.name_local,
                state=u.state,
                district_lgd_code=u.district_lgd_code,
                block_lgd_code=u.block_lgd_code,
                panchayat_lgd_code=u.panchayat_lgd_code,
            )
            for u in resp.units
        ]
    )


_CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
        "description": "Header `level,lgd_code,name_en,name_local,parent_code`; UTF-8.",
    }
}


@router.post(
    "/import",
    response_model=ImportReportOut,
    openapi_extra=_CSV_BODY,
    responses={
        413: {"description": "The file is too large", "content": {PROBLEM_JSON: {}}},
        415: {"description": "The body is not text/csv", "content": {PROBLEM_JSON: {}}},
        422: {
            "description": "The file was rejected, nothing imported: `errors` lists rows",
            "content": {PROBLEM_JSON: {}},
        },
    },
)
async def import_geography(
    request: Request,
    principal: GeographyAdmin,
    c: ServiceClients,
    import_key: Annotated[
        str | None,
        Header(
            alias="Import-Key",
            pattern=r"^[\x21-\x7e]{1,100}$",
            description="Importing again under the same key changes nothing (default: the "
            "file's SHA-256)",
        ),
    ] = None,
) -> ImportReportOut | JSONResponse:
    """Import LGD units from a CSV file sent as the raw body: all rows, or none."""

    def call(chunks: AsyncIterator[profiles_pb2.CsvChunk]) -> Any:
        return c.profiles.ImportGeography(
            chunks, metadata=metadata(principal), timeout=IMPORT_DEADLINE
        )

    report = await upload_csv(request, call, "geography.csv", import_key or "")
    if isinstance(report, JSONResponse):
        return report
    if report.status == "rejected":
        return rejected(
            report,
            f"the file was rejected ({report.rejected} rows with errors); nothing was imported",
        )
    return report_out(report, ImportReportOut)
