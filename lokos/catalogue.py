"""The role catalogue: every role LokOS knows, as data, in one place.

Like the proto contracts this is shared reference data, not plumbing: identity enforces who may
create whom from it, the gateway derives route permissions from it, and the Keycloak realm
templates in ``deploy/keycloak/`` are generated from it (``lokos realm template``).

Staff roles exist at four levels (national, state, district, block), each with an Admin, a
Program Manager and a Thematic user (blocks also have an MIS coordinator/DEO). Community roles
are bound to CBOs (SHG, VO, CLF) and created by a Block Admin. Sources: DOMAIN.md "Users and
roles"; the national roll-out advisory (004) table "Admin User / Provision".

Channels: each role says through which login channel (the OpenID client a token is issued to)
it may be used. Community users (bookkeepers and approvers) work in the mobile app, where their
identity is the phone bound by SMS OTP: they may use only ``mobile``, so a web login (no device
binding) cannot stand in for it. Staff use the web and may use the app (then bound to a device
like everyone on mobile). A user holding several roles may use the channels all of them allow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

# Login channel -> the OpenID client of the realm that issues its tokens (``azp``).
CHANNEL_CLIENTS: dict[str, str] = {"web": "lokos-web", "mobile": "lokos-mobile"}
CLIENT_CHANNELS: dict[str, str] = {client: ch for ch, client in CHANNEL_CLIENTS.items()}
STAFF_CHANNELS = frozenset({"web", "mobile"})
COMMUNITY_CHANNELS = frozenset({"mobile"})

LEVELS = ("national", "state", "district", "block")
SCOPE_LEVELS = ("national", "state", "district", "block", "panchayat", "village", "cbo")


@dataclass(frozen=True)
class Role:
    code: str
    name_en: str
    name_hi: str
    # "staff" (NRLM staff, web, National or State entry) or "community" (bookkeepers, approvers).
    category: str
    # The geography level the role works at; community roles work on CBOs within a block.
    level: str
    # Which scope levels a grant of this role may carry.
    scope_levels: tuple[str, ...]
    # Roles whose holders may create a user with this role (within their own scope).
    created_by: frozenset[str] = field(default_factory=frozenset)
    # For community roles: the CBO type the role is bound to ("SHG", "VO", "CLF").
    cbo_category: str = ""
    # The login entry ("national" or "state") and the realm the user lives in.
    entry: str = "state"

    @property
    def is_admin(self) -> bool:
        return self.code.endswith("_ADMIN")

    @property
    def is_community(self) -> bool:
        return self.category == "community"

    @property
    def channels(self) -> frozenset[str]:
        """Login channels the role may be used through (see the module docstring)."""
        return COMMUNITY_CHANNELS if self.is_community else STAFF_CHANNELS


def _staff(level: str, creators_admin: set[str], creators_others: set[str]) -> list[Role]:
    lv = level.upper()
    hi = {"national": "राष्ट्रीय", "state": "राज्य", "district": "ज़िला", "block": "प्रखंड"}[level]
    entry = "national" if level == "national" else "state"
    scope = (level,)
    roles = [
        Role(
            f"{lv}_ADMIN",
            f"{level.title()} Admin",
            f"{hi} प्रशासक",
            "staff",
            level,
            scope,
            frozenset(creators_admin),
            entry=entry,
        ),
        Role(
            f"{lv}_PROGRAM_MANAGER",
            f"{level.title()} Program Manager",
            f"{hi} कार्यक्रम प्रबंधक",
            "staff",
            level,
            scope,
            frozenset(creators_others),
            entry=entry,
        ),
        Role(
            f"{lv}_THEMATIC",
            f"{level.title()} Thematic User",
            f"{hi} विषयगत उपयोगकर्ता",
            "staff",
            level,
            scope,
            frozenset(creators_others),
            entry=entry,
        ),
    ]
    if level == "block":
        roles.append(
            Role(
                "BLOCK_MIS",
                "Block MIS Coordinator / DEO",
                "प्रखंड एमआईएस समन्वयक / डीईओ",
                "staff",
                level,
                scope,
                frozenset(creators_others),
                entry=entry,
            )
        )
    return roles


# A community user works in an area of a block; the CBOs mapped to her narrow it further.
_COMMUNITY_SCOPES = ("block", "panchayat", "village")
_BLOCK_ADMIN = frozenset({"BLOCK_ADMIN"})

# The national help desk (advisory 004: "takes issues from state teams"), created by the
# national admin. They see requests, traces and tickets, never members' personal data: no
# service counts them among its readers (below), so profiles and dedup refuse them.
HELPDESK_ROLES: tuple[Role, ...] = (
    Role(
        "NATIONAL_HELPDESK_AGENT",
        "National Help Desk Agent",
        "राष्ट्रीय हेल्प डेस्क एजेंट",
        "staff",
        "national",
        ("national",),
        frozenset({"NATIONAL_ADMIN"}),
        entry="national",
    ),
    Role(
        "NATIONAL_HELPDESK_LEAD",
        "National Help Desk Lead",
        "राष्ट्रीय हेल्प डेस्क प्रमुख",
        "staff",
        "national",
        ("national",),
        frozenset({"NATIONAL_ADMIN"}),
        entry="national",
    ),
    # A state's contact for the help desk: raises and follows her state's tickets.
    Role(
        "STATE_HELPDESK_CONTACT",
        "State Help Desk Contact",
        "राज्य हेल्प डेस्क संपर्क",
        "staff",
        "state",
        ("state",),
        frozenset({"NATIONAL_ADMIN"}),
        entry="state",
    ),
)
ROLES: tuple[Role, ...] = (
    *_staff("national", {"NATIONAL_ADMIN"}, {"NATIONAL_ADMIN"}),
    *_staff("state", {"NATIONAL_ADMIN"}, {"STATE_ADMIN"}),
    *_staff("district", {"STATE_ADMIN"}, {"DISTRICT_ADMIN"}),
    *_staff("block", {"DISTRICT_ADMIN"}, {"BLOCK_ADMIN"}),
    Role(
        "SHG_BOOKKEEPER",
        "SHG Bookkeeper",
        "एसएचजी बुककीपर",
        "community",
        "block",
        _COMMUNITY_SCOPES,
        _BLOCK_ADMIN,
        "SHG",
    ),
    Role(
        "VO_BOOKKEEPER",
        "VO Bookkeeper",
        "वीओ बुककीपर",
        "community",
        "block",
        _COMMUNITY_SCOPES,
        _BLOCK_ADMIN,
        "VO",
    ),
    Role(
        "SHG_MEETING_TRANSACTION_APPROVER",
        "SHG Meeting & Transaction Approver",
        "एसएचजी बैठक एवं लेनदेन अनुमोदक",
        "community",
        "block",
        _COMMUNITY_SCOPES,
        _BLOCK_ADMIN,
        "VO",
    ),
    Role(
        "CLF_BOOKKEEPER",
        "CLF Bookkeeper",
        "सीएलएफ बुककीपर",
        "community",
        "block",
        _COMMUNITY_SCOPES,
        _BLOCK_ADMIN,
        "CLF",
    ),
    Role(
        "VO_MEETING_TRANSACTION_APPROVER",
        "VO Meeting & Transaction Approver",
        "वीओ बैठक एवं लेनदेन अनुमोदक",
        "community",
        "block",
        _COMMUNITY_SCOPES,
        _BLOCK_ADMIN,
        "CLF",
    ),
    Role(
        "SHG_TRANSACTION_APPROVER",
        "SHG Transaction Approver",
        "एसएचजी लेनदेन अनुमोदक",
        "community",
        "block",
        _COMMUNITY_SCOPES,
        _BLOCK_ADMIN,
        "CLF",
    ),
    *HELPDESK_ROLES,
)

BY_CODE: dict[str, Role] = {r.code: r for r in ROLES}
ADMIN_ROLES = frozenset(r.code for r in ROLES if r.is_admin)
STAFF_ROLES = frozenset(r.code for r in ROLES if not r.is_community)
# The mission's own staff: every staff role but the help desk, which sees requests and tickets,
# never the records themselves.
PROGRAM_STAFF = STAFF_ROLES - frozenset(r.code for r in HELPDESK_ROLES)
COMMUNITY_ROLES = frozenset(r.code for r in ROLES if r.is_community)
NATIONAL_ROLES = frozenset(r.code for r in ROLES if r.entry == "national")
STATE_REALM_ROLES = frozenset(r.code for r in ROLES if r.entry == "state")


def _codes(*codes: str) -> frozenset[str]:
    unknown = [c for c in codes if c not in BY_CODE]
    if unknown:
        raise KeyError(f"not in the catalogue: {unknown}")
    return frozenset(codes)


# --- role groups: the only place role names are spelled out (a layering test checks it) ---

# The administrators the demo seeds.
STATE_ADMIN = BY_CODE["STATE_ADMIN"].code
NATIONAL_ADMIN = BY_CODE["NATIONAL_ADMIN"].code
# The demo national admin's user ID is its role's name.
DEMO_NATIONAL_USER = NATIONAL_ADMIN

# Community users: bookkeepers write a CBO's books and profiles; approvers check them.
BOOKKEEPERS = frozenset(r.code for r in ROLES if r.is_community and r.code.endswith("_BOOKKEEPER"))
APPROVERS = COMMUNITY_ROLES - BOOKKEEPERS
# Makers: bookkeepers for the CBOs mapped to them, and block staff for CBOs in their block.
STAFF_MAKERS = _codes("STATE_ADMIN", "DISTRICT_ADMIN", "BLOCK_ADMIN", "BLOCK_MIS")
MAKERS = BOOKKEEPERS | STAFF_MAKERS
# Checkers: the Block Program Manager of the record's block.
CHECKERS = _codes("BLOCK_PROGRAM_MANAGER")
# F6/J1: the seeds name no approver of a CLF's own transactions; a state configures one
# (LOKOS_CLF_BOOK_APPROVERS), by default the Block Program Manager of the CLF's block.
CLF_BOOK_APPROVERS = CHECKERS
# F1–F3: the state mission's releases of community funds into CLFs, VOs and SHGs are recorded
# by state staff (the mission's own sanction is their check).
FUND_RELEASERS = _codes("STATE_ADMIN", "STATE_PROGRAM_MANAGER")
# Who may answer a book's or a fund transfer's approval at the gateway: every community
# approver and the staff a state may name for CLFs; the transactions service checks the tier,
# the federation and the scope.
BOOK_APPROVERS = APPROVERS | PROGRAM_STAFF
FUND_APPROVERS = BOOK_APPROVERS
# Readers: staff whose scope reaches a record (every staff role, the block's MIS included),
# and community users for their mapped CBOs.
STAFF_READERS = PROGRAM_STAFF
COMMUNITY_READERS = COMMUNITY_ROLES
READERS = STAFF_READERS | COMMUNITY_READERS
# Who may register a brand-new CBO in a block (bookkeepers are mapped to CBOs that exist).
CBO_CREATORS = STAFF_MAKERS
# Who may run "Refresh Duplicate" for a block: its checker and the staff who upload.
DUPLICATE_REFRESHERS = CHECKERS | STAFF_MAKERS
# Who sets a state's de-duplication rules, and who exports the labelled pairs (the state
# admin, and Block Program Managers for the pairs within their block).
DEDUP_RULE_SETTERS = frozenset({STATE_ADMIN})
PAIR_EXPORTERS = CHECKERS | DEDUP_RULE_SETTERS
# The national dashboard (every state's aggregates, on the national instance): the national
# mission's own staff; the national help desk works tickets, not numbers.
NATIONAL_DASHBOARD_READERS = PROGRAM_STAFF & NATIONAL_ROLES
# Geography masters: districts and whole LGD files by the state's admins (and the national
# team); blocks of her district by a district admin too.
GEOGRAPHY_ADMINS = frozenset({NATIONAL_ADMIN, STATE_ADMIN})
BLOCK_EDITORS = GEOGRAPHY_ADMINS | _codes("DISTRICT_ADMIN")
# Legacy MIS imports: admins within their own scope.
MIS_IMPORTERS = _codes("STATE_ADMIN", "DISTRICT_ADMIN", "BLOCK_ADMIN")
# Who creates community users and maps CBOs to them.
COMMUNITY_USER_ADMINS = _BLOCK_ADMIN
# The national help desk: agents work tickets, the lead also takes escalations.
HELPDESK_AGENTS = _codes("NATIONAL_HELPDESK_AGENT", "NATIONAL_HELPDESK_LEAD")
HELPDESK_LEADS = _codes("NATIONAL_HELPDESK_LEAD")
# A state's help desk contact: raises and follows her own state's tickets only.
HELPDESK_CONTACTS = _codes("STATE_HELPDESK_CONTACT")
# State staff who may raise a ticket for their state (besides the contact).
TICKET_RAISERS = HELPDESK_CONTACTS | _codes("STATE_ADMIN", "STATE_PROGRAM_MANAGER")


def role(code: str) -> Role:
    """The role with ``code``; KeyError when there is none."""
    return BY_CODE[code]


def roles_at_or_below(level: str) -> frozenset[str]:
    """Staff roles working at ``level`` or below (for route permissions)."""
    depth = LEVELS.index(level)
    return frozenset(r.code for r in ROLES if not r.is_community and LEVELS.index(r.level) >= depth)


def realm_roles(realm_kind: str) -> list[Role]:
    """Roles a realm declares: national roles in the national realm, the rest in a state's."""
    return [r for r in ROLES if (r.entry == "national") == (realm_kind == "national")]


def channels_of(roles: Iterable[str]) -> frozenset[str]:
    """The channels a user holding ``roles`` may use: those every one of them allows."""
    allowed = frozenset(CHANNEL_CLIENTS)
    for code in roles:
        known = BY_CODE.get(code)
        if known is not None:
            allowed &= known.channels
    return allowed


# --- Registered API clients (departments, banks): not people, so not roles of ROLES. --------
# The data scopes a state admin grants a client. The gateway turns each scope into a grant of
# the client's principal (at state scope), which services check like any role.
API_SCOPES: dict[str, str] = {
    "aggregates": "API_AGGREGATES",
    "shg-credit-history": "API_SHG_CREDIT_HISTORY",
    "member-history": "API_MEMBER_HISTORY",
}
# Besides the services themselves: who may read a whole state's totals per block (the
# reports' consistency check, ``lokos reports verify``).
TOTALS_READERS = frozenset({STATE_ADMIN})

API_CLIENT_KINDS = ("department", "bank", "service_provider")
# Who registers, rotates and revokes a state's API clients.
API_CLIENT_REGISTRARS = frozenset({"STATE_ADMIN"})
