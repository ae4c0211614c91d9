"""The role catalogue as integrators need it: who creates whom, at which scope levels, through
which login channels, in the caller's language. Read from :mod:`lokos.catalogue`, the data
identity enforces and the realm templates are generated from (no service call)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from gateway.routes.common import CurrentPrincipal, problem_responses
from lokos import catalogue, i18n

router = APIRouter(tags=["roles"], responses=problem_responses())


class RoleOut(BaseModel):
    code: str
    name: str = Field(description="In the language of Accept-Language (English or Hindi)")
    category: Literal["staff", "community"]
    level: str = Field(description="The geography level the role works at")
    scope_levels: list[str] = Field(description="Levels a grant of this role may be scoped at")
    created_by: list[str] = Field(description="Roles whose holders create users with this role")
    cbo_category: str = Field(description='Community roles: the CBO type ("SHG", "VO", "CLF")')
    entry: Literal["national", "state"] = Field(description="The realm its users live in")
    channels: list[str] = Field(description='Login channels: "web", "mobile"')
    mobile_required: bool = Field(
        description="A user with this role needs a mobile number (community users log in by SMS)"
    )


class RolesOut(BaseModel):
    roles: list[RoleOut]


def _out(role: catalogue.Role, lang: str) -> RoleOut:
    return RoleOut(
        code=role.code,
        name=role.name_hi if lang == "hi" else role.name_en,
        category="community" if role.is_community else "staff",
        level=role.level,
        scope_levels=list(role.scope_levels),
        created_by=sorted(role.created_by),
        cbo_category=role.cbo_category,
        entry="national" if role.entry == "national" else "state",
        channels=sorted(role.channels),
        mobile_required=role.is_community,
    )


@router.get("/roles")
async def list_roles(_: CurrentPrincipal) -> RolesOut:
    """Every role LokOS knows, in catalogue order (national staff down to community roles)."""
    lang = i18n.language()
    return RolesOut(roles=[_out(r, lang) for r in catalogue.ROLES])
