"""Domain exceptions raised by service functions; the web layer maps them to pages and status codes."""

from __future__ import annotations


class NotFound(LookupError):
    """Missing, or not visible to this user: the two look the same so ids reveal nothing."""

    def __init__(self, what: str = "page") -> None:
        super().__init__(f"We could not find that {what}.")


class Forbidden(PermissionError):
    """Visible, but this user may not do this to it."""


class Conflict(Exception):
    """Someone else changed the record since this user loaded it."""


class Invalid(ValueError):
    """A request that breaks a business rule; the message is shown to the user."""
