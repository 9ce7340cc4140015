"""Domain exceptions. Services raise these; gpo/api.py maps each to one HTTP status
in the one error shape. Nothing here knows about Flask."""
from __future__ import annotations


class DomainError(Exception):
    status_code = 400

    def __init__(
        self,
        message: str,
        errors: dict | None = None,
        headers: dict | None = None,
        status_code: int | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.errors = errors
        self.headers = headers
        if status_code is not None:
            self.status_code = status_code


class Invalid(DomainError):
    """The request breaks a rule of the domain (422)."""

    status_code = 422

    @classmethod
    def of_field(cls, field: str, message: str) -> "Invalid":
        """422 naming the one body field at fault, in the error shape's `errors`."""
        return cls(message, {"json": {field: [message]}})


class Unauthenticated(DomainError):
    """Missing or bad credentials (401)."""

    status_code = 401


class Forbidden(DomainError):
    """The caller may see the object but its role may not do this (403)."""

    status_code = 403


class NotFound(DomainError):
    """No such object, or outside the caller's tenancy (404)."""

    status_code = 404


class Conflict(DomainError):
    """The object's state does not allow this now (409)."""

    status_code = 409


class PreconditionFailed(DomainError):
    """A stale If-Match (412)."""

    status_code = 412


class TooManyRequests(DomainError):
    """Throttled (429)."""

    status_code = 429
