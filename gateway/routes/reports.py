"""Dashboards, read from the reports service's precomputed read models."""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel

from gateway.routes.common import PROBLEM_RESPONSES, ServiceClients, Staff, metadata
from lokos.reports.v1 import reports_pb2

router = APIRouter(prefix="/reports", tags=["reports"], responses=PROBLEM_RESPONSES)


class DashboardOut(BaseModel):
    state: str
    district_lgd_code: str
    block_lgd_code: str
    shgs_formed: int


@router.get("/dashboard")
async def dashboard(
    principal: Staff,
    c: ServiceClients,
    district_lgd_code: str = Query("", pattern=r"^[0-9]{0,16}$"),
    block_lgd_code: str = Query("", pattern=r"^[0-9]{0,16}$"),
) -> DashboardOut:
    d = await c.reports.GetDashboard(
        reports_pb2.GetDashboardRequest(
            district_lgd_code=district_lgd_code, block_lgd_code=block_lgd_code
        ),
        metadata=metadata(principal),
        timeout=c.deadline,
    )
    return DashboardOut(
        state=d.state,
        district_lgd_code=d.district_lgd_code,
        block_lgd_code=d.block_lgd_code,
        shgs_formed=d.shgs_formed,
    )
