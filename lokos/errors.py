"""Domain errors. Services raise these; one gRPC interceptor maps them to status codes with
details, and the gateway maps gRPC status to RFC 9457 problem+json once.

Every error carries a stable machine ``code`` (for clients and translations) and a human
``detail`` in English.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One invalid input field; ``field`` is the dotted path the client sent (``name``)."""

    field: str
    message: str
    code: str = "invalid"


class LokosError(Exception):
    """Base of every error a service raises on purpose."""

    code: str = "error"
    http_status: int = 500

    def __init__(
        self, detail: str, *, code: str | None = None, extra: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        # Facts a client acts on (current_version, locked_until, attempts_left…); they become
        # members of the problem+json body.
        self.extra: dict[str, str] = dict(extra or {})


class NotFound(LokosError):
    code = "not_found"
    http_status = 404


class Conflict(LokosError):
    code = "conflict"
    http_status = 409


class Locked(LokosError):
    """The record is waiting for a checker and the maker may not change it."""

    code = "locked"
    http_status = 423


class PermissionDenied(LokosError):
    code = "permission_denied"
    http_status = 403


class Unauthenticated(LokosError):
    code = "unauthenticated"
    http_status = 401


class Unavailable(LokosError):
    code = "unavailable"
    http_status = 503


class RateLimited(LokosError):
    """Too many attempts in a window (OTP resends, logins)."""

    code = "rate_limited"
    http_status = 429


class ValidationFailed(LokosError):
    """Input is wrong; ``field_errors`` names each offending field."""

    code = "validation_failed"
    http_status = 422

    def __init__(self, field_errors: list[FieldError], detail: str | None = None) -> None:
        names = ", ".join(e.field for e in field_errors)
        super().__init__(detail or f"Invalid input: {names}")
        self.field_errors = list(field_errors)

    @classmethod
    def one(cls, field: str, message: str, code: str = "invalid") -> ValidationFailed:
        return cls([FieldError(field, message, code)])
