"""Consent rules without I/O: what a request must say, when a consent holds for a fetch."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from lokos.errors import ValidationFailed
from services.identity.consents import ConsentAsk, _check_ask, check_fetch, status_of
from services.identity.models import Consent

TODAY = date(2026, 11, 30)
MEMBER = str(uuid.uuid4())


def _ask(**changes: object) -> ConsentAsk:
    fields: dict[str, object] = {
        "member_id": MEMBER,
        "purpose_code": "CREDIT",
        "purpose_text": "Appraisal of an SHG member loan",
        "data_scope": ["savings", "loans"],
        "date_from": "2025-04-01",
        "date_to": "2026-03-31",
        "expires_on": "2026-12-31",
        "mode": "VIEW",
    }
    fields.update(changes)
    return ConsentAsk(**fields)  # type: ignore[arg-type]


def _consent(status: str, expires_in: timedelta = timedelta(days=1)) -> Consent:
    return Consent(
        id=uuid.uuid4(),
        client_id="ext-up-bank-1",
        member_id=MEMBER,
        status=status,
        expires_at=datetime.now(UTC) + expires_in,
    )


def test_a_well_formed_request_gives_its_dates() -> None:
    assert _check_ask(_ask(), TODAY) == (date(2025, 4, 1), date(2026, 3, 31), date(2026, 12, 31))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"member_id": "not-a-uuid"}, "member_id"),
        ({"data_scope": ["savings", "aadhaar"]}, "data_scope"),
        ({"data_scope": []}, "data_scope"),
        ({"date_from": "2026-04-01", "date_to": "2026-03-31"}, "date_to"),
        ({"date_from": "31/03/2026"}, "date_from"),
        ({"expires_on": "2026-11-30"}, "expires_on"),  # not after today
        ({"expires_on": "2028-01-01"}, "expires_on"),  # more than a year ahead
        ({"mode": "STORE"}, "mode"),
        ({"purpose_text": "x"}, "purpose_text"),
    ],
)
def test_a_bad_request_names_the_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        _check_ask(_ask(**change), TODAY)
    assert field in [e.field for e in caught.value.field_errors]


def test_a_fetch_holds_only_under_an_active_unexpired_consent_of_that_client_and_member() -> None:
    active = _consent("active")
    assert check_fetch(active, "ext-up-bank-1", MEMBER) == ""
    assert check_fetch(active, "ext-up-other-2", MEMBER) == "no_consent"
    assert check_fetch(active, "ext-up-bank-1", str(uuid.uuid4())) == "no_consent"
    assert check_fetch(None, "ext-up-bank-1", MEMBER) == "no_consent"
    assert check_fetch(_consent("requested"), "ext-up-bank-1", MEMBER) == "consent_pending"
    assert check_fetch(_consent("revoked"), "ext-up-bank-1", MEMBER) == "consent_revoked"
    lapsed = _consent("active", timedelta(seconds=-1))
    assert status_of(lapsed) == "expired"
    assert check_fetch(lapsed, "ext-up-bank-1", MEMBER) == "consent_expired"
