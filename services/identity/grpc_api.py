"""IdentityService over gRPC: proto ↔ domain, and nothing else."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import grpc
from sqlalchemy.ext.asyncio import AsyncSession

from lokos import context
from lokos.identity.v1 import identity_pb2, identity_pb2_grpc
from lokos.values import timestamp
from services.identity import apiclients, consents, flows, rules, service
from services.identity.deps import Deps
from services.identity.idp.port import TokenSet
from services.identity.models import ApiClient, Cbo, CboMapping, Consent, Device
from services.identity.models import RoleGrant as GrantRow
from services.identity.service import UserRecord

Ctx = grpc.aio.ServicerContext[Any, Any]


def _grant(g: GrantRow) -> identity_pb2.RoleGrantView:
    return identity_pb2.RoleGrantView(
        grant_id=g.id,
        role=g.role,
        scope=identity_pb2.ScopeSpec(level=g.scope_level, codes=list(g.scope_codes)),
        valid_from=timestamp(g.valid_from),
        valid_to=timestamp(g.valid_to),
        granted_by=g.granted_by,
        revoked_by=g.revoked_by or "",
    )


def _user(r: UserRecord) -> identity_pb2.UserView:
    u = r.user
    return identity_pb2.UserView(
        user_id=u.user_id,
        realm=u.realm,
        state=u.state,
        name=u.name,
        mobile=rules.mask_mobile(u.mobile),
        email=u.email,
        designation=u.designation,
        status=u.status,
        category=u.category,
        district_lgd_code=u.district_lgd_code,
        block_lgd_code=u.block_lgd_code,
        roles=[_grant(g) for g in r.grants],
        version=u.version,
        locked=r.locked,
        created_at=timestamp(u.created_at),
        created_by=u.created_by,
    )


def _tokens(t: TokenSet) -> identity_pb2.TokenSet:
    return identity_pb2.TokenSet(
        access_token=t.access_token,
        refresh_token=t.refresh_token,
        expires_in=t.expires_in,
        refresh_expires_in=t.refresh_expires_in,
        token_type=t.token_type,
        password_change_required=t.password_change_required,
    )


def _device(user_id: str, d: Device | None) -> identity_pb2.DeviceView:
    if d is None:
        return identity_pb2.DeviceView(user_id=user_id, status="none")
    return identity_pb2.DeviceView(
        user_id=user_id, device_id=d.device_id, status=d.status, bound_at=timestamp(d.bound_at)
    )


def _cbo(c: Cbo) -> identity_pb2.Cbo:
    return identity_pb2.Cbo(
        cbo_id=c.cbo_id,
        cbo_type=c.cbo_type,
        name=c.name,
        district_lgd_code=c.district_lgd_code,
        block_lgd_code=c.block_lgd_code,
        panchayat_lgd_code=c.panchayat_lgd_code,
        village_lgd_code=c.village_lgd_code,
    )


def _mapping(m: CboMapping) -> identity_pb2.CboMappingView:
    return identity_pb2.CboMappingView(
        cbo_id=m.cbo_id,
        cbo_type=m.cbo_type,
        valid_from=timestamp(m.valid_from),
        valid_to=timestamp(m.valid_to),
        mapped_by=m.mapped_by,
    )


def _spec(r: identity_pb2.RoleSpec) -> rules.GrantSpec:
    return rules.GrantSpec(r.role, r.scope.level, tuple(r.scope.codes))


class IdentityServicer(identity_pb2_grpc.IdentityServiceServicer):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.db = deps.db

    async def GetPrincipal(
        self, request: identity_pb2.GetPrincipalRequest, ctx: Ctx
    ) -> identity_pb2.PrincipalAnswer:
        context.service_caller()
        async with self.db.session() as session:
            a = await service.get_principal(
                session, self.deps.settings, request.realm, request.user_id
            )
        return identity_pb2.PrincipalAnswer(
            principal=a.principal.to_proto(),
            status=a.status,
            locked_until=timestamp(a.locked_until),
            ended_sessions=list(a.ended_sessions),
        )

    async def Login(self, request: identity_pb2.LoginRequest, ctx: Ctx) -> identity_pb2.LoginResult:
        context.service_caller()
        req = flows.LoginInput(
            entry=request.entry,
            user_id=request.user_id,
            password=request.password,
            client=request.client,
            device_id=request.device_id,
            challenge_id=request.challenge_id,
            otp=request.otp,
        )
        async with self.db.session() as session:
            result = await flows.login(session, self.deps, req)
        if isinstance(result, TokenSet):
            return identity_pb2.LoginResult(tokens=_tokens(result))
        return identity_pb2.LoginResult(
            otp_required=identity_pb2.OtpChallenge(
                challenge_id=result.challenge_id,
                sent_to=result.sent_to,
                expires_in=result.expires_in,
                attempts_left=result.attempts_left,
            )
        )

    async def Refresh(
        self, request: identity_pb2.RefreshRequest, ctx: Ctx
    ) -> identity_pb2.TokenSet:
        context.service_caller()
        return _tokens(
            await flows.refresh(self.deps, request.entry, request.client, request.refresh_token)
        )

    async def Logout(
        self, request: identity_pb2.LogoutRequest, ctx: Ctx
    ) -> identity_pb2.LogoutResponse:
        context.service_caller()
        async with self.db.session() as session:
            user = await flows.logout(
                session, self.deps, request.entry, request.client, request.refresh_token
            )
        if user is None:
            return identity_pb2.LogoutResponse()
        return identity_pb2.LogoutResponse(realm=user.realm, user_id=user.user_id)

    async def ChangeOwnPassword(
        self, request: identity_pb2.ChangeOwnPasswordRequest, ctx: Ctx
    ) -> identity_pb2.UserView:
        actor = context.principal()
        async with self.db.session() as session:
            await flows.change_own_password(
                session, self.deps, actor, request.current_password, request.new_password
            )
            record = await service.load_user(session, actor.user_id)
        return _user(record)

    async def CreateUser(
        self, request: identity_pb2.CreateUserRequest, ctx: Ctx
    ) -> identity_pb2.UserView:
        new = service.NewUser(
            user_id=request.user_id,
            name=request.name,
            mobile=request.mobile,
            email=request.email,
            designation=request.designation,
            password=request.password,
            temporary_password=request.temporary_password,
            roles=[_spec(r) for r in request.roles],
        )
        async with self.db.session() as session:
            record = await service.create_user(session, self.deps, context.principal(), new)
        return _user(record)

    async def GetUser(
        self, request: identity_pb2.GetUserRequest, ctx: Ctx
    ) -> identity_pb2.UserView:
        async with self.db.session() as session:
            return _user(await service.get_user(session, context.principal(), request.user_id))

    async def SearchUsers(
        self, request: identity_pb2.SearchUsersRequest, ctx: Ctx
    ) -> identity_pb2.SearchUsersResponse:
        query = service.UserQuery(
            district=request.district_lgd_code,
            block=request.block_lgd_code,
            category=request.category,
            role=request.role,
            q=request.q,
            status=request.status,
            limit=request.limit or 50,
            offset=request.offset,
        )
        async with self.db.session() as session:
            users, total = await service.search_users(session, context.principal(), query)
        return identity_pb2.SearchUsersResponse(users=[_user(u) for u in users], total=total)

    async def UpdateUser(
        self, request: identity_pb2.UpdateUserRequest, ctx: Ctx
    ) -> identity_pb2.UserView:
        edit = service.UserEdit(
            version=request.version,
            name=request.name if request.HasField("name") else None,
            mobile=request.mobile if request.HasField("mobile") else None,
            email=request.email if request.HasField("email") else None,
            designation=request.designation if request.HasField("designation") else None,
        )
        async with self.db.session() as session:
            record = await service.update_user(
                session, self.deps, context.principal(), request.user_id, edit
            )
        return _user(record)

    async def AddRole(
        self, request: identity_pb2.AddRoleRequest, ctx: Ctx
    ) -> identity_pb2.UserView:
        async with self.db.session() as session:
            record = await service.add_role(
                session, self.deps, context.principal(), request.user_id, _spec(request.role)
            )
        return _user(record)

    async def RemoveRole(
        self, request: identity_pb2.RemoveRoleRequest, ctx: Ctx
    ) -> identity_pb2.UserView:
        async with self.db.session() as session:
            record = await service.remove_role(
                session, self.deps, context.principal(), request.user_id, request.grant_id
            )
        return _user(record)

    async def ResetPassword(
        self, request: identity_pb2.ResetPasswordRequest, ctx: Ctx
    ) -> identity_pb2.UserView:
        async with self.db.session() as session:
            record = await service.reset_password(
                session,
                self.deps,
                context.principal(),
                request.user_id,
                request.new_password,
                request.temporary,
            )
        return _user(record)

    async def SetUserStatus(
        self, request: identity_pb2.SetUserStatusRequest, ctx: Ctx
    ) -> identity_pb2.UserView:
        async with self.db.session() as session:
            record = await service.set_status(
                session,
                self.deps,
                context.principal(),
                request.user_id,
                request.status,
                request.reason,
            )
        return _user(record)

    async def Unlock(self, request: identity_pb2.UserRef, ctx: Ctx) -> identity_pb2.UserView:
        async with self.db.session() as session:
            return _user(
                await service.unlock(session, self.deps, context.principal(), request.user_id)
            )

    async def RoleHistory(
        self, request: identity_pb2.RoleHistoryRequest, ctx: Ctx
    ) -> identity_pb2.RoleHistoryResponse:
        as_of = request.as_of.ToDatetime(tzinfo=UTC) if request.HasField("as_of") else None
        async with self.db.session() as session:
            grants, mappings = await service.role_history(
                session, context.principal(), request.user_id, as_of
            )
        return identity_pb2.RoleHistoryResponse(
            grants=[_grant(g) for g in grants], cbo_mappings=[_mapping(m) for m in mappings]
        )

    async def ListAudit(
        self, request: identity_pb2.ListAuditRequest, ctx: Ctx
    ) -> identity_pb2.ListAuditResponse:
        async with self.db.session() as session:
            rows, total = await service.list_audit(
                session,
                context.principal(),
                user_id=request.user_id,
                action=request.action,
                limit=request.limit or 50,
                offset=request.offset,
            )
        return identity_pb2.ListAuditResponse(
            entries=[
                identity_pb2.AuditEntry(
                    id=r.id,
                    at=timestamp(r.at),
                    actor=r.actor,
                    action=r.action,
                    entity=r.entity,
                    entity_id=r.entity_id,
                    request_id=r.request_id,
                    before_json=service.audit_json(r.before),
                    after_json=service.audit_json(r.after),
                )
                for r in rows
            ],
            total=total,
        )

    async def GetDevice(self, request: identity_pb2.UserRef, ctx: Ctx) -> identity_pb2.DeviceView:
        async with self.db.session() as session:
            uid, device = await flows.get_device(session, context.principal(), request.user_id)
        return _device(uid, device)

    async def DeregisterDevice(
        self, request: identity_pb2.UserRef, ctx: Ctx
    ) -> identity_pb2.DeviceView:
        async with self.db.session() as session:
            uid = await flows.deregister_device(
                session, self.deps, context.principal(), request.user_id
            )
        return _device(uid, None)

    async def ApproveReplacementDevice(
        self, request: identity_pb2.ApproveDeviceRequest, ctx: Ctx
    ) -> identity_pb2.DeviceView:
        async with self.db.session() as session:
            uid, device = await flows.approve_replacement(
                session, self.deps, context.principal(), request.user_id, request.device_id
            )
        return _device(uid, device)

    async def LinkCbos(
        self, request: identity_pb2.CboLinkRequest, ctx: Ctx
    ) -> identity_pb2.CboLinkResponse:
        async with self.db.session() as session:
            ids = await service.link_cbos(
                session, context.principal(), request.user_id, list(request.cbo_ids)
            )
        return identity_pb2.CboLinkResponse(changed=len(ids), cbo_ids=ids)

    async def UnlinkCbos(
        self, request: identity_pb2.CboLinkRequest, ctx: Ctx
    ) -> identity_pb2.CboLinkResponse:
        async with self.db.session() as session:
            ids = await service.unlink_cbos(
                session, context.principal(), request.user_id, list(request.cbo_ids)
            )
        return identity_pb2.CboLinkResponse(changed=len(ids), cbo_ids=ids)

    async def ListUserCbos(self, request: identity_pb2.UserRef, ctx: Ctx) -> identity_pb2.CboList:
        async with self.db.session() as session:
            cbos = await service.user_cbos(session, context.principal(), request.user_id)
        return identity_pb2.CboList(cbos=[_cbo(c) for c in cbos], total=len(cbos))

    async def ListUnlinkedCbos(
        self, request: identity_pb2.UnlinkedCbosRequest, ctx: Ctx
    ) -> identity_pb2.CboList:
        async with self.db.session() as session:
            cbos, total = await service.unlinked_cbos(
                session,
                context.principal(),
                cbo_type=request.cbo_type,
                block=request.block_lgd_code,
                panchayat=request.panchayat_lgd_code,
                village=request.village_lgd_code,
                limit=request.limit or 50,
                offset=request.offset,
            )
        return identity_pb2.CboList(cbos=[_cbo(c) for c in cbos], total=total)

    # -- registered API clients

    def _token_endpoint(self, realm: str) -> str:
        s = self.deps.settings
        base = (s.keycloak_url or s.idp_url).rstrip("/")
        return f"{base}/realms/{realm}/protocol/openid-connect/token"

    def _secret(self, r: apiclients.Registered) -> identity_pb2.ApiClientSecret:
        return identity_pb2.ApiClientSecret(
            client=_api_client(r.client),
            secret=r.secret,
            token_endpoint=self._token_endpoint(r.client.realm),
        )

    async def RegisterApiClient(
        self, request: identity_pb2.RegisterApiClientRequest, ctx: Ctx
    ) -> identity_pb2.ApiClientSecret:
        async with self.db.session() as session:
            registered = await apiclients.register(
                session,
                self.deps.idp,
                context.principal(),
                name=request.name,
                kind=request.kind,
                scopes=list(request.scopes),
                rate_per_minute=request.rate_per_minute
                or self.deps.settings.api_client_rate_per_minute,
            )
            return self._secret(registered)

    async def RotateApiClientSecret(
        self, request: identity_pb2.ApiClientRef, ctx: Ctx
    ) -> identity_pb2.ApiClientSecret:
        async with self.db.session() as session:
            rotated = await apiclients.rotate_secret(
                session, self.deps.idp, context.principal(), request.client_id
            )
            return self._secret(rotated)

    async def RevokeApiClient(
        self, request: identity_pb2.ApiClientRef, ctx: Ctx
    ) -> identity_pb2.ApiClientView:
        async with self.db.session() as session:
            client = await apiclients.revoke(
                session, self.deps.idp, context.principal(), request.client_id
            )
            return _api_client(client)

    async def ListApiClients(
        self, request: identity_pb2.ListApiClientsRequest, ctx: Ctx
    ) -> identity_pb2.ListApiClientsResponse:
        async with self.db.session() as session:
            found = await apiclients.list_clients(session, context.principal())
            return identity_pb2.ListApiClientsResponse(clients=[_api_client(c) for c in found])

    async def AuthoriseApiCall(
        self, request: identity_pb2.AuthoriseApiCallRequest, ctx: Ctx
    ) -> identity_pb2.AuthorisedCall:
        async with self.db.session() as session:
            client, consent = await apiclients.authorise_call(
                session,
                realm=request.realm,
                client_id=request.client_id,
                method=request.method,
                path=request.path,
                consent_id=request.consent_id,
                member_id=request.member_id,
            )
            answer = identity_pb2.AuthorisedCall(client=_api_client(client))
            if consent is not None:
                answer.consent.CopyFrom(_consent(consent, client.name))
            return answer

    # -- consents

    async def RequestConsent(
        self, request: identity_pb2.RequestConsentRequest, ctx: Ctx
    ) -> identity_pb2.ConsentView:
        ask = consents.ConsentAsk(
            member_id=request.member_id,
            purpose_code=request.purpose_code,
            purpose_text=request.purpose_text,
            data_scope=list(request.data_scope),
            date_from=request.date_from,
            date_to=request.date_to,
            expires_on=request.expires_on,
            mode=request.mode or "VIEW",
        )
        async with self.db.session() as session:
            consent = await consents.request(session, context.principal(), ask)
            return await self._consent_view(session, consent)

    async def _consent_view(
        self, session: AsyncSession, consent: Consent
    ) -> identity_pb2.ConsentView:
        client = await session.get(ApiClient, consent.client_id)
        return _consent(consent, client.name if client is not None else "")

    async def SendConsentOtp(
        self, request: identity_pb2.ConsentRef, ctx: Ctx
    ) -> identity_pb2.ConsentOtpSent:
        async with self.db.session() as session:
            consent, sent_to = await consents.send_otp(
                session, self.deps, self.deps.members, context.principal(), request.consent_id
            )
            return identity_pb2.ConsentOtpSent(
                consent_id=str(consent.id),
                sent_to=sent_to,
                expires_in=self.deps.settings.otp_ttl_seconds,
            )

    async def GrantConsent(
        self, request: identity_pb2.GrantConsentRequest, ctx: Ctx
    ) -> identity_pb2.ConsentView:
        async with self.db.session() as session:
            consent = await consents.grant(
                session, self.deps, context.principal(), request.consent_id, request.otp
            )
            return await self._consent_view(session, consent)

    async def RevokeConsent(
        self, request: identity_pb2.ConsentRef, ctx: Ctx
    ) -> identity_pb2.ConsentView:
        async with self.db.session() as session:
            consent = await consents.revoke(session, context.principal(), request.consent_id)
            return await self._consent_view(session, consent)

    async def GetConsent(
        self, request: identity_pb2.ConsentRef, ctx: Ctx
    ) -> identity_pb2.ConsentView:
        async with self.db.session() as session:
            consent = await consents.get(session, context.principal(), request.consent_id)
            return await self._consent_view(session, consent)

    async def ListConsents(
        self, request: identity_pb2.ListConsentsRequest, ctx: Ctx
    ) -> identity_pb2.ListConsentsResponse:
        async with self.db.session() as session:
            found = await consents.list_for_member(session, context.principal(), request.member_id)
            return identity_pb2.ListConsentsResponse(
                consents=[await self._consent_view(session, c) for c in found]
            )

    async def ListApiCalls(
        self, request: identity_pb2.ListApiCallsRequest, ctx: Ctx
    ) -> identity_pb2.ListApiCallsResponse:
        async with self.db.session() as session:
            calls = await apiclients.list_calls(
                session,
                context.principal(),
                client_id=request.client_id,
                consent_id=request.consent_id,
                limit=request.limit,
            )
            return identity_pb2.ListApiCallsResponse(
                calls=[
                    identity_pb2.ApiCallView(
                        id=c.id,
                        at=timestamp(c.at),
                        client_id=c.client_id,
                        method=c.method,
                        path=c.path,
                        consent_id=c.consent_id,
                        request_id=c.request_id,
                        outcome=c.outcome,
                    )
                    for c in calls
                ]
            )


def _api_client(c: ApiClient) -> identity_pb2.ApiClientView:
    return identity_pb2.ApiClientView(
        client_id=c.client_id,
        realm=c.realm,
        state=c.state,
        name=c.name,
        kind=c.kind,
        scopes=list(c.scopes),
        status=c.status,
        created_by=c.created_by,
        created_at=timestamp(c.created_at),
        secret_rotated_at=timestamp(c.secret_rotated_at),
        revoked_at=timestamp(c.revoked_at),
        rate_per_minute=c.rate_per_minute,
    )


def _consent(c: Consent, client_name: str) -> identity_pb2.ConsentView:
    return identity_pb2.ConsentView(
        consent_id=str(c.id),
        client_id=c.client_id,
        client_name=client_name,
        member_id=c.member_id,
        shg_id=c.shg_id,
        block_lgd_code=c.block_lgd_code,
        purpose_code=c.purpose_code,
        purpose_text=c.purpose_text,
        data_scope=list(c.data_scope),
        date_from=c.date_from.isoformat(),
        date_to=c.date_to.isoformat(),
        expires_at=timestamp(c.expires_at),
        mode=c.mode,
        status=consents.status_of(c),
        captured_by=c.captured_by,
        captured_at=timestamp(c.captured_at),
        revoked_by=c.revoked_by,
        revoked_at=timestamp(c.revoked_at),
        created_at=timestamp(c.created_at),
    )
