"""Rules of the geography masters: who may add districts and blocks, how units are listed
for drop-downs and where units sit for other services' scope checks. Imports of whole files
are in :mod:`services.profiles.geography.importer`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from lokos.audit import record_audit
from lokos.catalogue import BLOCK_EDITORS, GEOGRAPHY_ADMINS
from lokos.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from lokos.outbox import add_event
from lokos.principal import GeoPath, Principal
from lokos.profiles.v1 import profiles_pb2
from services.profiles.geography import repository
from services.profiles.mapping import block_to_proto, district_to_proto
from services.profiles.models import GeoUnit, audit_log, outbox

DISTRICT_CREATED = "profiles.district.created"
BLOCK_CREATED = "profiles.block.created"

# Top down; each level's parent is the one above it.
LEVELS = ("state", "district", "block", "panchayat", "village")
PARENT_LEVEL = dict(zip(LEVELS[1:], LEVELS[:-1], strict=True))
# More than any parent has children (a block has a few hundred villages at most).
MAX_CHILDREN = 10_000
MAX_RESOLVE = 1000
MAX_NAME = 128
_LGD_CODE = re.compile(r"^[0-9]{1,16}$")


def _name_errors(field: str, name: str, *, required: bool) -> list[FieldError]:
    cleaned = " ".join(name.split())
    if not cleaned and required:
        return [FieldError(field, "must not be empty", "required")]
    if len(cleaned) > MAX_NAME:
        return [FieldError(field, f"must be at most {MAX_NAME} characters", "too_long")]
    return []


def _lgd_errors(field: str, code: str) -> list[FieldError]:
    if not _LGD_CODE.match(code):
        return [FieldError(field, "must be an LGD code: 1 to 16 digits", "format")]
    return []


async def create_district(
    session: AsyncSession,
    principal: Principal,
    state: str,
    *,
    lgd_code: str,
    name: str,
    name_local: str = "",
) -> GeoUnit:
    """Add a district to the instance's ``state``; Conflict when its code exists."""
    errors = (
        _lgd_errors("lgd_code", lgd_code)
        + _name_errors("name", name, required=True)
        + _name_errors("name_local", name_local, required=False)
    )
    if errors:
        raise ValidationFailed(errors)
    if not principal.can_reach(GeoPath(state), GEOGRAPHY_ADMINS):
        raise PermissionDenied("only a state admin may add districts")
    own = await repository.state_unit(session, state)
    district = await repository.add_unit(
        session,
        level="district",
        lgd_code=lgd_code,
        parent_code=own.lgd_code if own else "",
        state=state,
        district_lgd_code="",
        block_lgd_code="",
        panchayat_lgd_code="",
        name_en=" ".join(name.split()),
        name_local=" ".join(name_local.split()),
    )
    if district is None:
        raise Conflict(f"district {lgd_code} exists already", code="district_exists")
    payload = profiles_pb2.DistrictCreated(district=district_to_proto(district))
    await add_event(session, outbox, DISTRICT_CREATED, state, payload)
    await record_audit(
        session,
        audit_log,
        action="district.created",
        entity="district",
        entity_id=lgd_code,
        after={"name": district.name_en, "name_local": district.name_local},
    )
    await session.commit()
    return district


async def create_block(
    session: AsyncSession,
    principal: Principal,
    state: str,
    *,
    lgd_code: str,
    name: str,
    district_lgd_code: str,
    name_local: str = "",
) -> GeoUnit:
    """Add a block to a district of ``state`` the principal reaches."""
    errors = (
        _lgd_errors("lgd_code", lgd_code)
        + _name_errors("name", name, required=True)
        + _name_errors("name_local", name_local, required=False)
        + _lgd_errors("district_lgd_code", district_lgd_code)
    )
    if errors:
        raise ValidationFailed(errors)
    district = await repository.get_unit(session, "district", district_lgd_code)
    if district is None or district.state != state:
        raise ValidationFailed.one("district_lgd_code", "no such district in this state", "unknown")
    if not principal.can_reach(GeoPath(state, district=district_lgd_code), BLOCK_EDITORS):
        raise PermissionDenied("you may not add blocks to this district")
    block = await repository.add_unit(
        session,
        level="block",
        lgd_code=lgd_code,
        parent_code=district_lgd_code,
        state=state,
        district_lgd_code=district_lgd_code,
        block_lgd_code="",
        panchayat_lgd_code="",
        name_en=" ".join(name.split()),
        name_local=" ".join(name_local.split()),
    )
    if block is None:
        raise Conflict(f"block {lgd_code} exists already", code="block_exists")
    await add_event(
        session,
        outbox,
        BLOCK_CREATED,
        state,
        profiles_pb2.BlockCreated(block=block_to_proto(block)),
    )
    await record_audit(
        session,
        audit_log,
        action="block.created",
        entity="block",
        entity_id=lgd_code,
        after={
            "name": block.name_en,
            "name_local": block.name_local,
            "district_lgd_code": district_lgd_code,
        },
    )
    await session.commit()
    return block


async def list_units(
    session: AsyncSession, state: str, *, level: str, parent_code: str
) -> Sequence[GeoUnit]:
    """The units at ``level`` under ``parent_code``, by name, for cascading drop-downs.

    Districts (and the state's own row) are those of the instance's ``state``; their parent
    may be given as the state's LGD code or left empty. Geography is public master data: any
    authenticated caller may list it.
    """
    errors: list[FieldError] = []
    if level not in LEVELS:
        errors.append(FieldError("level", f"must be one of {', '.join(LEVELS)}", "invalid"))
    if level in ("block", "panchayat", "village"):
        if not parent_code:
            errors.append(FieldError("parent_code", f"the {PARENT_LEVEL[level]}", "required"))
        else:
            errors += _lgd_errors("parent_code", parent_code)
    elif parent_code:
        errors += _lgd_errors("parent_code", parent_code)
    if errors:
        raise ValidationFailed(errors)
    if level == "district" and parent_code:
        own = await repository.state_unit(session, state)
        if own is None or own.lgd_code != parent_code:
            return []
    return await repository.children(
        session, level, parent_code=parent_code, state=state, limit=MAX_CHILDREN
    )


def path_of(unit: GeoUnit) -> GeoPath:
    """Where a unit sits: its ancestors and itself."""
    own = {unit.level: unit.lgd_code} if unit.level != "state" else {}
    return GeoPath(
        unit.state,
        district=own.get("district", unit.district_lgd_code),
        block=own.get("block", unit.block_lgd_code),
        panchayat=own.get("panchayat", unit.panchayat_lgd_code),
        village=own.get("village", ""),
    )


async def resolve_units(
    session: AsyncSession, refs: list[tuple[str, str]]
) -> dict[tuple[str, str], GeoPath]:
    """Where each unit that exists sits. Public master data: no scope check."""
    if len(refs) > MAX_RESOLVE:
        raise ValidationFailed.one("units", f"at most {MAX_RESOLVE} units per call", "too_many")
    units = await repository.find_units(session, refs)
    return {(u.level, u.lgd_code): path_of(u) for u in units}
