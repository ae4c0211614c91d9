"""Events profiles emits, through its outbox, in the transaction of the change.

``profiles.<shg|vo|clf>.<created|changed|submitted|approved|rejected>`` carry ``CboEvent``;
``profiles.member.<…>`` carry ``MemberEvent`` with the identifiers' keyed hashes and masks (never
the numbers: every service on the bus reads them); ``profiles.federation.linked``; geography
events from ``geography/``.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from lokos.outbox import add_event
from lokos.profiles.v1 import profiles_pb2
from services.profiles.identifiers import mask_tail
from services.profiles.mapping import cbo_to_proto, member_to_proto
from services.profiles.models import Cbo, Member, outbox


async def cbo_event(session: AsyncSession, cbo: Cbo, what: str, submission_id: str = "") -> str:
    payload = profiles_pb2.CboEvent(cbo=cbo_to_proto(cbo), submission_id=submission_id)
    return await add_event(
        session, outbox, f"profiles.{cbo.cbo_type.lower()}.{what}", cbo.state, payload
    )


def member_payload(member: Member, submission_id: str = "") -> profiles_pb2.MemberEvent:
    view = member_to_proto(member)
    view.mobile = mask_tail(view.mobile)
    view.voter_id = mask_tail(view.voter_id)
    return profiles_pb2.MemberEvent(
        member=view,
        submission_id=submission_id,
        aadhaar_hash=member.aadhaar_hash,
        bank_account_hash=member.bank_account_hash,
        voter_id_hash=member.voter_id_hash,
        mobile_hash=member.mobile_hash,
    )


async def member_event(
    session: AsyncSession, member: Member, what: str, submission_id: str = ""
) -> str:
    payload = member_payload(member, submission_id)
    return await add_event(session, outbox, f"profiles.member.{what}", member.state, payload)


async def federation_linked(
    session: AsyncSession, state: str, link: profiles_pb2.FederationView, previous: str
) -> str:
    payload = profiles_pb2.FederationLinked(link=link, previous_parent_id=previous)
    return await add_event(session, outbox, "profiles.federation.linked", state, payload)
