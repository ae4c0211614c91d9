"""Types of what clients send, shared by every router: free text and integers as the services
can take them.

Each is declared in the OpenAPI document (a ``pattern``, a ``maximum``), so clients and the
contract fuzz test know the limits, and pydantic refuses anything outside them with a 422 that
names the field before a service is called.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, StringConstraints

# Free text: no control characters. PostgreSQL cannot store NUL in text, and the others
# (escape, backspace, …) corrupt logs, exports and screens; tab and line breaks stay allowed.
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
Text = Annotated[str, StringConstraints(pattern=TEXT_PATTERN)]

# Integers as the gRPC contracts carry them: limits and offsets are int32; versions and ids are
# int64, bounded here by the largest integer every JSON client reads exactly (JavaScript's
# Number.MAX_SAFE_INTEGER; the OpenAPI document's numbers are doubles, and 2**63 - 1 is not one).
# A larger number cannot be sent on and is refused with a 422.
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
SAFE_INT_MAX = 2**53 - 1


_NUMBER = re.compile(r"^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$")


def _iso_text(value: object) -> object:
    """Dates as ISO 8601 text only: pydantic would also read a number as seconds since 1970,
    which is never what a client meant."""
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.match(value)):
        raise ValueError("must be an ISO 8601 date (YYYY-MM-DD) or date-time")
    return value


def _plausible(value: date) -> date:
    """Years the records and the gRPC timestamps can hold (0001 with a time zone east of UTC
    falls before year 1 and cannot be converted)."""
    if not 1900 <= value.year <= 9998:
        raise ValueError("year must be between 1900 and 9998")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_text), AfterValidator(_plausible)]
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(_plausible)]
