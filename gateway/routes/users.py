"""User management by admins (and a user's own profile under /me), through identity.

Every route states the roles allowed (from the role catalogue); identity checks the scope.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, status
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, Field, StrictBool, StrictInt

from gateway.auth import allow
from gateway.inputs import INT32_MAX, SAFE_INT_MAX, IsoDateTime, Text
from gateway.routes.common import CurrentPrincipal, ServiceClients, metadata, problem_responses
from lokos import catalogue
from lokos.identity.v1 import identity_pb2
from lokos.principal import Principal

router = APIRouter(tags=["users"], responses=problem_responses(404, 409))

Admin = Annotated[Principal, Depends(allow(catalogue.ADMIN_ROLES))]
BlockAdmin = Annotated[Principal, Depends(allow(catalogue.COMMUNITY_USER_ADMINS))]
UserId = Annotated[Text, Field(min_length=1, max_length=48)]
GrantId = Annotated[int, Path(ge=1, le=SAFE_INT_MAX)]


class ScopeIn(BaseModel):
    level: Literal["national", "state", "district", "block", "panchayat", "village"]
    codes: list[Annotated[Text, Field(max_length=16)]] = Field(default_factory=list, max_length=50)


class RoleIn(BaseModel):
    role: Text = Field(max_length=64, examples=sorted(catalogue.BOOKKEEPERS))
    scope: ScopeIn


class CreateUserIn(BaseModel):
    user_id: Text = Field(max_length=48, examples=["UP_ALAPURSHGBK"])
    name: Text = Field(max_length=128)
    mobile: Text = Field(
        default="",
        max_length=10,
        description="Required for community roles: they log in on the app by SMS OTP",
    )
    email: Text = Field(default="", max_length=254)
    designation: Text = Field(default="", max_length=128)
    password: Text = Field(max_length=64)
    temporary_password: StrictBool = True
    roles: list[RoleIn] = Field(min_length=1, max_length=20)


class UpdateUserIn(BaseModel):
    version: StrictInt = Field(
        ge=1, le=SAFE_INT_MAX, description="The version you read; a stale one gets 409"
    )
    name: Text | None = Field(default=None, max_length=128)
    mobile: Text | None = Field(default=None, max_length=10)
    email: Text | None = Field(default=None, max_length=254)
    designation: Text | None = Field(default=None, max_length=128)


class PasswordResetIn(BaseModel):
    new_password: Text = Field(max_length=64)
    temporary: StrictBool = True


class OwnPasswordIn(BaseModel):
    current_password: Text = Field(max_length=128)
    new_password: Text = Field(max_length=64)


class ReasonIn(BaseModel):
    reason: Text = Field(default="", max_length=500)


class DeviceIn(BaseModel):
    device_id: Text = Field(max_length=128)


class CboIdsIn(BaseModel):
    cbo_ids: list[Annotated[Text, Field(max_length=64)]] = Field(min_length=1, max_length=500)


class ScopeOut(BaseModel):
    level: str
    codes: list[str]


class GrantOut(BaseModel):
    grant_id: int
    role: str
    scope: ScopeOut
    valid_from: datetime | None
    valid_to: datetime | None
    granted_by: str
    revoked_by: str


class UserOut(BaseModel):
    user_id: str
    realm: str
    state: str
    name: str
    mobile: str = Field(description="Masked")
    email: str
    designation: str
    status: str
    category: str
    district_lgd_code: str
    block_lgd_code: str
    roles: list[GrantOut]
    version: int
    locked: bool
    created_at: datetime | None
    created_by: str


class UserPage(BaseModel):
    items: list[UserOut]
    total: int
    limit: int
    offset: int


class CboMappingOut(BaseModel):
    cbo_id: str
    cbo_type: str
    valid_from: datetime | None
    valid_to: datetime | None
    mapped_by: str


class RoleHistoryOut(BaseModel):
    grants: list[GrantOut]
    cbo_mappings: list[CboMappingOut]


class DeviceOut(BaseModel):
    user_id: str
    device_id: str
    status: str
    bound_at: datetime | None


class CboOut(BaseModel):
    cbo_id: str
    cbo_type: str
    name: str
    district_lgd_code: str
    block_lgd_code: str
    panchayat_lgd_code: str
    village_lgd_code: str


class CboPage(BaseModel):
    items: list[CboOut]
    total: int


class CboChangeOut(BaseModel):
    changed: int
    cbo_ids: list[str]


class AuditOut(BaseModel):
    id: int
    at: datetime | None
    actor: str
    action: str
    entity: str
    entity_id: str
    request_id: str
    before: str
    after: str


class AuditPage(BaseModel):
    items: list[AuditOut]
    total: int


def _dt(ts: Timestamp, present: bool) -> datetime | None:
    return ts.ToDatetime(tzinfo=UTC) if present else None


def _grant(g: identity_pb2.RoleGrantView) -> GrantOut:
    return GrantOut(
        grant_id=g.grant_id,
        role=g.role,
        scope=ScopeOut(level=g.scope.level, codes=list(g.scope.codes)),
        valid_from=_dt(g.valid_from, g.HasField("valid_from")),
        valid_to=_dt(g.valid_to, g.HasField("valid_to")),
        granted_by=g.granted_by,
        revoked_by=g.revoked_by,
    )


def user_out(u: identity_pb2.UserView) -> UserOut:
    return UserOut(
        user_id=u.user_id,
        realm=u.realm,
        state=u.state,
        name=u.name,
        mobile=u.mobile,
        email=u.email,
        designation=u.designation,
        status=u.status,
        category=u.category,
        district_lgd_code=u.district_lgd_code,
        block_lgd_code=u.block_lgd_code,
        roles=[_grant(g) for g in u.roles],
        version=u.version,
        locked=u.locked,
        created_at=_dt(u.created_at, u.HasField("created_at")),
        created_by=u.created_by,
    )


def _device(d: identity_pb2.DeviceView) -> DeviceOut:
    return DeviceOut(
        user_id=d.user_id,
        device_id=d.device_id,
        status=d.status,
        bound_at=_dt(d.bound_at, d.HasField("bound_at")),
    )


def _cbo(c: identity_pb2.Cbo) -> CboOut:
    return CboOut(
        cbo_id=c.cbo_id,
        cbo_type=c.cbo_type,
        name=c.name,
        district_lgd_code=c.district_lgd_code,
        block_lgd_code=c.block_lgd_code,
        panchayat_lgd_code=c.panchayat_lgd_code,
        village_lgd_code=c.village_lgd_code,
    )


def _role_spec(r: RoleIn) -> identity_pb2.RoleSpec:
    return identity_pb2.RoleSpec(
        role=r.role, scope=identity_pb2.ScopeSpec(level=r.scope.level, codes=r.scope.codes)
    )


# --- own profile --------------------------------------------------------------------------


@router.get("/me")
async def me(principal: CurrentPrincipal, c: ServiceClients) -> UserOut:
    u = await c.identity.GetUser(
        identity_pb2.GetUserRequest(user_id=principal.user_id),
        metadata=metadata(principal),
        timeout=c.deadline,
    )
    return user_out(u)


@router.post("/me/password")
async def change_own_password(
    body: OwnPasswordIn, principal: CurrentPrincipal, c: ServiceClients
) -> UserOut:
    u = await c.identity.ChangeOwnPassword(
        identity_pb2.ChangeOwnPasswordRequest(
            current_password=body.current_password, new_password=body.new_password
        ),
        metadata=metadata(principal),
        timeout=c.deadline,
    )
    return user_out(u)


# --- users --------------------------------------------------------------------------------


@router.post("/users", status_code=status.HTTP_201_CREATED)
async def create_user(body: CreateUserIn, admin: Admin, c: ServiceClients) -> UserOut:
    u = await c.identity.CreateUser(
        identity_pb2.CreateUserRequest(
            user_id=body.user_id,
            name=body.name,
            mobile=body.mobile,
            email=body.email,
            designation=body.designation,
            password=body.password,
            temporary_password=body.temporary_password,
            roles=[_role_spec(r) for r in body.roles],
        ),
        metadata=metadata(admin),
        timeout=c.deadline,
    )
    return user_out(u)


@router.get("/users")
async def search_users(
    admin: Admin,
    c: ServiceClients,
    district_lgd_code: Annotated[Text, Query(max_length=16)] = "",
    block_lgd_code: Annotated[Text, Query(max_length=16)] = "",
    category: Annotated[Literal["", "staff", "community"], Query()] = "",
    role: Annotated[Text, Query(max_length=64)] = "",
    q: Annotated[Text, Query(max_length=100, description="User ID, name, mobile or e-mail")] = "",
    status_: Annotated[Literal["", "active", "inactive", "deleted"], Query(alias="status")] = "",
    limit: Annotated[int, Query(ge=1, le=250)] = 50,
    offset: Annotated[int, Query(ge=0, le=INT32_MAX)] = 0,
) -> UserPage:
    resp = await c.identity.SearchUsers(
        identity_pb2.SearchUsersRequest(
            district_lgd_code=district_lgd_code,
            block_lgd_code=block_lgd_code,
            category=category,
            role=role,
            q=q,
            status=status_,
            limit=limit,
            offset=offset,
        ),
        metadata=metadata(admin),
        timeout=c.deadline,
    )
    return UserPage(
        items=[user_out(u) for u in resp.users], total=resp.total, limit=limit, offset=offset
    )


@router.get("/users/{user_id}")
async def get_user(user_id: UserId, admin: Admin, c: ServiceClients) -> UserOut:
    u = await c.identity.GetUser(
        identity_pb2.GetUserRequest(user_id=user_id), metadata=metadata(admin), timeout=c.deadline
    )
    return user_out(u)


@router.patch("/users/{user_id}")
async def update_user(
    user_id: UserId, body: UpdateUserIn, admin: Admin, c: ServiceClients
) -> UserOut:
    req = identity_pb2.UpdateUserRequest(user_id=user_id, version=body.version)
    for name in ("name", "mobile", "email", "designation"):
        value = getattr(body, name)
        if value is not None:
            setattr(req, name, value)
    u = await c.identity.UpdateUser(req, metadata=metadata(admin), timeout=c.deadline)
    return user_out(u)


async def _status(
    user_id: str, new: str, reason: str, admin: Principal, c: ServiceClients
) -> UserOut:
    u = await c.identity.SetUserStatus(
        identity_pb2.SetUserStatusRequest(user_id=user_id, status=new, reason=reason),
        metadata=metadata(admin),
        timeout=c.deadline,
    )
    return user_out(u)


@router.delete("/users/{user_id}", description="Soft delete: the record and its history stay.")
async def delete_user(
    user_id: UserId,
    admin: Admin,
    c: ServiceClients,
    reason: Annotated[Text, Query(max_length=500)] = "",
) -> UserOut:
    return await _status(user_id, "deleted", reason, admin, c)


@router.post("/users/{user_id}/inactivate")
async def inactivate_user(
    user_id: UserId, body: ReasonIn, admin: Admin, c: ServiceClients
) -> UserOut:
    return await _status(user_id, "inactive", body.reason, admin, c)


@router.post("/users/{user_id}/reactivate")
async def reactivate_user(
    user_id: UserId, body: ReasonIn, admin: Admin, c: ServiceClients
) -> UserOut:
    return await _status(user_id, "active", body.reason, admin, c)


@router.post("/users/{user_id}/unlock")
async def unlock_user(user_id: UserId, admin: Admin, c: ServiceClients) -> UserOut:
    u = await c.identity.Unlock(
        identity_pb2.UserRef(user_id=user_id), metadata=metadata(admin), timeout=c.deadline
    )
    return user_out(u)


@router.post("/users/{user_id}/password")
async def reset_password(
    user_id: UserId, body: PasswordResetIn, admin: Admin, c: ServiceClients
) -> UserOut:
    u = await c.identity.ResetPassword(
        identity_pb2.ResetPasswordRequest(
            user_id=user_id, new_password=body.new_password, temporary=body.temporary
        ),
        metadata=metadata(admin),
        timeout=c.deadline,
    )
    return user_out(u)


@router.post("/users/{user_id}/roles", status_code=status.HTTP_201_CREATED)
async def add_role(user_id: UserId, body: RoleIn, admin: Admin, c: ServiceClients) -> UserOut:
    u = await c.identity.AddRole(
        identity_pb2.AddRoleRequest(user_id=user_id, role=_role_spec(body)),
        metadata=metadata(admin),
        timeout=c.deadline,
    )
    return user_out(u)


@router.delete("/users/{user_id}/roles/{grant_id:int}")
async def remove_role(
    user_id: UserId, grant_id: GrantId, admin: Admin, c: ServiceClients
) -> UserOut:
    u = await c.identity.RemoveRole(
        identity_pb2.RemoveRoleRequest(user_id=user_id, grant_id=grant_id),
        metadata=metadata(admin),
        timeout=c.deadline,
    )
    return user_out(u)


@router.get("/users/{user_id}/roles/history")
async def role_history(
    user_id: UserId, admin: Admin, c: ServiceClients, as_of: IsoDateTime | None = None
) -> RoleHistoryOut:
    """Every role and CBO mapping the user held, with dates; ``as_of`` keeps those in force then."""
    req = identity_pb2.RoleHistoryRequest(user_id=user_id)
    if as_of is not None:
        req.as_of.FromDatetime(as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC))
    resp = await c.identity.RoleHistory(req, metadata=metadata(admin), timeout=c.deadline)
    return RoleHistoryOut(
        grants=[_grant(g) for g in resp.grants],
        cbo_mappings=[
            CboMappingOut(
                cbo_id=m.cbo_id,
                cbo_type=m.cbo_type,
                mapped_by=m.mapped_by,
                valid_from=_dt(m.valid_from, m.HasField("valid_from")),
                valid_to=_dt(m.valid_to, m.HasField("valid_to")),
            )
            for m in resp.cbo_mappings
        ],
    )


# --- devices ------------------------------------------------------------------------------


@router.get("/users/{user_id}/device")
async def get_device(user_id: UserId, admin: Admin, c: ServiceClients) -> DeviceOut:
    d = await c.identity.GetDevice(
        identity_pb2.UserRef(user_id=user_id), metadata=metadata(admin), timeout=c.deadline
    )
    return _device(d)


@router.delete("/users/{user_id}/device")
async def deregister_device(user_id: UserId, admin: Admin, c: ServiceClients) -> DeviceOut:
    d = await c.identity.DeregisterDevice(
        identity_pb2.UserRef(user_id=user_id), metadata=metadata(admin), timeout=c.deadline
    )
    return _device(d)


@router.post("/users/{user_id}/device/replacement")
async def approve_replacement_device(
    user_id: UserId, body: DeviceIn, admin: Admin, c: ServiceClients
) -> DeviceOut:
    d = await c.identity.ApproveReplacementDevice(
        identity_pb2.ApproveDeviceRequest(user_id=user_id, device_id=body.device_id),
        metadata=metadata(admin),
        timeout=c.deadline,
    )
    return _device(d)


# --- CBO mapping --------------------------------------------------------------------------


@router.get("/users/{user_id}/cbos")
async def user_cbos(user_id: UserId, admin: Admin, c: ServiceClients) -> CboPage:
    resp = await c.identity.ListUserCbos(
        identity_pb2.UserRef(user_id=user_id), metadata=metadata(admin), timeout=c.deadline
    )
    return CboPage(items=[_cbo(x) for x in resp.cbos], total=resp.total)


@router.post("/users/{user_id}/cbos")
async def link_cbos(
    user_id: UserId, body: CboIdsIn, admin: BlockAdmin, c: ServiceClients
) -> CboChangeOut:
    resp = await c.identity.LinkCbos(
        identity_pb2.CboLinkRequest(user_id=user_id, cbo_ids=body.cbo_ids),
        metadata=metadata(admin),
        timeout=c.deadline,
    )
    return CboChangeOut(changed=resp.changed, cbo_ids=list(resp.cbo_ids))


@router.post("/users/{user_id}/cbos/unlink")
async def unlink_cbos(
    user_id: UserId, body: CboIdsIn, admin: BlockAdmin, c: ServiceClients
) -> CboChangeOut:
    resp = await c.identity.UnlinkCbos(
        identity_pb2.CboLinkRequest(user_id=user_id, cbo_ids=body.cbo_ids),
        metadata=metadata(admin),
        timeout=c.deadline,
    )
    return CboChangeOut(changed=resp.changed, cbo_ids=list(resp.cbo_ids))


@router.get("/cbos/unlinked")
async def unlinked_cbos(
    admin: Admin,
    c: ServiceClients,
    cbo_type: Annotated[Literal["", "SHG", "VO", "CLF"], Query()] = "",
    block_lgd_code: Annotated[Text, Query(max_length=16)] = "",
    panchayat_lgd_code: Annotated[Text, Query(max_length=16)] = "",
    village_lgd_code: Annotated[Text, Query(max_length=16)] = "",
    limit: Annotated[int, Query(ge=1, le=250)] = 50,
    offset: Annotated[int, Query(ge=0, le=INT32_MAX)] = 0,
) -> CboPage:
    """CBOs linked to no user, by block, panchayat and village (for the Block Admin)."""
    resp = await c.identity.ListUnlinkedCbos(
        identity_pb2.UnlinkedCbosRequest(
            cbo_type=cbo_type,
            block_lgd_code=block_lgd_code,
            panchayat_lgd_code=panchayat_lgd_code,
            village_lgd_code=village_lgd_code,
            limit=limit,
            offset=offset,
        ),
        metadata=metadata(admin),
        timeout=c.deadline,
    )
    return CboPage(items=[_cbo(x) for x in resp.cbos], total=resp.total)


# --- audit --------------------------------------------------------------------------------


@router.get("/audit")
async def audit(
    admin: Admin,
    c: ServiceClients,
    user_id: Annotated[Text, Query(max_length=48)] = "",
    action: Annotated[Text, Query(max_length=64)] = "",
    limit: Annotated[int, Query(ge=1, le=250)] = 50,
    offset: Annotated[int, Query(ge=0, le=INT32_MAX)] = 0,
) -> AuditPage:
    """Admin actions on users within the caller's scope, newest first."""
    resp = await c.identity.ListAudit(
        identity_pb2.ListAuditRequest(user_id=user_id, action=action, limit=limit, offset=offset),
        metadata=metadata(admin),
        timeout=c.deadline,
    )
    return AuditPage(
        items=[
            AuditOut(
                id=e.id,
                at=_dt(e.at, e.HasField("at")),
                actor=e.actor,
                action=e.action,
                entity=e.entity,
                entity_id=e.entity_id,
                request_id=e.request_id,
                before=e.before_json,
                after=e.after_json,
            )
            for e in resp.entries
        ],
        total=resp.total,
    )
